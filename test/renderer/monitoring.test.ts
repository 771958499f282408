// The console's monitoring views and alert rule, in plain Node (no DOM): chart columns with gaps,
// read-outs, uptime text, the store's range/panel/log-link state and the browser alerts it decides.
import { describe, expect, it } from 'vitest'
import type { HealthReport, SeriesStats, TrafficView } from '../../src/shared/contract'
import { createConsoleStore } from '../../src/renderer/src/store'
import { activeGroups, currentRate, errorColumns, formatUptime, latencyColumns, openIncidents, overallUptime, rateColumns, readout, totalRequests } from '../../src/renderer/src/monitoring'

function stats(requests: number, seconds: number, p95Ms: number, serverErrors = 0): SeriesStats {
  return { requests, rps: requests / seconds, serverErrors, clientErrors: 0, errorRate: requests > 0 ? serverErrors / requests : null, bytes: 0, p50Ms: p95Ms / 2, p95Ms, p99Ms: p95Ms * 2 }
}

const T = 1_780_000_000_000
function view(): TrafficView {
  return {
    range: '15m',
    from: T,
    to: T + 40_000,
    stepMs: 10_000,
    resolutionSeconds: 10,
    buckets: [
      { time: T, sampledSeconds: 10, total: stats(30, 10, 4, 1), groups: { pages: stats(20, 10, 4), feeds: stats(10, 10, 8, 1) } },
      // The app was off: a gap, not zero.
      { time: T + 10_000, sampledSeconds: null, total: null, groups: null },
      // Sampled, nobody came.
      { time: T + 20_000, sampledSeconds: 10, total: stats(0, 10, 0), groups: {} },
      { time: T + 30_000, sampledSeconds: 10, total: stats(50, 10, 6), groups: { pages: stats(50, 10, 6) } },
    ],
    slowest: [],
  }
}

describe('traffic chart columns', () => {
  it('draws route groups busiest first, a gap as null and a quiet bucket as zero', () => {
    const v = view()
    expect(activeGroups(v)).toEqual(['pages', 'feeds'])
    const rates = rateColumns(v)
    expect(rates.x).toEqual([T / 1000, T / 1000 + 10, T / 1000 + 20, T / 1000 + 30])
    expect(rates.series.map((s) => [s.label, s.values])).toEqual([
      ['pages', [2, null, 0, 5]],
      ['feeds', [1, null, 0, 0]],
    ])
    expect(latencyColumns(v).series.find((s) => s.label === 'p95')?.values).toEqual([4, null, 0, 6])
    // No requests: no error rate (null), not 0 %.
    expect(errorColumns(v).series[0]?.values).toEqual([(1 / 30) * 100, null, null, 0])
  })

  it('reads out the hovered bucket, else the newest with data', () => {
    const rates = rateColumns(view())
    expect(readout(rates, null)).toEqual({ time: T + 30_000, values: [{ label: 'pages', value: 5 }, { label: 'feeds', value: 0 }] })
    expect(readout(rates, 1).values.map((v) => v.value)).toEqual([null, null])
    expect(readout(rates, 0).values.map((v) => v.value)).toEqual([2, 1])
    expect(readout({ x: [], series: [{ label: 'p50', values: [] }] }, null)).toEqual({ time: null, values: [{ label: 'p50', value: null }] })
    expect(currentRate(view())).toBe(5)
    expect(totalRequests(view())).toBe(80)
  })

  it('writes uptime cut, never rounded up to 100 %, and "no data" without samples', () => {
    expect(formatUptime(99.999)).toBe('99.99%')
    expect(formatUptime(100)).toBe('100%')
    expect(formatUptime(null)).toBe('no data')
  })
})

describe('console store: monitoring', () => {
  const report = (status: HealthReport['status']): HealthReport => ({ status, checks: { 'database:connection': [{ status, time: new Date(T).toISOString() }] } })

  it("alerts only on the server's pushed decisions (health:alert), never on readiness changes it hears itself", () => {
    const store = createConsoleStore()
    // Changes alone decide nothing here: the server holds each status for STARPUNK_ALERT_SAMPLES samples first.
    for (const s of ['pass', 'warn', 'fail', 'pass'] as const) store.getState().setHealth(report(s))
    expect(store.getState().alerts).toEqual([])
    store.getState().addAlert({ from: 'pass', to: 'fail', kind: 'down' })
    store.getState().addAlert({ from: 'fail', to: 'pass', kind: 'recovered' })
    expect(store.getState().alerts.map((a) => `${a.from}->${a.to}:${a.kind}`)).toEqual(['pass->fail:down', 'fail->pass:recovered'])
    // Bounded: the newest 20 are kept.
    for (let i = 0; i < 30; i++) store.getState().addAlert({ from: 'pass', to: 'warn', kind: 'degraded' })
    expect(store.getState().alerts).toHaveLength(20)
  })

  it('opens the Logs panel filtered by a request ID from an event, and unfiltered from the tabs', () => {
    const store = createConsoleStore()
    store.getState().setPanel('events')
    store.getState().showLogsFor('req-123')
    expect(store.getState()).toMatchObject({ panel: 'logs', logsRequestId: 'req-123' })
    store.getState().setPanel('overview')
    store.getState().setPanel('logs')
    expect(store.getState().logsRequestId).toBeNull()
  })

  it('keeps the last history on screen next to the error when a refresh fails', () => {
    const store = createConsoleStore()
    store.getState().setTraffic({ data: view(), error: null })
    const error = { code: 'MONITORING_UNAVAILABLE', message: 'The monitoring history cannot be read right now (EACCES).', suggestion: '', troubleshooting: [] }
    store.getState().setTraffic({ data: null, error })
    expect(store.getState().traffic.data?.buckets.length).toBe(4)
    expect(store.getState().traffic.error?.code).toBe('MONITORING_UNAVAILABLE')
    store.getState().setTraffic({ data: view(), error: null })
    expect(store.getState().traffic.error).toBeNull()
  })

  it('tells open incidents and the overall uptime from a health history', () => {
    const none = { upMs: 0, degradedMs: 0, downMs: 0, noDataMs: 0, percent: null }
    const history = {
      range: '24h' as const,
      components: [{ name: 'overall', heartbeats: [], uptime: { '24h': { ...none, upMs: 9, downMs: 1, percent: 90 }, '7d': none, '30d': none } }],
      incidents: [
        { id: 'a', component: 'filesystem', status: 'fail' as const, startedAt: T, endedAt: null, durationMs: null, check: 'filesystem:writable', firstOutput: 'EACCES' },
        { id: 'b', component: 'database', status: 'warn' as const, startedAt: T - 1, endedAt: T, durationMs: 1, check: null, firstOutput: null },
      ],
    }
    expect(openIncidents(history).map((i) => i.id)).toEqual(['a'])
    expect(overallUptime(history, '24h')).toBe(90)
    expect(overallUptime(history, '7d')).toBeNull()
  })
})
