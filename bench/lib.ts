import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export interface BenchRow {
  /** Section, e.g. "Database pool". */
  group: string
  /** What is compared, e.g. "point query: pooled vs open-per-request". */
  name: string
  ours: number
  baseline: number
  unit: string
  /** true for throughput (req/s), false for latency (ms). */
  higherIsBetter: boolean
  note?: string
}

export interface BenchContext {
  report(row: BenchRow): void
  /** Shorter runs for a smoke check (`npm run bench -- --quick`). */
  quick: boolean
}

export type BenchModule = (ctx: BenchContext) => Promise<void>

export interface LoadResult {
  reqPerSec: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

/**
 * Drive a URL with wrk for a bounded time. wrk is its own process, so the load generator never shares the
 * event loop of a server running in this process (autocannon in-process did, and capped the faster side).
 * For comparisons of one server against itself (logging on/off, with/without a session). Comparisons with
 * a bare node:http baseline use the pinned harness below (`startStarpunk`, `startBare`, `compareAb`).
 */
export async function load(url: string, options: { seconds?: number; connections?: number; headers?: Record<string, string>; cpu?: string } = {}): Promise<LoadResult> {
  const seconds = options.seconds ?? 5
  const result = await wrk(url, seconds, { connections: options.connections, headers: options.headers, cpu: options.cpu })
  return { reqPerSec: result.requests / seconds, p50: result.p50, p99: result.p99, errors: result.socketErrors, non2xx: result.non2xx }
}

/** Median of n runs of fn's synchronous/asynchronous duration per op, in ms. */
export async function timePerOp(ops: number, fn: () => unknown): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < ops; i++) await fn()
  return (performance.now() - start) / ops
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] as number
}

const execFileAsync = promisify(execFile)

/** wrk's latency figure ("1.23ms", "850.00us", "1.02s") in ms. */
function wrkMs(figure: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(figure)
  if (!match) throw new Error(`wrk latency "${figure}" not understood`)
  const value = Number(match[1])
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value
}

export interface WrkResult {
  p50: number
  p99: number
  requests: number
  /** Responses with a status of 400 or more (wrk's "Non-2xx or 3xx", which in fact counts >= 400). */
  non2xx: number
  /** connect, read, write and timeout errors. */
  socketErrors: number
  /** wrk's whole report, with whatever a `script`'s done() printed. */
  stdout: string
}

/**
 * Load `url` with wrk, its own process (a load generator inside the server's process would share its event
 * loop and measure itself): 10 connections, one thread, p50/p99 from its latency distribution. `cpu` pins
 * wrk to that CPU with taskset.
 */
export async function wrk(
  url: string,
  seconds: number,
  options: { cpu?: string; headers?: Record<string, string>; connections?: number; /** A Lua script file for wrk -s. */ script?: string } = {},
): Promise<WrkResult> {
  const headerArgs = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`])
  const scriptArgs = options.script === undefined ? [] : ['-s', options.script]
  const args = ['-t1', `-c${options.connections ?? 10}`, `-d${seconds}s`, '--latency', ...scriptArgs, ...headerArgs, url]
  const { stdout } = options.cpu === undefined
    ? await execFileAsync('/usr/bin/wrk', args, { maxBuffer: 1 << 20 })
    : await execFileAsync('/usr/bin/taskset', ['-c', options.cpu, '/usr/bin/wrk', ...args], { maxBuffer: 1 << 20 })
  const at = (p: string) => wrkMs(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? 'NaN')
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  return { p50: at('50'), p99: at('99'), requests, non2xx, socketErrors, stdout }
}

// ---------------------------------------------------------------------------------------------------------
// The HTTP comparison harness. Every side of a comparison is a server in its own process pinned to one CPU
// (SERVER_CPU) and loaded by wrk in another process pinned to the other (LOAD_CPU): a load generator in the
// server's process would share its event loop and cap whichever side is faster. Both sides get the same
// CPU, the same warm-up and alternating rounds (AB, BA, AB, ...), so drift in the machine's load falls on
// both alike. The baseline is bench/bare-server.mjs: bare node:http sending the exact status, headers and
// bytes captured from ours.

export const SERVER_CPU = '1'
export const LOAD_CPU = '0'
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const BARE_SERVER = join(ROOT, 'bench/bare-server.mjs')
/** The compiled server entry `npm run serve` runs (built by `npm run preserve`, scripts/build-server.mjs). */
export const COMPILED_ENTRY = join(ROOT, 'out/server/cli.mjs')

export interface ServerProcess {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string
  pid: number
  /** Where the process's stdout and stderr go (its log lines, the banner). */
  logPath: string
  /** Resident set size of the process now, MiB (VmRSS, threads included). */
  rssMiB(): number
  stop(): Promise<void>
}

/** A free loopback port, chosen here so the child can be polled from the moment it is exec'd. */
export async function freePort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  return port
}

export function rssMiBOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN)
  return kib / 1024
}

/** One GET on loopback; resolves with the status, or rejects (e.g. ECONNREFUSED while starting). */
function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${url} timed out`)))
  })
}

