// `npm run serve` prints a one-time admin link after listening, like a notebook server's token URL.
// A real process (the same tsx command as the npm script), on a fresh directory.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, expect, it } from 'vitest'

const repo = resolve(__dirname, '../../../..')
let cwd = ''
afterEach(() => rmSync(cwd, { recursive: true, force: true }))

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? allFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}

it('prints a working one-time link that is never written to the logs', async () => {
  cwd = mkdtempSync(join(tmpdir(), 'starpunk-cli-link-'))
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STARPUNK_') && k !== 'NODE_ENV') env[k] = v
  const child = spawn(join(repo, 'node_modules', '.bin', 'tsx'), ['--tsconfig', join(repo, 'tsconfig.node.json'), join(repo, 'src/main/cli.ts'), 'serve'], {
    cwd,
    env: { ...env, STARPUNK_PORT: '0', STARPUNK_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  try {
    let link: string | undefined
    while (!link) {
      link = /Admin sign-in link[^\n]*\n\s+(http:\/\/\S+)/.exec(out)?.[1]
      if (child.exitCode !== null) throw new Error(`serve exited early: ${out}`)
      if (!link) await new Promise((r) => setTimeout(r, 50))
    }
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/admin\/login\/link\?token=[A-Za-z0-9_-]{43}$/)
    const first = await fetch(link, { redirect: 'manual', headers: { accept: 'text/html' } })
    expect(first.status).toBe(303)
    expect(first.headers.getSetCookie().some((c) => c.startsWith('starpunk_session='))).toBe(true)
    expect((await fetch(link, { redirect: 'manual', headers: { accept: 'text/html' } })).status).toBe(400)
    child.kill('SIGINT')
    await exited
    const token = new URL(link).searchParams.get('token')!
    // Stdout lines other than the banner are the JSON log stream; neither they nor the log files hold the token.
    const logLines = out.split('\n').filter((line) => line.startsWith('{'))
    expect(logLines.length).toBeGreaterThan(0)
    expect(logLines.join('\n')).not.toContain(token)
    for (const file of allFiles(join(cwd, 'data')).filter((f) => f.includes('log'))) expect(readFileSync(file, 'utf8')).not.toContain(token)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
  }
})
