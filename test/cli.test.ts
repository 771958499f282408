import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

// The headless CLI as a person runs it: a real process (the compiled entry `npm run serve` starts with
// node, built here as its preserve step builds it), on a fresh directory, with real signals.
const repo = resolve(__dirname, '..')
const cli = join(repo, 'out', 'server', 'cli.mjs')
beforeAll(async () => {
  const script = (await import(pathToFileURL(join(repo, 'scripts/build-server.mjs')).href)) as { ensureServerBuilt(): Promise<boolean> }
  await script.ensureServerBuilt()
}, 120_000)

let cwd: string
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'starpunk-cli-'))
})
afterEach(() => rmSync(cwd, { recursive: true, force: true }))

/** The parent's environment without any STARPUNK_* setting, so only what a test passes applies. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STARPUNK_') && k !== 'NODE_ENV') env[k] = v
  return { ...env, ...extra }
}

interface Run {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exit: Promise<number | null>
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [cli, ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return { child, stdout: () => out, stderr: () => err, exit }
}

/** Resolves with the predicate's first hit, checked on every chunk of output; rejects if the process ends first. */
function waitFor(predicate: () => string | null | undefined, what: string, r: Run): Promise<string> {
  return new Promise((resolve, reject) => {
    const streams = [r.child.stdout, r.child.stderr]
    const stop = () => {
      for (const stream of streams) stream?.off('data', check)
      r.child.off('close', ended)
    }
    // run() added its own 'data' listeners first, so the output read here already holds the new chunk.
    function check(): boolean {
      const hit = predicate()
      if (!hit) return false
      stop()
      resolve(hit)
      return true
    }
    function ended() {
      if (check()) return
      stop()
      reject(new Error(`process exited before ${what}: ${r.stdout()} ${r.stderr()}`))
    }
    if (check()) return
    if (r.child.exitCode !== null || r.child.signalCode !== null) return ended()
    for (const stream of streams) stream?.on('data', check)
    r.child.once('close', ended)
  })
}

const runningUrl = (r: Run) => () => /is running at (http:\/\/\S+)/.exec(r.stdout())?.[1]

