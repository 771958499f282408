// Start fast, stay small: cold start (exec to the first 200 on /health, a fresh data dir each time) of the
// compiled entry started with `node` vs a bare node:http process started the same way, and `npm run serve`'s
// total (npm and its preserve check included); then resident memory of the server process idle (after
// start-up, no request, 5 s settled) and after load vs the bare process. Every process is pinned to one CPU
// (bench/lib.ts, SERVER_CPU), rounds alternate which side starts first.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { captureResponse, LOAD_CPU, loadAverage, percentile, SERVER_CPU, startBare, startCommand, startStarpunk, wrk, type BenchContext, type CapturedResponse } from './lib'

const GROUP = 'Start-up and memory'

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const SERVER_OUT = join(import.meta.dirname, '../out/server')
/** The V8 code caches out/server/load.mjs keeps beside the bundle (one per V8 version). */
function removeCodeCaches(): void {
  for (const name of readdirSync(SERVER_OUT)) if (/^server\.cjs\..+\.cache$/.test(name)) rmSync(join(SERVER_OUT, name), { force: true })
}

export default async function startupBench(ctx: BenchContext): Promise<void> {
  const build = (await import(pathToFileURL(join(import.meta.dirname, '../scripts/build-server.mjs')).href)) as { ensureServerBuilt(): Promise<boolean> }
  await build.ensureServerBuilt()
  const work = mkdtempSync(join(tmpdir(), 'starpunk-bench-startup-'))
  const fresh = (name: string) => mkdtempSync(join(work, `${name}-`))
  try {
    // What the bare process sends: ours' /health and home page, byte for byte.
    const probe = await startStarpunk({ dataDir: fresh('probe'), entry: 'compiled' })
    let captured: CapturedResponse[]
    try {
      captured = [await captureResponse(probe.url, '/health'), await captureResponse(probe.url, '/')]
    } finally {
      await probe.stop()
    }

    const rounds = ctx.quick ? 3 : 8
    const ours: number[] = []
    const bare: number[] = []
    const npm: number[] = []
    for (let round = 0; round < rounds; round++) {
      const sides = round % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const)
      for (const side of sides) {
        const dir = fresh(side)
        const server = side === 'ours' ? await startStarpunk({ dataDir: dir, entry: 'compiled' }) : await startBare(captured, { logDir: dir, readyPath: '/health' })
        ;(side === 'ours' ? ours : bare).push(server.startMs)
        await server.stop()
      }
      const dir = fresh('npm')
      const viaNpm = await startCommand('npm', ['run', 'serve', '--silent'], {
        cpu: SERVER_CPU,
        readyPath: '/health',
        logDir: dir,
        name: 'npm-run-serve',
        env: { STARPUNK_DATA_DIR: dir, STARPUNK_HOST: '127.0.0.1', STARPUNK_LOG_FORMAT: 'human', STARPUNK_FETCH_ENABLED: 'false' },
      })
      npm.push(viaNpm.startMs)
      await viaNpm.stop()
    }
    const median = (values: number[]) => percentile(values, 50)
    // The start after a build has no code cache yet (it writes one once listening): what that first start costs.
    const uncached: number[] = []
    const cached: number[] = []
    for (let round = 0; round < (ctx.quick ? 2 : 4); round++) {
      for (const withCache of round % 2 === 0 ? [false, true] : [true, false]) {
        if (!withCache) removeCodeCaches()
        const server = await startStarpunk({ dataDir: fresh(withCache ? 'cached' : 'uncached'), entry: 'compiled' })
        ;(withCache ? cached : uncached).push(server.startMs)
        await server.stop()
      }
    }
    ctx.report({
      group: GROUP,
      name: 'cold start of the compiled entry: with the V8 code cache (every start after the first) vs the first start after a build (no cache)',
      ours: median(cached),
      baseline: median(uncached),
      unit: 'ms',
      higherIsBetter: false,
      note: `median of ${uncached.length} each, alternating, fresh data dir, pinned to CPU ${SERVER_CPU}; load ${loadAverage()}`,
    })
    ctx.report({
      group: GROUP,
      name: 'cold start to the first 200 on /health: compiled entry (node out/server/cli.mjs) vs bare node:http (node bench/bare-server.mjs)',
      ours: median(ours),
      baseline: median(bare),
      unit: 'ms',
      higherIsBetter: false,
      note: `median of ${rounds} each, alternating, fresh data dir, pinned to CPU ${SERVER_CPU}; target ratio ≥ 0.25 (≤ 4×): ${(median(ours) / median(bare)).toFixed(2)}× the bare time; load ${loadAverage()}`,
    })
    ctx.report({
      group: GROUP,
      name: '`npm run serve` total (npm, preserve check, server) to the first 200 on /health vs the 800 ms target',
      ours: median(npm),
      baseline: 800,
      unit: 'ms',
      higherIsBetter: false,
      note: `median of ${rounds} (min ${Math.min(...npm).toFixed(0)}, max ${Math.max(...npm).toFixed(0)}); ratio ≥ 1 meets the target; ${(median(npm) / median(bare)).toFixed(2)}× the bare process`,
    })

    // Idle memory: both processes started, left alone for 5 s, read; three pairs, the median of each side.
    const idleOurs: number[] = []
    const idleBare: number[] = []
    for (let pair = 0; pair < (ctx.quick ? 1 : 3); pair++) {
      const oursIdle = await startStarpunk({ dataDir: fresh('idle-ours'), entry: 'compiled' })
      const bareIdle = await startBare(captured, { logDir: fresh('idle-bare'), readyPath: '/health' })
      try {
        await settle(5_000)
        idleOurs.push(oursIdle.rssMiB())
        idleBare.push(bareIdle.rssMiB())
      } finally {
        await oursIdle.stop()
        await bareIdle.stop()
      }
    }
    const idle = { ours: median(idleOurs), bare: median(idleBare) }
    ctx.report({
      group: GROUP,
      name: 'idle RSS of the server process (after start-up, no request, 5 s settled) vs bare node:http',
      ours: idle.ours,
      baseline: idle.bare,
      unit: 'MiB',
      higherIsBetter: false,
      note: `median of ${idleOurs.length} pairs (ours ${idleOurs.map((v) => v.toFixed(1)).join(', ')}); target ≤ 2× the bare process (ratio ≥ 0.5): ${(idle.ours / idle.bare).toFixed(2)}×; VmRSS from /proc`,
    })

    // Then the same load on the home page of a fresh pair.
    const oursServer = await startStarpunk({ dataDir: fresh('rss-ours'), entry: 'compiled' })
    const bareServer = await startBare(captured, { logDir: fresh('rss-bare'), readyPath: '/health' })
    try {
      const seconds = ctx.quick ? 3 : 10
      for (const url of [`${oursServer.url}/`, `${bareServer.url}/`]) await wrk(url, seconds, { cpu: LOAD_CPU })
      await settle(2_000)
      const loaded = { ours: oursServer.rssMiB(), bare: bareServer.rssMiB() }
      ctx.report({
        group: GROUP,
        name: `RSS after ${seconds} s of wrk -c10 on the home page (2 s settled): server process vs bare node:http`,
        ours: loaded.ours,
        baseline: loaded.bare,
        unit: 'MiB',
        higherIsBetter: false,
        note: `${(loaded.ours / loaded.bare).toFixed(2)}× the bare process`,
      })
    } finally {
      await oursServer.stop()
      await bareServer.stop()
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
