// HTTP and health: GET /health on the whole server (every middleware in front of it) vs a bare
// node:http handler returning the same bytes; and GET /health/ready (all component checks, detailed)
// p99 next to /health p99. Both servers run in this process, driven by autocannon on loopback.
import { createServer as createHttpServer, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, loadConfig } from '../src/main/server'
import { load, type BenchContext } from './lib'

const GROUP = 'HTTP and health'
const TOKEN = 'bench-health-token-0123456789abcdef'

export default async function healthBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-health-'))
  const seconds = ctx.quick ? 2 : 8
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_HEALTH_TOKEN: TOKEN, STARPUNK_LOG_FILES: 'false' } })
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '))
  // Access lines are formatted and redacted as usual, then dropped: the cost of logging stays in, the terminal does not.
  const server = await createServer(config, { logging: { write: () => {} } })
  const url = await server.listen()
  let bare: Server | null = null
  try {
    // The same bytes and content type /health sends, from a handler that does nothing else.
    const sample = await fetch(`${url}/health`)
    const body = await sample.text()
    bare = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/health+json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
    await new Promise<void>((resolve) => bare!.listen(0, '127.0.0.1', resolve))
    const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/health`

    // Warm both up (JIT, connection pools) so the first measured run is not paying for it.
    await load(`${url}/health`, { seconds: 1 })
    await load(`${url}/health/ready`, { seconds: 1 })
    await load(bareUrl, { seconds: 1 })

    const ours = await load(`${url}/health`, { seconds })
    const baseline = await load(bareUrl, { seconds })
    if (ours.non2xx > 0 || ours.errors > 0) throw new Error(`/health answered ${ours.non2xx} non-2xx, ${ours.errors} errors`)
    ctx.report({ group: GROUP, name: 'GET /health req/s: StarPunk vs bare node:http, same bytes', ours: ours.reqPerSec, baseline: baseline.reqPerSec, unit: 'req/s', higherIsBetter: true, note: '10 connections' })
    ctx.report({ group: GROUP, name: 'GET /health p99: StarPunk vs bare node:http', ours: ours.p99, baseline: baseline.p99, unit: 'ms', higherIsBetter: false })

    const ready = await load(`${url}/health/ready`, { seconds, headers: { authorization: `Bearer ${TOKEN}` } })
    if (ready.non2xx > 0 || ready.errors > 0) throw new Error(`/health/ready answered ${ready.non2xx} non-2xx, ${ready.errors} errors`)
    ctx.report({ group: GROUP, name: 'GET /health/ready (detailed, all checks) p99 vs GET /health p99', ours: ready.p99, baseline: ours.p99, unit: 'ms', higherIsBetter: false, note: `${Math.round(ready.reqPerSec)} req/s; concurrent probes share one run` })
    const readyBasic = await load(`${url}/health/ready`, { seconds })
    ctx.report({ group: GROUP, name: 'GET /health/ready (basic) req/s vs GET /health req/s', ours: readyBasic.reqPerSec, baseline: ours.reqPerSec, unit: 'req/s', higherIsBetter: true, note: `p99 ${readyBasic.p99} ms` })
  } finally {
    if (bare) await new Promise((resolve) => bare!.close(resolve))
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
