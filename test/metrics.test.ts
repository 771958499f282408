// Monitoring on a whole real server: /metrics counts real requests by route group and status class (and
// passes promtool), is guarded like detailed health, keeps its history in metrics.db apart from the notes
// database (so the page cache key never moves), records incidents and events for a broken data dir, and
// keeps its history across a restart on the same dir.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, loadConfig } from '../src/main/server'
import type { Alert } from '../src/main/server/metrics'
import { createSupervisor } from '../src/main/server/supervisor'
import { changeKey } from '../src/main/server/notes/change-key'
import { loginAsAdmin } from './helpers/admin'
import { startTestServer, TEST_ENV_DEFAULTS, type TestServer } from './helpers/server'

const TOKEN = 'metrics-wire-token-0123456789abcdef'
const ENV = { STARPUNK_HEALTH_TOKEN: TOKEN, STARPUNK_LOG_FILES: 'false' }

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const ts = await startTestServer({ ...ENV, ...env }, dataDir ? { dataDir } : {})
  cleanups.push(() => ts.close())
  return ts
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-metrics-wire-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function scrape(ts: TestServer, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<{ status: number; text: string; res: Response }> {
  const res = await fetch(`${ts.url}/metrics`, { headers })
  return { status: res.status, text: await res.text(), res }
}

function promtool(text: string): { status: number | null; out: string } {
  const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  return { status: check.status, out: check.stdout + check.stderr }
}

/** A first health sample (the schedule's first waits one interval), so the next one can be a transition. */
async function firstSample(ts: TestServer): Promise<void> {
  const { monitoring, scheduler } = ts.server.context.metrics
  await scheduler.sampleHealth()
  expect((monitoring.heartbeats({ from: 0, to: Date.now() + 1, component: 'overall' }).overall ?? []).length).toBeGreaterThan(0)
}

describe('GET /metrics on a real server', () => {
  it('counts a burst of real requests by route group, method and status class; promtool accepts the output', async () => {
    const ts = await start()
    for (let i = 0; i < 5; i++) await (await fetch(`${ts.url}/`)).text()
    for (let i = 0; i < 3; i++) await (await fetch(`${ts.url}/feed.rss`)).text()
    await (await fetch(`${ts.url}/notes/no-such-private-slug`)).text()
    await (await fetch(`${ts.url}/wp-login.php`)).text()
    await (await fetch(`${ts.url}/search?q=hello`)).text()
    await (await fetch(`${ts.url}/health`)).text()

    const { status, text, res } = await scrape(ts)
    expect(status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(text).toContain('starpunk_http_requests_total{group="pages",method="GET",status_class="2xx"} 5')
    expect(text).toContain('starpunk_http_requests_total{group="feeds",method="GET",status_class="2xx"} 3')
    expect(text).toContain('starpunk_http_requests_total{group="pages",method="GET",status_class="4xx"} 1')
    expect(text).toContain('starpunk_http_requests_total{group="other",method="GET",status_class="4xx"} 1')
    expect(text).toContain('starpunk_http_requests_total{group="search",method="GET",status_class="2xx"} 1')
    expect(text).toContain('starpunk_http_requests_total{group="health",method="GET",status_class="2xx"} 1')
    expect(text).toMatch(/starpunk_http_response_bytes_total\{group="feeds",method="GET",status_class="2xx"\} [1-9]\d*/)
    expect(text).toMatch(/starpunk_http_request_duration_seconds_bucket\{le="\+Inf",group="pages",method="GET",status_class="2xx"\} 5/)
    // The search service reports its latency through the injected observer.
    expect(text).toMatch(/starpunk_search_duration_seconds_count\{engine="(fts5|like)"\} 1/)
    // The pool is read from the real database.
    expect(text).toMatch(/^starpunk_db_pool_connections\{state="idle"\} [1-9]/m)
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m)
    expect(text).not.toContain('no-such-private-slug')
    expect(text).not.toContain('wp-login')
    expect(promtool(text)).toEqual({ status: 0, out: '' })
  })

  it('STARPUNK_METRICS_ENABLED=false: nothing counted or sampled, /metrics 404, the console says monitoring is off; the blog serves', async () => {
    const ts = await start({ STARPUNK_METRICS_ENABLED: 'false', STARPUNK_METRICS_PUBLIC: 'true' })
    for (let i = 0; i < 3; i++) expect((await fetch(`${ts.url}/`)).status).toBe(200)
    expect((await scrape(ts)).status).toBe(404)
    const { metrics, console: consoleService } = ts.server.context
    // No per-request collection: the registry saw none of those requests.
    expect(await metrics.collector.metricsText()).not.toContain('starpunk_http_requests_total{')
    const traffic = await consoleService.call('metrics:traffic', { range: '15m' })
    expect(traffic).toMatchObject({ ok: false, error: { code: 'MONITORING_UNAVAILABLE' } })
    // Nothing sampled: no health history, no server_start.
    expect(metrics.history.heartbeats({ from: 0, to: Date.now() + 1 })).toEqual({})
  })

  it('refuses without the token or a session: 401 JSON from the catalog with the request ID; an admin session opens it', async () => {
    const ts = await start()
    for (const headers of [{}, { authorization: 'Bearer not-the-token-0123456789' }] as Array<Record<string, string>>) {
      const { status, text, res } = await scrape(ts, headers)
      expect(status).toBe(401)
      const body = JSON.parse(text) as { error: { code: string; request_id: string } }
      expect(body.error.code).toBe('UNAUTHORIZED')
      expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
      expect(text).not.toContain(TOKEN)
    }
    const admin = await loginAsAdmin(ts)
    expect((await scrape(ts, { cookie: admin.cookie })).status).toBe(200)
  })

  it('is open to everyone with STARPUNK_METRICS_PUBLIC=true', async () => {
    const ts = await start({ STARPUNK_METRICS_PUBLIC: 'true', STARPUNK_HEALTH_TOKEN: '' })
    const { status, text } = await scrape(ts, {})
    expect(status).toBe(200)
    expect(text).toContain('starpunk_http_requests_total')
  })

  it('the disk check is a readiness component (optional) and warns past STARPUNK_DISK_WARN_PERCENT', async () => {
    // 1 %: any real disk is fuller than that (this one is never empty: it holds the database).
    const ts = await start({ STARPUNK_DISK_WARN_PERCENT: '1' })
    const res = await fetch(`${ts.url}/health/ready`, { headers: { authorization: `Bearer ${TOKEN}` } })
    const report = (await res.json()) as { status: string; checks: Record<string, Array<{ status: string; output?: string }>> }
    expect(report.checks['disk:usage']?.[0]?.status).toBe('warn')
    expect(report.checks['disk:usage']?.[0]?.output).toContain('STARPUNK_DISK_WARN_PERCENT=1')
    // Optional: a warning degrades readiness, it never takes the blog out of rotation.
    expect(res.status).toBe(200)
    expect(report.status).toBe('warn')
  })
})

describe('the history', () => {
  it('lives in metrics.db, and writing samples leaves the notes database (and the page cache key) alone', async () => {
    const ts = await start()
    const { db, metrics } = ts.server.context
    expect(existsSync(join(ts.dataDir, 'metrics.db'))).toBe(true)
    await firstSample(ts)
    await (await fetch(`${ts.url}/`)).text()
    const key = changeKey(db)
    metrics.scheduler.samplePoint()
    await metrics.scheduler.sampleHealth()
    metrics.recordEvent({ type: 'config_saved', message: 'test event' })
    metrics.history.flush()
    expect(changeKey(db)).toBe(key)
    // The samples are really in metrics.db, and not in the notes database.
    const history = new Database(join(ts.dataDir, 'metrics.db'), { readonly: true })
    const notes = new Database(ts.server.context.config.databasePath, { readonly: true })
    try {
      const tables = (conn: Database.Database) => (conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).join(' ')
      expect(tables(history)).toContain('metrics_migrations')
      expect(tables(notes)).not.toContain('metrics_migrations')
      expect(history.prepare("SELECT count(*) FROM events WHERE message = 'test event'").pluck().get()).toBe(1)
      // The check can fail: a commit from another connection does move the key.
      const writer = new Database(ts.server.context.config.databasePath)
      writer.exec("INSERT INTO tags (name, display) VALUES ('moved', 'Moved')")
      writer.close()
      expect(changeKey(db)).not.toBe(key)
    } finally {
      history.close()
      notes.close()
    }
  })

  it('slow queries are counted and recorded as events with the request ID of the request that ran them', async () => {
    const ts = await start({ STARPUNK_DB_SLOW_QUERY_MS: '0' })
    const requestId = 'slow-query-request-0001'
    await (await fetch(`${ts.url}/`, { headers: { 'x-request-id': requestId } })).text()
    const { metrics } = ts.server.context
    metrics.history.flush()
    const events = metrics.monitoring.events({ requestId, types: ['slow_query'] })
    expect(events.length).toBeGreaterThan(0)
    expect(events[0]).toMatchObject({ type: 'slow_query', level: 'warning', requestId })
    expect((await scrape(ts)).text).toMatch(/^starpunk_db_slow_queries_total [1-9]/m)
  })

  it('a write that gives up on a lock held elsewhere records database_locked', async () => {
    const ts = await start({ STARPUNK_DB_BUSY_TIMEOUT_MS: '50' })
    const other = new Database(ts.server.context.config.databasePath)
    cleanups.push(() => void other.close())
    other.exec('BEGIN IMMEDIATE')
    await expect(ts.server.context.db.write((c) => c.prepare("INSERT INTO tags (name, display) VALUES ('x', 'X')").run())).rejects.toMatchObject({ code: 'DATABASE_LOCKED' })
    other.exec('ROLLBACK')
    const { metrics } = ts.server.context
    metrics.history.flush()
    expect(metrics.monitoring.events({ types: ['database_locked'] })).toEqual([expect.objectContaining({ type: 'database_locked', level: 'error' })])
  })

  it('a broken data dir opens incidents and records the readiness change; repair closes them', async () => {
    const ts = await start()
    const { metrics } = ts.server.context
    await firstSample(ts)
    const away = `${ts.dataDir}.away`
    cleanups.push(() => rmSync(away, { recursive: true, force: true }))
    // Broken the way the history's own tests break it: the directory moved away, a file in its place.
    renameSync(ts.dataDir, away)
    writeFileSync(ts.dataDir, 'not a directory')
    await metrics.scheduler.sampleHealth()
    expect(metrics.history.openIncidents().map((i) => i.component)).toEqual(expect.arrayContaining(['filesystem', 'overall']))
    // Nothing can be written now: the samples wait in memory, and the console's queries fail (it answers 503).
    expect(metrics.monitoring.status()).toMatchObject({ writable: false })
    expect(metrics.monitoring.status().buffered).toBeGreaterThan(0)

    rmSync(ts.dataDir)
    renameSync(away, ts.dataDir)
    await metrics.scheduler.sampleHealth()
    expect(metrics.history.openIncidents()).toEqual([])
    // The file is reopened at most every 5 s: wait (not an assertion on time) until the queue is written.
    for (let i = 0; i < 150 && !metrics.monitoring.status().writable; i++) {
      await new Promise((r) => setTimeout(r, 50))
      metrics.history.flush()
    }
    expect(metrics.monitoring.status()).toMatchObject({ writable: true, buffered: 0 })
    const incidents = metrics.monitoring.incidents({ from: 0 }).filter((i) => i.component === 'filesystem')
    expect(incidents).toHaveLength(1)
    expect(incidents[0]).toMatchObject({ status: 'fail' })
    expect(incidents[0]?.endedAt).not.toBeNull()
    const changes = metrics.monitoring.events({ types: ['readiness_changed'] }).map((e) => e.details)
    expect(changes).toEqual([
      { from: 'fail', to: 'pass' },
      { from: 'pass', to: 'fail' },
    ])
  }, 20_000)

  it('survives a restart on the same data dir: close, create again, the earlier history is still there', async () => {
    const dir = tempDir()
    const first = await startTestServer(ENV, { dataDir: dir })
    for (let i = 0; i < 4; i++) await (await fetch(`${first.url}/`)).text()
    first.server.context.metrics.scheduler.samplePoint()
    await first.close()

    const second = await start({}, dir)
    const { monitoring, history } = second.server.context.metrics
    // Records are queued and written every 10 s; write them now.
    history.flush()
    const types = monitoring.events().map((e) => e.type)
    expect(types.slice(0, 3)).toEqual(['server_start', 'server_stop', 'server_start'])
    const traffic = monitoring.traffic({ from: Date.now() - 3_600_000, to: Date.now() + 1, stepMs: 3_600_000 })
    const requests = traffic.buckets.reduce((sum, b) => sum + (b.groups?.pages?.requests ?? 0), 0)
    expect(requests).toBe(4)
  })
})

describe('console actions in the history', () => {
  it('the supervisor records config_saved and server_restart', async () => {
    const dir = tempDir()
    const supervisor = createSupervisor({ env: { STARPUNK_DATA_DIR: dir, ...TEST_ENV_DEFAULTS, ...ENV }, overrides: { STARPUNK_PORT: '0' }, server: { logging: { write: () => {} } } })
    cleanups.push(() => supervisor.close())
    await supervisor.start()
    expect((await supervisor.console.call('config:save', { values: { STARPUNK_SITE_NAME: 'Renamed notes' } })).ok).toBe(true)
    await supervisor.restart()
    supervisor.server?.context.metrics.history.flush()
    const events = supervisor.server?.context.metrics.monitoring.events() ?? []
    expect(events.map((e) => e.type).slice(0, 5)).toEqual(['server_start', 'server_stop', 'server_restart', 'config_saved', 'server_start'])
  })

  it("the console reads this server's history through its port (metrics:traffic, metrics:events)", async () => {
    const ts = await start()
    for (let i = 0; i < 3; i++) await (await fetch(`${ts.url}/`)).text()
    const { metrics, console: consoleService } = ts.server.context
    metrics.scheduler.samplePoint()
    const traffic = await consoleService.call('metrics:traffic', { range: '15m' })
    if (!traffic.ok) throw new Error(`metrics:traffic failed: ${JSON.stringify(traffic)}`)
    expect(traffic.data.buckets.reduce((sum, b) => sum + (b.groups?.pages?.requests ?? 0), 0)).toBe(3)
    const events = await consoleService.call('metrics:events', { range: '1h' })
    expect(JSON.stringify(events)).toContain('"server_start"')
  })

  it('an alert reaches the onAlert option once readiness held the new status for STARPUNK_ALERT_SAMPLES samples', async () => {
    const dir = tempDir()
    const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', ...TEST_ENV_DEFAULTS, ...ENV, STARPUNK_ALERT_SAMPLES: '2' } })
    expect(problems).toEqual([])
    const alerts: Alert[] = []
    const server = await createServer(config, { logging: { write: () => {} }, onAlert: (alert) => alerts.push(alert) })
    cleanups.push(() => server.close())
    const { scheduler } = server.context.metrics
    await scheduler.sampleHealth()
    await server.context.db.close()
    await scheduler.sampleHealth()
    expect(alerts).toEqual([])
    await scheduler.sampleHealth()
    expect(alerts).toEqual([expect.objectContaining({ to: 'fail', kind: 'down' })])
  })
})