/** Poll `url` (every 2 ms while refused) until it answers 200; returns ms since `since`. */
export async function waitFor200(url: string, since: number, child: ChildProcess, timeoutMs = 60_000): Promise<number> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process exited (${child.exitCode ?? child.signalCode}) before ${url} answered`)
    try {
      if ((await getStatus(url)) === 200) return performance.now() - since
    } catch {
      // not listening yet
    }
    if (performance.now() - since > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

interface SpawnOptions {
  /** Pin the process (all its threads) to this CPU with taskset; null: no pinning. Default SERVER_CPU. */
  cpu?: string | null
  env?: Record<string, string>
  /** Path polled for the first 200 that says the process is ready. */
  readyPath: string
  logDir: string
  name: string
  /** How long the first 200 may take (a large database's start-up work); default 60 s. */
  readyTimeoutMs?: number
}

export interface CommandOptions {
  cpu?: string | null
  env?: Record<string, string>
  readyPath: string
  logDir: string
  name: string
  readyTimeoutMs?: number
}

/**
 * Any command that serves HTTP on $PORT / $STARPUNK_PORT (e.g. `npm run serve`), in its own process group
 * so stop() ends the whole tree it starts.
 */
export function startCommand(command: string, args: string[], options: CommandOptions): Promise<ServerProcess & { startMs: number }> {
  return spawnServer(command, args, { ...options, group: true })
}

async function spawnServer(command: string, args: string[], options: SpawnOptions & { group?: boolean }): Promise<ServerProcess & { startMs: number }> {
  const port = await freePort()
  const logPath = join(options.logDir, `${options.name}.log`)
  const out = openSync(logPath, 'a')
  const cpu = options.cpu === undefined ? SERVER_CPU : options.cpu
  const [file, argv] = cpu === null ? [command, args] : ['/usr/bin/taskset', ['-c', cpu, command, ...args]]
  const since = performance.now()
  // taskset execs the command, so the pid is the server's own.
  const child = spawn(file, argv, { cwd: ROOT, env: { ...process.env, ...options.env, PORT: String(port), STARPUNK_PORT: String(port) }, stdio: ['ignore', out, out], detached: options.group === true })
  const signal = (name: NodeJS.Signals) => (options.group ? process.kill(-child.pid!, name) : child.kill(name))
  closeSync(out)
  const url = `http://127.0.0.1:${port}`
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let startMs: number
  try {
    startMs = await waitFor200(`${url}${options.readyPath}`, since, child, options.readyTimeoutMs)
  } catch (err) {
    signal('SIGKILL')
    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-2000) : ''
    throw new Error(`${options.name}: ${(err as Error).message}\n${log}`, { cause: err })
  }
  return {
    url,
    pid: child.pid!,
    logPath,
    startMs,
    rssMiB: () => rssMiBOf(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      signal('SIGTERM')
      const timer = setTimeout(() => signal('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
    },
  }
}

export type StarpunkEntry = 'compiled' | 'source'

/** The node flags `npm run serve` starts the compiled entry with (package.json), so the benches run the same. */
export function serveNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const words = (pkg.scripts.serve ?? '').split(/\s+/)
  const start = words.indexOf('node')
  const end = words.indexOf('out/server/cli.mjs')
  return start >= 0 && end > start ? words.slice(start + 1, end) : []
}

