// Metrics collection on vs off on the full stack: req/s of one real server (createServer, every middleware,
// the page cache) loaded by wrk (its own process), in alternating rounds with per-request counting on and off
// (`metrics.collecting`, which STARPUNK_METRICS_ENABLED sets at startup), ABBA so drift in the machine's
// load falls on both sides alike. One process for both sides: two server processes differ by ±15% between
// themselves (measured with both on), far more than what is measured here. This process (with its worker
// threads) runs on one CPU and wrk on the other, so the scheduler's placement does not move the figures.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createServer } from '../src/main/server'
import { loadConfig } from '../src/main/server/config'
import { percentile, wrk, type BenchContext } from './lib'

const GROUP = 'Metrics'
const run = promisify(execFile)
const TASKSET = '/usr/bin/taskset'
const SERVER_CPU = '1'
const WRK_CPU = '0'

export default async function metricsOnOffBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-metrics-'))
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'WARNING', STARPUNK_FETCH_ENABLED: 'false' } })
  if (problems.length) throw new Error(problems.map((p) => p.message).join('; '))
  const server = await createServer(config, { logging: { write: () => {} } })
  // All threads of this process (its reader and render threads too) on one CPU, wrk on the other; the
  // benches after this one get the CPUs they had back.
  const { stdout: affinity } = await run(TASKSET, ['-c', '-p', String(process.pid)])
  const cpusBefore = /list:\s*(\S+)/.exec(affinity)?.[1] ?? '0-1023'
  await run(TASKSET, ['-a', '-p', '-c', SERVER_CPU, String(process.pid)])
  try {
    const base = await server.listen()
    for (let i = 1; i <= 5; i++) await server.context.notes.create({ content: `A note with some **Markdown**, number ${i}.`, published: true })
    const page = `${base}/`
    const metrics = server.context.metrics
    const seconds = ctx.quick ? 2 : 5
    const pairs = ctx.quick ? 8 : 24
    await wrk(page, 2, { cpu: WRK_CPU }) // warm up: JIT, page cache
    let onTotal = 0
    let offTotal = 0
    let non2xx = 0
    const ratios: number[] = []
    for (let pair = 0; pair < pairs; pair++) {
      const order = pair % 2 === 0 ? [true, false] : [false, true]
      const counts: Record<string, number> = {}
      for (const collecting of order) {
        metrics.collecting = collecting
        const result = await wrk(page, seconds, { cpu: WRK_CPU })
        counts[String(collecting)] = result.requests
        non2xx += result.non2xx
      }
      onTotal += counts.true!
      offTotal += counts.false!
      ratios.push(counts.true! / counts.false!)
    }
    metrics.collecting = true
    ctx.report({
      group: GROUP,
      name: 'req/s of a cached page (/, full stack), metrics collection on vs off',
      ours: onTotal / (pairs * seconds),
      baseline: offTotal / (pairs * seconds),
      unit: 'req/s',
      higherIsBetter: true,
      note:
        `${pairs} ABBA pairs of ${seconds} s, wrk -t1 -c10 in its own process on CPU ${WRK_CPU}, the server on CPU ${SERVER_CPU}; ` +
        `per-pair ratio median ${percentile(ratios, 50).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}); non-2xx ${non2xx}`,
    })
  } finally {
    await server.close()
    await run(TASKSET, ['-a', '-p', '-c', cpusBefore, String(process.pid)])
    rmSync(dir, { recursive: true, force: true })
  }
}
