/**
 * Real server processes for the chaos suite: spawned with node + tsx (one process, so kill -9 hits the
 * server itself, not a wrapper), on a free loopback port and a temp data dir under the run directory.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { tmpdir } from 'node:os'

export const REPO_ROOT = resolve(import.meta.dirname, '../..')
const ENTRY = join(REPO_ROOT, 'chaos/harness/server-entry.ts')

/** Where every data dir of this run lives (the log scan reads them all at the end). */
export function runDir(): string {
  const dir = process.env.CHAOS_RUN_DIR ?? join(tmpdir(), 'starpunk-chaos-adhoc')
  mkdirSync(dir, { recursive: true })
  return dir
}

export function newDataDir(label: string): string {
  return mkdtempSync(join(runDir(), `${label}-`))
}

export interface ReadyInfo {
  url: string
  pid: number
  token?: string
  loginLink?: string
  capabilities: { tokens: boolean; auth: boolean; micropub: boolean }
}

export interface ServerProcess extends ReadyInfo {
  child: ChildProcess
  dataDir: string
  /** Everything the process wrote, for diagnostics and leak checks. */
  stdout: () => string
  stderr: () => string
  alive: () => boolean
  /** Resident set size of the server process, bytes (from /proc). */
  rssBytes: () => number
  /** Force a full garbage collection in the server (SIGUSR2 to the chaos entry) and read its memory. */
  heapAfterGc: () => Promise<HeapFigures>
  kill9: () => Promise<void>
  /** SIGTERM and wait for a graceful exit. */
  stop: () => Promise<number | null>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface HeapFigures {
  heapUsed: number
  external: number
  arrayBuffers: number
  rss: number
}

export interface StartOptions {
  dataDir: string
  env?: Record<string, string>
  /** Mint a personal token and a login link in the ready line. */
  setup?: boolean
  startTimeoutMs?: number
}

export const BASE_ENV: Record<string, string> = {
  STARPUNK_HOST: '127.0.0.1',
  STARPUNK_PORT: '0',
  STARPUNK_LOG_FORMAT: 'json',
  STARPUNK_LOG_LEVEL: 'INFO',
  STARPUNK_SITE_URL: 'http://127.0.0.1:8080',
  // No request to other sites unless a chaos test turns it on (with STARPUNK_FETCH_ALLOW_PRIVATE=true for loopback parties).
  STARPUNK_FETCH_ENABLED: 'false',
}

export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.node.json'),
    ...BASE_ENV,
    STARPUNK_DATA_DIR: options.dataDir,
    ...(options.setup ? { CHAOS_SETUP: '1' } : {}),
    ...options.env,
  }
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', ENTRY], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let exitedFlag = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true
      resolveExit({ code, signal })
    })
  })
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    // Bounded: a chatty process must not grow the test's memory without end.
    if (err.length < 4_000_000) err += chunk
  })
  const ready = await new Promise<ReadyInfo>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not start within ${options.startTimeoutMs ?? 30_000} ms\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-3000)}`))
    }, options.startTimeoutMs ?? 30_000)
    let found = false
    child.stdout.on('data', (chunk: string) => {
      if (out.length < 4_000_000) out += chunk
      if (found) return
      const line = out.split('\n').find((l) => l.startsWith('{"chaosReady":true'))
      if (line) {
        found = true
        clearTimeout(timer)
        resolveReady(JSON.parse(line) as ReadyInfo)
      }
    })
    void exited.then(({ code, signal }) => {
      if (found) return
      clearTimeout(timer)
      reject(new Error(`server exited before ready (code ${code}, signal ${signal})\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-3000)}`))
    })
  })
  return {
    ...ready,
    child,
    dataDir: options.dataDir,
    stdout: () => out,
    stderr: () => err,
    alive: () => !exitedFlag,
    rssBytes: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)
      return kb ? Number(kb[1]) * 1024 : NaN
    },
    heapAfterGc() {
      return new Promise<HeapFigures>((resolveHeap, reject) => {
        let pending = ''
        const timer = setTimeout(() => {
          child.stdout.off('data', onData)
          reject(new Error('the server did not report its heap within 10 s'))
        }, 10_000)
        // Read from the stream, not `out`: `out` stops growing at its cap, and the logs are on stdout too.
        const onData = (chunk: string) => {
          pending += chunk
          const lines = pending.split('\n')
          pending = lines.pop() ?? ''
          const line = lines.find((l) => l.startsWith('{"chaosHeap":'))
          if (!line) return
          clearTimeout(timer)
          child.stdout.off('data', onData)
          resolveHeap((JSON.parse(line) as { chaosHeap: HeapFigures }).chaosHeap)
        }
        child.stdout.on('data', onData)
        child.kill('SIGUSR2')
      })
    },
    async kill9() {
      if (exitedFlag) return
      child.kill('SIGKILL')
      await exited
    },
    async stop() {
      if (exitedFlag) return (await exited).code
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      const result = await exited
      clearTimeout(timer)
      return result.code
    },
    exited,
  }
}