/** How a StarPunk server process is started: the compiled entry when built, else the sources through tsx. */
export function starpunkCommand(entry: StarpunkEntry = existsSync(COMPILED_ENTRY) ? 'compiled' : 'source'): { entry: StarpunkEntry; command: string; args: string[]; env: Record<string, string> } {
  if (entry === 'compiled') return { entry, command: process.execPath, args: [...serveNodeFlags(), COMPILED_ENTRY, 'serve'], env: {} }
  return { entry, command: process.execPath, args: ['--import', 'tsx', join(ROOT, 'src/main/cli.ts'), 'serve'], env: { TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.node.json') } }
}

/**
 * `starpunk serve` on `dataDir` in its own process, as a person runs it (human log format, request logging
 * at INFO, its lines going to a file in place of a terminal), ready once /health answers 200.
 */
export async function startStarpunk(options: { dataDir: string; env?: Record<string, string>; cpu?: string | null; entry?: StarpunkEntry; name?: string; readyTimeoutMs?: number }): Promise<ServerProcess & { startMs: number; entry: StarpunkEntry }> {
  const how = starpunkCommand(options.entry)
  const server = await spawnServer(how.command, how.args, {
    cpu: options.cpu,
    readyPath: '/health',
    logDir: options.dataDir,
    name: options.name ?? 'starpunk',
    readyTimeoutMs: options.readyTimeoutMs,
    env: { STARPUNK_DATA_DIR: options.dataDir, STARPUNK_HOST: '127.0.0.1', STARPUNK_LOG_FORMAT: 'human', STARPUNK_FETCH_ENABLED: 'false', ...how.env, ...options.env },
  })
  return { ...server, entry: how.entry }
}

/** One response as it went over the wire: status, headers in order (raw names), body bytes in base64. */
export interface CapturedResponse {
  path: string
  /** Set for a conditional response: the bare server sends it when a request carries this If-None-Match. */
  ifNoneMatch?: string
  status: number
  headers: [string, string][]
  body: string
}

/** GET `path` from `base` with node:http (no decoding of the body, unlike fetch), keeping every header. */
export function captureResponse(base: string, path: string, headers: Record<string, string> = {}): Promise<CapturedResponse> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${base}${path}`, { agent: false, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const raw = res.rawHeaders
        const pairs: [string, string][] = []
        for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!])
        resolve({ path, ifNoneMatch: headers['if-none-match'], status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks).toString('base64') })
      })
    })
    req.on('error', reject)
  })
}

/** bench/bare-server.mjs in its own process (pinned like ours), serving `responses` byte for byte. */
export async function startBare(responses: CapturedResponse[], options: { logDir: string; cpu?: string | null; name?: string; readyPath?: string }): Promise<ServerProcess & { startMs: number }> {
  const name = options.name ?? 'bare'
  const file = join(options.logDir, `${name}-responses.json`)
  writeFileSync(file, JSON.stringify(responses))
  return spawnServer(process.execPath, [BARE_SERVER, file], { cpu: options.cpu, readyPath: options.readyPath ?? responses[0]?.path ?? '/health', logDir: options.logDir, name })
}

export interface AbResult {
  /** Mean req/s over all measured rounds of each side. */
  a: number
  b: number
  /** a/b per pair of rounds. */
  ratios: number[]
  p99: { a: number; b: number }
  non2xx: { a: number; b: number }
  rounds: number
  seconds: number
}

/**
 * req/s of `a` vs `b` under wrk (pinned to LOAD_CPU): a warm-up of each, then `pairs` pairs of rounds in
 * alternating order (AB, BA, ...). `headers` go on every request (e.g. If-None-Match for 304s).
 */
export async function compareAb(a: string, b: string, options: { seconds: number; pairs: number; warmupSeconds?: number; headers?: Record<string, string> }): Promise<AbResult> {
  const run = (url: string, seconds: number) => wrk(url, seconds, { cpu: LOAD_CPU, headers: options.headers })
  await run(a, options.warmupSeconds ?? 2)
  await run(b, options.warmupSeconds ?? 2)
  const totals = { a: 0, b: 0 }
  const non2xx = { a: 0, b: 0 }
  const p99s: { a: number[]; b: number[] } = { a: [], b: [] }
  const ratios: number[] = []
  for (let pair = 0; pair < options.pairs; pair++) {
    const counts = { a: 0, b: 0 }
    for (const side of pair % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
      const result = await run(side === 'a' ? a : b, options.seconds)
      counts[side] = result.requests
      totals[side] += result.requests
      non2xx[side] += result.non2xx
      p99s[side].push(result.p99)
    }
    ratios.push(counts.a / counts.b)
  }
  const time = options.pairs * options.seconds
  return { a: totals.a / time, b: totals.b / time, ratios, p99: { a: percentile(p99s.a, 50), b: percentile(p99s.b, 50) }, non2xx, rounds: options.pairs * 2, seconds: options.seconds }
}

/** The note every harness row carries: how it was measured and how steady the pairs were. */
export function abNote(result: AbResult): string {
  return (
    `${result.rounds / 2} AB/BA pairs of ${result.seconds} s, wrk -t1 -c10 on CPU ${LOAD_CPU}, servers on CPU ${SERVER_CPU}; ` +
    `pair ratios median ${percentile(result.ratios, 50).toFixed(2)} (${Math.min(...result.ratios).toFixed(2)}–${Math.max(...result.ratios).toFixed(2)}); ` +
    `p99 ${result.p99.a.toFixed(2)} vs ${result.p99.b.toFixed(2)} ms`
  )
}

/** The machine's load average now, for the record next to every figure. */
export function loadAverage(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(', ')
}
