import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PoolStats } from '../../../shared/contract'
import { loadConfig } from '../config'
import { errorHandler, notFoundHandler } from '../errors'
import { createLogging, requestLogging } from '../logging'
import { createMetricsCollector, metricsAccess, metricsMiddleware, metricsRoutes, routeGroup, type MetricsCollector } from '.'

const TOKEN = 'metrics-test-token-0123456789'
let dir: string
let server: Server
let base: string
let collector: MetricsCollector
let openServer: Server
let openBase: string
/** Called when /tags/never has the request. */
let arrived: (() => void) | undefined

const pool: PoolStats = { size: 2, active: 1, idle: 1, waiting: 0, acquired: 40, released: 39, created: 2, timeouts: 3, totalWaitMs: 1500, maxWaitMs: 900, meanWaitMs: 12, at: 0 }

function listen(app: express.Express): Promise<{ server: Server; base: string }> {
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve({ server: s, base: `http://127.0.0.1:${(s.address() as { port: number }).port}` }))
  })
}

function appWith(c: MetricsCollector, open: boolean): express.Express {
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_FILES: 'false' } })
  const logging = createLogging(config, { write: () => {} })
  const app = express()
  app.use(requestLogging(logging))
  app.use(metricsMiddleware(c))
  app.use(metricsRoutes({ collector: c, allowed: metricsAccess({ token: TOKEN, open }) }))
  app.get('/', (_req, res) => void res.send('<h1>home</h1>'))
  app.get('/notes/:slug', (_req, res) => void res.send('a note with some bytes'))
  app.get('/feed.rss', (_req, res) => {
    // Streamed, no Content-Length: the bytes are counted as written.
    res.type('application/rss+xml')
    res.write('<rss>')
    res.end('</rss>')
  })
  app.get('/tags/never', () => {
    // Never answers: the client gives up.
    arrived?.()
  })
  app.get('/boom', () => {
    throw new Error('broken on purpose')
  })
  app.use(notFoundHandler)
  app.use(errorHandler({ logger: logging.logger, renderErrorPage: () => '<p>error</p>' }))
  return app
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'starpunk-metrics-http-'))
  collector = createMetricsCollector({ pool: () => pool })
  ;({ server, base } = await listen(appWith(collector, false)))
  ;({ server: openServer, base: openBase } = await listen(appWith(createMetricsCollector({ defaultMetrics: false }), true)))
})

afterAll(async () => {
  collector.close()
  await new Promise((r) => server.close(r))
  await new Promise((r) => openServer.close(r))
  rmSync(dir, { recursive: true, force: true })
})

describe('route groups', () => {
  it('classify paths into a fixed set, never the raw path', () => {
    const cases: Record<string, string> = {
      '/': 'pages',
      '/notes/hello-world': 'pages',
      '/tags/indieweb': 'pages',
      '/static/app.css': 'pages',
      '/feed.rss': 'feeds',
      '/feed.json?x=1': 'feeds',
      '/opml.xml': 'feeds',
      '/search?q=secret': 'search',
      '/api/search': 'search',
      '/micropub': 'micropub',
      '/micropub/media': 'micropub',
      '/media/abc.jpg': 'media',
      '/webmention': 'webmention',
      '/admin': 'admin',
      '/admin/notes/new': 'admin',
      '/admin/login': 'admin',
      '/indieauth/token': 'admin',
      '/admin/console': 'console',
      '/admin/console/api/logs': 'console',
      '/health': 'health',
      '/health/ready': 'health',
      '/metrics': 'metrics',
      '/wp-login.php': 'other',
      '/notesx': 'other',
      '/administrator': 'other',
      '/healthz': 'other',
    }
    for (const [path, group] of Object.entries(cases)) expect([path, routeGroup(path)]).toEqual([path, group])
  })
})

