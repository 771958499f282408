import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// `npm run serve` runs the compiled server (out/server/cli.mjs, built by the preserve step with esbuild),
// not the TypeScript sources: this builds it as preserve does and starts it with plain `node`, as a person
// does, on a fresh data dir. The worker threads (database readers, the render thread) load their packages
// from paths resolved by the bundle, so requests that need each are made too.
const repo = resolve(__dirname, '..')

interface BuildScript {
  ensureServerBuilt(options?: { force?: boolean }): Promise<boolean>
  SERVER_OUT_DIR: string
}

let dataDir: string
let entry: string
beforeAll(async () => {
  const script = (await import(pathToFileURL(join(repo, 'scripts/build-server.mjs')).href)) as BuildScript
  await script.ensureServerBuilt()
  entry = join(script.SERVER_OUT_DIR, 'cli.mjs')
  dataDir = mkdtempSync(join(tmpdir(), 'starpunk-compiled-'))
}, 120_000)
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STARPUNK_') && k !== 'NODE_ENV') env[k] = v
  return { ...env, ...extra }
}

describe('the compiled server entry', () => {
  it('starts with plain node, answers /health, serves search (a reader thread) and Markdown (the render thread), and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [entry, 'serve'], {
      cwd: dataDir,
      env: cleanEnv({ STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_LOG_FORMAT: 'human', STARPUNK_FETCH_ENABLED: 'false' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        const check = () => {
          const hit = /is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
          if (hit) resolveUrl(hit[1]!)
        }
        child.stdout.on('data', check)
        void exited.then((code) => reject(new Error(`exited ${code} before listening:\n${out}`)))
      })
      const health = await fetch(`${url}/health`)
      expect(health.status).toBe(200)
      expect(((await health.json()) as { status: string }).status).toBe('pass')
      // Search goes through a database reader thread; the home page through the page renderer.
      const search = await fetch(`${url}/search?q=hello`)
      expect(search.status).toBe(200)
      const home = await fetch(`${url}/`)
      expect(home.status).toBe(200)
      expect(await home.text()).toContain('<!doctype html>')
      // The render thread: sign in with the one-time link the CLI printed, then preview Markdown.
      const link = new URL(/(http:\/\/\S+\/admin\/login\/link\?token=\S+)/.exec(out)![1]!)
      const signIn = await fetch(`${url}${link.pathname}${link.search}`, { redirect: 'manual', headers: { accept: 'text/html' } })
      expect(signIn.status).toBe(303)
      const cookie = /^(starpunk_session=[^;]+)/.exec(signIn.headers.getSetCookie().find((c) => c.startsWith('starpunk_session=')) ?? '')![1]!
      const form = await (await fetch(`${url}/admin/notes/new`, { headers: { cookie, accept: 'text/html' } })).text()
      const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(form)![1]!
      const preview = await fetch(`${url}/admin/preview`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'content=' + encodeURIComponent('Some **bold** text'),
      })
      expect(preview.status).toBe(200)
      expect(await preview.text()).toContain('<strong>bold</strong>')
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(out).not.toMatch(/Error:|at .*\.mjs:\d+/)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