describe('npm run serve', () => {
  it('starts on a fresh directory with no settings: creates ./data with a 0600 secret, logs where things are, stops on SIGINT with 0', async () => {
    const r = run(['serve'], { STARPUNK_PORT: '0' })
    const url = await waitFor(runningUrl(r), 'listening', r)
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${url}/health`)
    expect(res.status).toBe(200)
    const dataDir = join(cwd, 'data')
    expect(r.stdout()).toContain(`data:      ${dataDir}`)
    expect(r.stdout()).toContain(join(dataDir, 'logs', 'starpunk.log'))
    expect(statSync(join(dataDir, 'session-secret')).mode & 0o777).toBe(0o600)
    r.child.kill('SIGINT')
    expect(await r.exit).toBe(0)
    expect(r.stdout()).toContain('shutdown complete')
    expect(existsSync(join(dataDir, 'logs', 'starpunk.log'))).toBe(true)
  })

  it('keeps serving when whoever reads its output goes away (EPIPE), and still logs to the file', async () => {
    const r = run(['serve'], { STARPUNK_PORT: '0' })
    const url = await waitFor(runningUrl(r), 'listening', r)
    r.child.stdout?.destroy()
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${url}/health`, { headers: { 'x-request-id': `after-epipe-${i}` } })).status).toBe(200)
    }
    // The last request's line reached the file, so its console write (the one that meets the closed pipe) was made too.
    const logFile = join(cwd, 'data', 'logs', 'starpunk.log')
    await expect.poll(() => readFileSync(logFile, 'utf8')).toContain('"requestId":"after-epipe-4"')
    expect(r.child.exitCode).toBeNull()
    r.child.kill('SIGINT')
    expect(await r.exit).toBe(0)
    const file = readFileSync(join(cwd, 'data', 'logs', 'starpunk.log'), 'utf8')
    expect(file).toContain('"requestId":"after-epipe-4"')
  })

  it('a second Ctrl-C while a request is still in flight forces the exit (130) and says so', async () => {
    const r = run(['serve'], { STARPUNK_PORT: '0' })
    const url = new URL(await waitFor(runningUrl(r), 'listening', r))
    // A request whose body never finishes arriving: the graceful stop waits for it (up to its grace period).
    const socket = connect(Number(url.port), url.hostname)
    await new Promise<void>((res) => socket.once('connect', () => res()))
    socket.write(`POST /micropub HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":`)
    socket.on('error', () => {})
    r.child.kill('SIGINT')
    await waitFor(() => (r.stderr().includes('Ctrl-C again to force') ? 'yes' : null), 'the graceful stop', r)
    r.child.kill('SIGINT')
    expect(await r.exit).toBe(130)
    expect(r.stderr()).toContain('Forced exit: in-flight requests were cut.')
    expect(r.stdout()).not.toContain('shutdown complete')
    socket.destroy()
  })

  it('SIGTERM is graceful too', async () => {
    const r = run(['serve'], { STARPUNK_PORT: '0', STARPUNK_DATA_DIR: join(cwd, 'elsewhere'), STARPUNK_LOG_FORMAT: 'json' })
    await waitFor(() => (r.stdout().includes('"StarPunk is running"') ? 'yes' : null), 'listening', r)
    r.child.kill('SIGTERM')
    expect(await r.exit).toBe(0)
    // Log lines are JSON; the one-time sign-in link is printed for the person, as plain text.
    const lines = r
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; fields?: Record<string, unknown> })
    expect(lines.find((l) => l.msg === 'shutting down')?.fields?.reason).toBe('SIGTERM')
    expect(lines.at(-1)?.msg).toBe('shutdown complete')
    expect(existsSync(join(cwd, 'elsewhere', 'starpunk.db'))).toBe(true)
  })

  it('with invalid settings prints every problem and exits 1 without starting', async () => {
    const r = run(['serve'], { STARPUNK_PORT: 'http', STARPUNK_LOG_LEVEL: 'chatty', STARPUNK_SESSION_SECRET: 'tiny-secret' })
    expect(await r.exit).toBe(1)
    const err = r.stderr()
    expect(err).toContain('3 configuration problems')
    expect(err).toContain('STARPUNK_PORT is "http"')
    expect(err).toContain('STARPUNK_LOG_LEVEL is "chatty"')
    expect(err).toContain('STARPUNK_SESSION_SECRET is (hidden, 11 characters)')
    expect(err).not.toContain('tiny-secret')
    expect(err).toMatch(/What to do: /)
    expect(err).toMatch(/ {2}1\) /)
    expect(existsSync(join(cwd, 'data', 'starpunk.db'))).toBe(false)
  })

  it('a port in use is a clear message naming host and port, exit 1, no stack trace', async () => {
    const blocker: Server = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    try {
      const r = run(['serve'], { STARPUNK_PORT: String(port) })
      expect(await r.exit).toBe(1)
      const err = r.stderr()
      expect(err).toContain('[PORT_IN_USE]')
      expect(err).toContain(`Port ${port} on 127.0.0.1 is already in use`)
      expect(err).toContain('STARPUNK_PORT')
      expect(err).not.toMatch(/^\s+at /m)
      expect(r.stdout()).not.toMatch(/^\s+at /m)
      expect(r.stdout()).not.toContain('\\n    at ')
    } finally {
      await new Promise((r) => blocker.close(r))
    }
  })
  it('an address this machine does not have is a configuration message, not a stack', async () => {
    // 192.0.2.0/24 is TEST-NET-1: never assigned to a real interface.
    const r = run(['serve'], { STARPUNK_PORT: '0', STARPUNK_HOST: '192.0.2.1' })
    expect(await r.exit).toBe(1)
    expect(r.stderr()).toContain('STARPUNK_HOST is "192.0.2.1": this machine has no such address')
    expect(r.stderr() + r.stdout()).not.toMatch(/^\s+at /m)
  })
})

describe('npm run check-config', () => {
  it('prints the effective values with secrets masked, exits 0, and creates nothing', async () => {
    const secret = 'a-configured-secret-that-is-long-enough-1234'
    const r = run(['check-config'], { STARPUNK_SESSION_SECRET: secret, STARPUNK_SITE_NAME: 'My notes' })
    expect(await r.exit).toBe(0)
    const out = r.stdout()
    expect(out).toContain('Configuration OK')
    expect(out).toMatch(/STARPUNK_SITE_NAME +My notes +\[env\]/)
    expect(out).toMatch(/STARPUNK_SESSION_SECRET +\*{8} +\[env\]/)
    expect(out).not.toContain(secret)
    expect(existsSync(join(cwd, 'data'))).toBe(false)
  })

  it('prints every problem and exits 1', async () => {
    const r = run(['check-config'], { STARPUNK_DB_POOL_SIZE: '-1', STARPUNK_SITE_URL: 'not a url' })
    expect(await r.exit).toBe(1)
    expect(r.stderr()).toContain('2 problems')
    expect(r.stderr()).toContain('STARPUNK_DB_POOL_SIZE')
    expect(r.stderr()).toContain('STARPUNK_SITE_URL')
  })

  it('an unknown command prints usage and exits 2', async () => {
    const r = run(['frobnicate'])
    expect(await r.exit).toBe(2)
    expect(r.stderr()).toContain('Usage:')
  })
})