describe('GET /metrics', () => {
  it('counts real requests by group, method and status class; passes promtool check metrics', async () => {
    for (const path of ['/', '/', '/notes/a-private-slug', '/feed.rss', '/wp-login.php', '/boom']) await (await fetch(`${base}${path}`)).text()
    await (await fetch(`${base}/`, { method: 'HEAD' })).text()
    collector.observeSearch('fts5', 0.003)
    collector.observeSearch('like', 0.02)
    collector.countSlowQuery()
    collector.addGauge({ name: 'starpunk_webmention_queue', help: 'Webmentions waiting, by state.', labelNames: ['state'], read: () => [{ labels: { state: 'pending' }, value: 4 }] })
    collector.addGauge({ name: 'starpunk_broken_reading', help: 'A reading whose owner throws.', read: () => { throw new Error('closed') } })
    expect(() => collector.addGauge({ name: 'webmention_total', help: 'x', read: () => 1 })).toThrow()

    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    expect(text).toContain('starpunk_http_requests_total{group="pages",method="GET",status_class="2xx"} 3')
    expect(text).toContain('starpunk_http_requests_total{group="pages",method="HEAD",status_class="2xx"} 1')
    expect(text).toContain('starpunk_http_requests_total{group="feeds",method="GET",status_class="2xx"} 1')
    expect(text).toContain('starpunk_http_requests_total{group="other",method="GET",status_class="4xx"} 1')
    expect(text).toContain('starpunk_http_requests_total{group="other",method="GET",status_class="5xx"} 1')
    expect(text).toContain('starpunk_http_response_bytes_total{group="feeds",method="GET",status_class="2xx"} 11')
    expect(text).toMatch(/starpunk_http_request_duration_seconds_bucket\{le="\+Inf",group="pages",method="GET",status_class="2xx"\} 3/)
    expect(text).toContain('starpunk_search_duration_seconds_count{engine="fts5"} 1')
    expect(text).toContain('starpunk_search_duration_seconds_bucket{le="0.005",engine="fts5"} 1')
    expect(text).toContain('starpunk_search_duration_seconds_bucket{le="0.0025",engine="fts5"} 0')
    expect(text).toContain('starpunk_search_duration_seconds_sum{engine="like"} 0.02')
    expect(text).toContain('starpunk_db_slow_queries_total 1')
    expect(text).toContain('starpunk_webmention_queue{state="pending"} 4')
    expect(text).toContain('starpunk_db_pool_acquire_timeouts_total 3')
    expect(text).toContain('starpunk_db_pool_acquire_wait_seconds_total 1.5')
    expect(text).toContain('starpunk_db_pool_connections{state="active"} 1')
    expect(text).toMatch(/^process_cpu_user_seconds_total /m)
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m)
    // Labels stay low-cardinality: no raw path reaches the output.
    expect(text).not.toContain('a-private-slug')
    expect(text).not.toContain('wp-login')

    const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' })
  })

  it('the scrape itself is counted in the metrics group', async () => {
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    expect(text).toMatch(/starpunk_http_requests_total\{group="metrics",method="GET",status_class="2xx"\} [1-9]/)
  })

  it('refuses without the token, or with a wrong one: 401 from the catalog, with the request ID', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${TOKEN}` }] as Array<Record<string, string>>) {
      const res = await fetch(`${base}/metrics`, { headers: { ...headers, accept: 'application/json' } })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      const body = (await res.json()) as { error: { code: string; request_id: string; troubleshooting: string[] } }
      expect(body.error.code).toBe('UNAUTHORIZED')
      expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
      expect(body.error.troubleshooting.join(' ')).toContain('STARPUNK_METRICS_PUBLIC')
    }
  })

  it('is served to everyone when the setting opens it (and promtool accepts it without the defaults too)', async () => {
    await (await fetch(`${openBase}/`)).text()
    const res = await fetch(`${openBase}/metrics`)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain('starpunk_http_requests_total{group="pages",method="GET",status_class="2xx"} 1')
    const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' })
  })

  it('an admin session opens it too (res.locals.session, as loadSession sets it)', () => {
    const guard = metricsAccess({ token: null, open: false })
    const req = { headers: {} } as unknown as express.Request
    expect(guard(req, { locals: {} } as unknown as express.Response)).toBe(false)
    expect(guard(req, { locals: { session: { id: 's' } } } as unknown as express.Response)).toBe(true)
  })
})

describe('aborted requests', () => {
  it('a request the client abandons is counted once, as 499 (4xx), not as the 200 that was never sent', async () => {
    const before = collector.takeWindow()
    expect(before.series['http:pages']).toBeDefined()
    const controller = new AbortController()
    const atServer = new Promise<void>((r) => (arrived = r))
    const pending = fetch(`${base}/tags/never`, { signal: controller.signal }).catch(() => 'aborted')
    await atServer
    controller.abort()
    expect(await pending).toBe('aborted')
    let window = collector.takeWindow()
    for (let i = 0; i < 50 && !window.series['http:pages']; i++) {
      await new Promise((r) => setTimeout(r, 20))
      window = collector.takeWindow()
    }
    expect(window.series['http:pages']).toMatchObject({ requests: 1, clientErrors: 1, serverErrors: 0 })
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    expect(text).toContain('starpunk_http_requests_total{group="pages",method="GET",status_class="4xx"} 1')
  })
})

describe('collector windows', () => {
  it('hand the history each window once: per-group counts, errors, bytes, latency buckets, and deltas of the pool', () => {
    let now = 1_000
    const stats = { ...pool }
    const c = createMetricsCollector({ pool: () => stats, clock: () => now, defaultMetrics: false })
    c.observeRequest({ path: '/notes/x', method: 'GET', status: 200, seconds: 0.002, bytes: 100 })
    c.observeRequest({ path: '/notes/y', method: 'GET', status: 503, seconds: 0.2, bytes: 50 })
    c.observeRequest({ path: '/nope', method: 'BREW', status: 404, seconds: 0.0001, bytes: 9 })
    c.observeSearch('fts5', 0.004)
    c.observeSearch('fts5', 0.5, true)
    c.observeSearch('DROP TABLE', 0.001)
    stats.timeouts = 5
    now = 11_000
    const w = c.takeWindow()
    expect(w.start).toBe(1_000)
    expect(w.end).toBe(11_000)
    expect(w.series['http:pages']).toMatchObject({ requests: 2, serverErrors: 1, clientErrors: 0, bytes: 150 })
    expect(w.series['http:pages']!.buckets.reduce((a, b) => a + b, 0)).toBe(2)
    expect(w.series['http:other']).toMatchObject({ requests: 1, clientErrors: 1 })
    expect(w.process.poolTimeouts).toBe(2)
    expect(w.series['search:fts5']).toMatchObject({ requests: 2, serverErrors: 1, sumSeconds: 0.504 })
    expect(w.series['search:other']).toMatchObject({ requests: 1, serverErrors: 0 })
    const next = c.takeWindow()
    expect(next.series).toEqual({})
    expect(next.process.poolTimeouts).toBe(0)
    c.close()
  })
})
