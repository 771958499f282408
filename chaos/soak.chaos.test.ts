/**
 * Soak: mixed traffic (pages, feeds, search, Micropub writes, health probes) at a steady rate from autocannon
 * against a real server process, in consecutive windows. Zero unexpected errors, p99 of the last window
 * compared with the first (a ratio within one run), memory growth bounded. CHAOS_SOAK_SECONDS sets the
 * length (CI default 30 s; the 10-minute run is `CHAOS_SOAK_SECONDS=600 npm run test:chaos -- soak`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import autocannon from 'autocannon'
import { newDataDir, startServer, type ServerProcess } from './harness/process'
import { request } from './harness/http'
import { recordSecret } from './harness/secrets'
import { mb, recordFigure } from './harness/figures'

const SECONDS = Number(process.env.CHAOS_SOAK_SECONDS ?? 30)
// Minute windows for a long soak ("p99 from the first minute to the last"); six windows for a short one.
const WINDOWS = SECONDS >= 360 ? Math.round(SECONDS / 60) : 6
const WINDOW_SECONDS = Math.max(3, Math.round(SECONDS / WINDOWS))
// The soak itself plus the GC probes: the suite's default test timeout (10 min) would cut a 10-minute run.
const SOAK_TIMEOUT_MS = (WINDOWS * WINDOW_SECONDS + 180) * 1000
const RATE = Number(process.env.CHAOS_SOAK_RATE ?? 80)
let server: ServerProcess
let slug = ''

beforeAll(async () => {
  server = await startServer({ dataDir: newDataDir('soak'), setup: true, env: { STARPUNK_LOG_LEVEL: 'WARNING' } })
  recordSecret('personal token', server.token)
  recordSecret('login link', server.loginLink)
  for (let i = 0; i < 30; i++) {
    const r = await request(server.url, '/micropub', {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: ['h-entry'], properties: { content: [`Soak seed note ${i} about rivers and #stones`], category: ['soak'] } }),
    })
    expect(r.status).toBe(201)
    slug = new URL(String(r.headers.location)).pathname
  }
})
afterAll(async () => {
  await server?.stop()
})

interface WindowResult {
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
  timeouts: number
  rssMb: number
}

function runWindow(): Promise<WindowResult> {
  const auth = { authorization: `Bearer ${server.token}` }
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: server.url,
        connections: 4,
        overallRate: RATE,
        duration: WINDOW_SECONDS,
        requests: [
          { method: 'GET', path: '/' },
          { method: 'GET', path: slug },
          { method: 'GET', path: '/feed.rss' },
          { method: 'GET', path: '/search?q=rivers' },
          { method: 'GET', path: '/api/search?q=stones' },
          { method: 'GET', path: '/feed.json' },
          { method: 'GET', path: '/health/ready' },
          { method: 'GET', path: '/tags/soak' },
          {
            method: 'POST',
            path: '/micropub',
            headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
            body: 'h=entry&content=Soak+write+about+rivers&category=soak',
          },
          { method: 'GET', path: '/health' },
        ],
      },
      (err, result) => {
        // autocannon types its error as any.
        if (err) return reject(err instanceof Error ? err : new Error(String(err)))
        resolve({
          p50: result.latency.p50,
          p99: result.latency.p99,
          requests: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          rssMb: Math.round(server.rssBytes() / 1048576),
        })
      },
    )
  })
}

describe(`soak (${WINDOWS} windows of ${WINDOW_SECONDS} s at ${RATE} req/s)`, () => {
  it('zero unexpected errors, last-window p99 comparable to the first, bounded memory', async () => {
    const rssStartMb = Math.round(server.rssBytes() / 1048576)
    const windows: WindowResult[] = []
    let heapAfterFirst = { heapUsed: 0, external: 0 }
    for (let i = 0; i < WINDOWS; i++) {
      windows.push(await runWindow())
      // Live memory after warm-up, measured between windows so the forced GC does not land in a window.
      if (i === 0) heapAfterFirst = await server.heapAfterGc()
    }
    const heapEnd = await server.heapAfterGc()
    const first = windows[0]!
    const last = windows[windows.length - 1]!
    const totals = windows.reduce((acc, w) => ({ requests: acc.requests + w.requests, non2xx: acc.non2xx + w.non2xx, errors: acc.errors + w.errors, timeouts: acc.timeouts + w.timeouts }), { requests: 0, non2xx: 0, errors: 0, timeouts: 0 })
    const figures = { seconds: WINDOWS * WINDOW_SECONDS, rate: RATE, ...totals, p99FirstMs: first.p99, p99LastMs: last.p99, p50FirstMs: first.p50, p50LastMs: last.p50, rssStartMb, rssAfterFirstWindowMb: first.rssMb, rssEndMb: last.rssMb, liveAfterFirstWindowMb: mb(heapAfterFirst.heapUsed + heapAfterFirst.external), liveEndMb: mb(heapEnd.heapUsed + heapEnd.external), windows }
    process.stdout.write(`soak: ${JSON.stringify(figures)}\n`)
    recordFigure('soak', figures)
    expect(server.alive()).toBe(true)
    expect(totals.errors + totals.timeouts + totals.non2xx, JSON.stringify(totals)).toBe(0)
    expect(totals.requests).toBeGreaterThan(WINDOWS * WINDOW_SECONDS * RATE * 0.5)
    // Stability as a ratio within one run on one machine (never an absolute time): the last window's p99
    // must stay within 3x the first's (plus a few ms of scheduler noise on a busy 2-core box).
    expect(last.p99, `p99 first ${first.p99} ms, last ${last.p99} ms`).toBeLessThanOrEqual(first.p99 * 3 + 10)
    // Memory: after warm-up (first window), growth stays bounded.
    expect(last.rssMb - first.rssMb, `RSS ${first.rssMb} → ${last.rssMb} MB`).toBeLessThan(64)
    // And what is still reachable after a full GC (JS heap + buffers) stays near where it was after warm-up.
    expect(figures.liveEndMb - figures.liveAfterFirstWindowMb, `live memory after GC ${figures.liveAfterFirstWindowMb} → ${figures.liveEndMb} MB`).toBeLessThan(32)
  }, SOAK_TIMEOUT_MS)
})
