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
