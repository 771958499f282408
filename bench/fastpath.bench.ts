// The fast path and compression: cached pages, feeds, a 304 and /health answered before Express against a
// bare node:http server sending the same bytes and headers; the full stack (STARPUNK_FAST_PATH=false)
// against the fast path; compressed against uncompressed cached pages through the fast path (req/s and
// bytes); and what compressing one cache entry costs once. Every server is its own process on SERVER_CPU,
// wrk is its own process on LOAD_CPU (bench/lib.ts), request logging on at INFO as people run it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib'
import { compressBody } from '../src/main/server/http'
import { abNote, captureResponse, compareAb, LOAD_CPU, loadAverage, percentile, startBare, startStarpunk, timePerOp, wrk, type BenchContext, type ServerProcess } from './lib'
import { seed, settle } from './pages.bench'

const GROUP = 'Fast path and compression'

/** compareAb with different request headers on each side (one server, two representations). */
async function compareHeaders(url: string, a: Record<string, string>, b: Record<string, string>, seconds: number, pairs: number) {
  const run = (headers: Record<string, string>, s: number) => wrk(url, s, { cpu: LOAD_CPU, headers })
  await run(a, 2)
  await run(b, 2)
  const totals = { a: 0, b: 0 }
  const ratios: number[] = []
  for (let pair = 0; pair < pairs; pair++) {
    const counts = { a: 0, b: 0 }
    for (const side of pair % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
      const result = await run(side === 'a' ? a : b, seconds)
      if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} responses >= 400`)
      counts[side] = result.requests
      totals[side] += result.requests
    }
    ratios.push(counts.a / counts.b)
  }
  return { a: totals.a / (pairs * seconds), b: totals.b / (pairs * seconds), ratios }
}

export default async function fastPathBench(ctx: BenchContext): Promise<void> {
  const seconds = ctx.quick ? 2 : 5
  const pairs = ctx.quick ? 2 : 4
  const fastDir = await seed(1_000)
  const fullDir = await seed(1_000)
  const logDir = mkdtempSync(join(tmpdir(), 'starpunk-bench-fastpath-logs-'))
  const started: ServerProcess[] = []
  try {
    const fast = await startStarpunk({ dataDir: fastDir, name: 'fast' })
    started.push(fast)
    const full = await startStarpunk({ dataDir: fullDir, name: 'full', env: { STARPUNK_FAST_PATH: 'false' } })
    started.push(full)
    await settle(fast.url)
    await settle(full.url)

    const routes = [
      ['/', 'home page'],
      ['/notes/note-500', 'note page'],
      ['/feed.rss', 'RSS feed'],
      ['/health', 'GET /health'],
    ] as const
    // Twice: the first request of a URL goes through Express and teaches the fast path.
    for (const [path] of routes) await captureResponse(fast.url, path)
    const captured = await Promise.all(routes.map(([path]) => captureResponse(fast.url, path)))
    const etag = captured[0]!.headers.find(([name]) => name.toLowerCase() === 'etag')?.[1] ?? ''
    const notModified = await captureResponse(fast.url, '/', { 'if-none-match': etag })
    if (notModified.status !== 304) throw new Error(`If-None-Match on / answered ${notModified.status}`)
    const bare = await startBare([...captured, notModified], { logDir, readyPath: '/' })
    started.push(bare)

    for (const [i, [path, label]] of routes.entries()) {
      const result = await compareAb(`${fast.url}${path}`, `${bare.url}${path}`, { seconds, pairs })
      if (result.non2xx.a) throw new Error(`${path}: ${result.non2xx.a} responses >= 400`)
      ctx.report({
        group: GROUP,
        name: `${label} req/s: fast path vs bare node:http (same ${Buffer.from(captured[i]!.body, 'base64').length} bytes and headers)`,
        ours: result.a,
        baseline: result.b,
        unit: 'req/s',
        higherIsBetter: true,
        note: `${abNote(result)}; load ${loadAverage()}`,
      })
    }
    const result304 = await compareAb(`${fast.url}/`, `${bare.url}/`, { seconds, pairs, headers: { 'if-none-match': etag } })
    ctx.report({
      group: GROUP,
      name: 'conditional GET of home answered 304: fast path vs bare node:http 304',
      ours: result304.a,
      baseline: result304.b,
      unit: 'req/s',
      higherIsBetter: true,
      note: `${abNote(result304)}; load ${loadAverage()}`,
    })
    await bare.stop()

    for (const [path, label] of [routes[0], routes[1], routes[3]]) {
      const result = await compareAb(`${full.url}${path}`, `${fast.url}${path}`, { seconds, pairs })
      ctx.report({
        group: GROUP,
        name: `${label} req/s: full stack (STARPUNK_FAST_PATH=false) vs fast path`,
        ours: result.a,
        baseline: result.b,
        unit: 'req/s',
        higherIsBetter: true,
        note: `${abNote(result)}; load ${loadAverage()}`,
      })
    }

    for (const [path, label] of [routes[0], routes[1], routes[2]]) {
      const identity = await captureResponse(fast.url, path)
      for (const coding of ['br', 'gzip'] as const) {
        const encoded = await captureResponse(fast.url, path, { 'accept-encoding': coding })
        ctx.report({
          group: GROUP,
          name: `${label} bytes sent: ${coding} vs uncompressed`,
          ours: Buffer.from(encoded.body, 'base64').length,
          baseline: Buffer.from(identity.body, 'base64').length,
          unit: 'bytes',
          higherIsBetter: false,
        })
      }
      const rate = await compareHeaders(`${fast.url}${path}`, { 'accept-encoding': 'gzip, deflate, br' }, {}, seconds, pairs)
      ctx.report({
        group: GROUP,
        name: `${label} req/s through the fast path: brotli vs uncompressed`,
        ours: rate.a,
        baseline: rate.b,
        unit: 'req/s',
        higherIsBetter: true,
        note: `${pairs} AB/BA pairs of ${seconds} s; pair ratios median ${percentile(rate.ratios, 50).toFixed(2)} (${Math.min(...rate.ratios).toFixed(2)}–${Math.max(...rate.ratios).toFixed(2)}); load ${loadAverage()}`,
      })
    }

    // Once per cache entry, in the thread pool: brotli 5 + gzip 6 as built, against brotli 11 (not chosen).
    const home = Buffer.from(captured[0]!.body, 'base64')
    const ops = ctx.quick ? 10 : 40
    const chosen = await timePerOp(ops, () => compressBody(home, 'text/html; charset=utf-8'))
    const best = await timePerOp(Math.max(3, ops / 8), () =>
      brotliCompressSync(home, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: home.length } }),
    )
    ctx.report({
      group: GROUP,
      name: `one-time compression of a home-page cache entry (${home.length} bytes): brotli 5 + gzip 6 vs brotli 11 alone`,
      ours: chosen,
      baseline: best,
      unit: 'ms',
      higherIsBetter: false,
      note: `load ${loadAverage()}`,
    })
  } finally {
    for (const server of started) await server.stop()
    rmSync(logDir, { recursive: true, force: true })
    rmSync(fastDir, { recursive: true, force: true })
    rmSync(fullDir, { recursive: true, force: true })
  }
}
