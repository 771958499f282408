// The console's monitoring calls (metrics:traffic, metrics:health, metrics:events) over a real test
// server and a real metrics.db in a temp dir, filled through the real collector and history.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTRACT_CALLS, type HealthHistory, type Result, type TrafficView } from '../../../shared/contract'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { createMetricsCollector, openMetricsHistory, type MetricsHistory } from '../metrics'
import { createConsoleService, createFixedHost, type ConsoleService } from '.'
import type { MonitoringPort } from './types'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-console-mon-'))
  dirs.push(dir)
  return dir
}

function data<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`call failed: ${result.error.code} ${result.error.message}`)
  return result.data as T
}

const pass = (time: string) => ({ status: 'pass' as const, checks: { 'database:connection': [{ status: 'pass' as const, time }] } })
const fail = (time: string) => ({ status: 'fail' as const, checks: { 'database:connection': [{ status: 'fail' as const, time, output: 'SQLITE_CANTOPEN' }] } })

describe('console monitoring calls', () => {
  let server: TestServer
  let history: MetricsHistory
  let now: number
  const consoleWith = (monitoring: MonitoringPort | null): ConsoleService =>
    createConsoleService(createFixedHost({ config: server.server.context.config, server: () => ({ ...server.server.consolePort, monitoring }), url: () => server.url }))

  beforeAll(async () => {
    server = await startTestServer()
    // Ten minutes ago on a 10-second boundary: three sampled windows, a gap of three, two more.
    now = Date.now()
    const t0 = Math.floor((now - 10 * 60_000) / 10_000) * 10_000
    let clock = t0
    history = openMetricsHistory({ path: join(tempDir(), 'metrics.db'), clock: () => clock })
    const collector = createMetricsCollector({ clock: () => clock, defaultMetrics: false })
    collector.takeWindow()
    const windowWith = (at: number, requests: Array<{ path: string; status: number; seconds: number }>) => {
      clock = at
      collector.takeWindow()
      for (const r of requests) collector.observeRequest({ path: r.path, method: 'GET', status: r.status, seconds: r.seconds, bytes: 100 })
      clock = at + 10_000
      history.recordWindow(collector.takeWindow())
    }
    const pages = (n: number) => Array.from({ length: n }, () => ({ path: '/', status: 200, seconds: 0.004 }))
    for (let i = 0; i < 3; i++) windowWith(t0 + i * 10_000, pages(20))
    windowWith(t0 + 6 * 10_000, [...pages(10), { path: '/feed.rss', status: 500, seconds: 0.8 }, { path: '/feed.rss', status: 200, seconds: 0.9 }])
    windowWith(t0 + 7 * 10_000, pages(5))
    // Health: pass, fail (opens an incident), pass (closes it) — 30 s apart.
    history.recordHealth(pass(new Date(t0).toISOString()), t0, 30_000)
    history.recordHealth(fail(new Date(t0 + 30_000).toISOString()), t0 + 30_000, 30_000)
    history.recordHealth(pass(new Date(t0 + 60_000).toISOString()), t0 + 60_000, 30_000)
    history.recordEvent({ type: 'config_saved', message: 'Configuration saved.', requestId: 'req-config-1', time: t0 + 5_000 })
    history.recordEvent({ type: 'pool_exhausted', message: 'Pool exhausted.', time: t0 + 15_000 })
    clock = now
    while (history.flush() > 0) {
      // Drain the queue (a flush writes a bounded number of records).
    }
  })
  afterAll(async () => {
    history?.close()
    await server?.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('answers traffic by route group in buckets, with gaps as null, in the schema the contract defines', async () => {
    const view = data<TrafficView>(await consoleWith(history).call('metrics:traffic', { range: '15m' }))
    expect(() => CONTRACT_CALLS['metrics:traffic'].response.parse(view)).not.toThrow()
    expect(view.range).toBe('15m')
    expect(view.stepMs).toBe(10_000)
    const sampled = view.buckets.filter((b) => b.total !== null)
    expect(sampled.map((b) => b.total?.requests)).toEqual([20, 20, 20, 12, 5])
    expect(sampled[0]?.groups?.pages?.rps).toBe(2)
    // The three windows nobody recorded are gaps, not zeros.
    const firstSampled = view.buckets.findIndex((b) => b.total !== null)
    expect(view.buckets.slice(firstSampled + 3, firstSampled + 6).map((b) => [b.total, b.groups, b.sampledSeconds])).toEqual([
      [null, null, null],
      [null, null, null],
      [null, null, null],
    ])
    const feedBucket = sampled[3]
    expect(feedBucket?.groups?.feeds?.serverErrors).toBe(1)
    expect(feedBucket?.total?.errorRate).toBeCloseTo(1 / 12)
    // The slowest route group over the range comes first.
    expect(view.slowest[0]?.group).toBe('feeds')
  })

  it('answers heartbeats, uptime per window and the incident the failed sample opened', async () => {
    const view = data<HealthHistory>(await consoleWith(history).call('metrics:health', { range: '1h' }))
    expect(() => CONTRACT_CALLS['metrics:health'].response.parse(view)).not.toThrow()
    expect(view.components[0]?.name).toBe('overall')
    const database = view.components.find((c) => c.name === 'database')
    expect(database?.heartbeats.map((h) => h.status)).toEqual(['pass', 'fail', 'pass'])
    expect(database?.heartbeats[1]?.output).toBe('SQLITE_CANTOPEN')
    // 30 s up, 30 s down, 30 s up: the rest of the day is "no data", outside the percentage.
    expect(database?.uptime['24h'].percent).toBeCloseTo((60 / 90) * 100)
    expect(database?.uptime['24h'].downMs).toBe(30_000)
    expect(database?.uptime['24h'].noDataMs).toBeGreaterThan(23 * 3_600_000)
    const incident = view.incidents.find((i) => i.component === 'database')
    expect(incident).toMatchObject({ status: 'fail', check: 'database:connection', firstOutput: 'SQLITE_CANTOPEN', durationMs: 30_000 })
  })

  it('answers the event timeline with request IDs, filtered by type', async () => {
    const svc = consoleWith(history)
    const all = data<{ events: Array<{ type: string; requestId: string | null }>; types: string[] }>(await svc.call('metrics:events', { range: '1h' }))
    expect(all.events.map((e) => e.type)).toEqual(['pool_exhausted', 'config_saved'])
    expect(all.events[1]?.requestId).toBe('req-config-1')
    expect(all.types).toContain('readiness_changed')
    const only = data<{ events: Array<{ type: string }> }>(await svc.call('metrics:events', { range: '1h', types: ['config_saved'] }))
    expect(only.events.map((e) => e.type)).toEqual(['config_saved'])
    const bad = await svc.dispatch('metrics:events', { range: '2y' })
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
  })

  it('answers MONITORING_UNAVAILABLE from the catalog when the server has no monitoring wired', async () => {
    const svc = consoleWith(null)
    for (const [name, request] of [
      ['metrics:traffic', { range: '1h' }],
      ['metrics:health', { range: '24h' }],
      ['metrics:events', { range: '7d' }],
    ] as const) {
      const result = await svc.dispatch(name, request)
      expect(result, name).toMatchObject({ ok: false, error: { code: 'MONITORING_UNAVAILABLE' } })
      if (!result.ok) expect(result.error.troubleshooting.length).toBeGreaterThan(0)
    }
  })

  it('answers MONITORING_UNAVAILABLE, without a path, when metrics.db cannot be opened', async () => {
    const dir = tempDir()
    // The data dir is a regular file: the history cannot open its database there.
    writeFileSync(join(dir, 'not-a-dir'), 'x')
    const broken = openMetricsHistory({ path: join(dir, 'not-a-dir', 'metrics.db'), clock: Date.now })
    try {
      const result = await consoleWith(broken).call('metrics:traffic', { range: '24h' })
      expect(result).toMatchObject({ ok: false, error: { code: 'MONITORING_UNAVAILABLE' } })
      expect(JSON.stringify(result)).not.toContain(dir)
    } finally {
      broken.close()
    }
  })
})
