// HTTP and health: GET /health of the whole server (every middleware in front of it) vs a bare node:http
// process sending the same bytes and headers, each in its own process on one CPU with wrk on the other
// (bench/lib.ts, the HTTP harness); and GET /health/ready (all component checks, detailed) next to /health
// on the same server.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { abNote, captureResponse, compareAb, load, loadAverage, LOAD_CPU, startBare, startStarpunk, type BenchContext, type ServerProcess } from './lib'

const GROUP = 'HTTP and health'
const TOKEN = 'bench-health-token-0123456789abcdef'

export default async function healthBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-health-'))
  const seconds = ctx.quick ? 2 : 5
  const pairs = ctx.quick ? 2 : 4
  const started: ServerProcess[] = []
  try {
    // Request logging stays at INFO (what people run); the lines go to a file in place of a terminal. The full
    // stack: the fast path in front of it has its own bench (fastpath.bench.ts).
    const ours = await startStarpunk({ dataDir: dir, env: { STARPUNK_HEALTH_TOKEN: TOKEN, STARPUNK_LOG_FILES: 'false', STARPUNK_FAST_PATH: 'false' } })
    started.push(ours)
    const bare = await startBare([await captureResponse(ours.url, '/health')], { logDir: dir })
    started.push(bare)
    const result = await compareAb(`${ours.url}/health`, `${bare.url}/health`, { seconds, pairs })
    if (result.non2xx.a > 0) throw new Error(`/health answered ${result.non2xx.a} responses >= 400`)
    ctx.report({ group: GROUP, name: 'GET /health req/s: full stack vs bare node:http, same bytes and headers', ours: result.a, baseline: result.b, unit: 'req/s', higherIsBetter: true, note: `${abNote(result)}; load ${loadAverage()}` })
    ctx.report({ group: GROUP, name: 'GET /health p99: full stack vs bare node:http', ours: result.p99.a, baseline: result.p99.b, unit: 'ms', higherIsBetter: false })
    await bare.stop()

    const health = await load(`${ours.url}/health`, { seconds, cpu: LOAD_CPU })
    const ready = await load(`${ours.url}/health/ready`, { seconds, cpu: LOAD_CPU, headers: { authorization: `Bearer ${TOKEN}` } })
    if (ready.non2xx > 0 || ready.errors > 0) throw new Error(`/health/ready answered ${ready.non2xx} responses >= 400, ${ready.errors} errors`)
    ctx.report({ group: GROUP, name: 'GET /health/ready (detailed, all checks) p99 vs GET /health p99', ours: ready.p99, baseline: health.p99, unit: 'ms', higherIsBetter: false, note: `${Math.round(ready.reqPerSec)} req/s; concurrent probes share one run` })
    const readyBasic = await load(`${ours.url}/health/ready`, { seconds, cpu: LOAD_CPU })
    ctx.report({ group: GROUP, name: 'GET /health/ready (basic) req/s vs GET /health req/s', ours: readyBasic.reqPerSec, baseline: health.reqPerSec, unit: 'req/s', higherIsBetter: true, note: `p99 ${readyBasic.p99} ms` })
  } finally {
    for (const server of started) await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
