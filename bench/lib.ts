import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import autocannon from 'autocannon'

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

/** Drive a URL with autocannon on loopback, bounded in time. */
export async function load(url: string, options: { seconds?: number; connections?: number; headers?: Record<string, string> } = {}): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections ?? 10,
    duration: options.seconds ?? 5,
    headers: options.headers,
  })
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  }
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
  non2xx: number
}

/**
 * Load `url` with wrk, its own process (a load generator inside the server's process would share its event
 * loop and measure itself): 10 connections, one thread, p50/p99 from its latency distribution. `cpu` pins
 * wrk to that CPU with taskset.
 */
export async function wrk(url: string, seconds: number, options: { cpu?: string } = {}): Promise<WrkResult> {
  const args = ['-t1', '-c10', `-d${seconds}s`, '--latency', url]
  const { stdout } = options.cpu === undefined
    ? await execFileAsync('/usr/bin/wrk', args, { maxBuffer: 1 << 20 })
    : await execFileAsync('/usr/bin/taskset', ['-c', options.cpu, '/usr/bin/wrk', ...args], { maxBuffer: 1 << 20 })
  const at = (p: string) => wrkMs(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? 'NaN')
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0)
  return { p50: at('50'), p99: at('99'), requests, non2xx }
}
