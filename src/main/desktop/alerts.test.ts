import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { decideAlert, INITIAL_ALERT_STATE, type AlertState } from '../../shared/alert'
import type { HealthReport, HealthStatus } from '../../shared/contract'
import { BUCKET_COUNT, bucketIndex } from '../server/metrics/buckets'
import type { MetricsWindow } from '../server/metrics/collector'
import { openMetricsHistory, type MetricsHistory } from '../server/metrics/history/store'
import { alertNotice, readTraySnapshot, requestsPerSecond, stoppedTooltip, trayTooltip, TRAY_RATE_WINDOW_MS, type AlertNotice } from './alerts'

/**
 * The desktop's notification and tray text are pure (no Electron import), so they run in plain Node; the
 * history behind the tray is a real metrics.db in a temp dir with an injected clock.
 */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
let dir: string
let now: number
let history: MetricsHistory | null = null

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'starpunk-desktop-alerts-'))
  now = T0
})
afterEach(() => {
  history?.close()
  history = null
  rmSync(dir, { recursive: true, force: true })
})

function report(status: HealthStatus, output = 'The data directory is not writable (ENOTDIR).'): HealthReport {
  const time = new Date(now).toISOString()
  return {
    status,
    checks: {
      'database:responseTime': [{ status: 'pass', time }],
      'filesystem:writable': [{ status, time, ...(status === 'pass' ? {} : { output }) }],
    },
  }
}

function pagesWindow(start: number, requests: number): MetricsWindow {
  const buckets = new Array<number>(BUCKET_COUNT).fill(0)
  buckets[bucketIndex(0.002)] = requests
  const process = { eventLoopP99Ms: 2, eventLoopMaxMs: 5, rssBytes: 100, heapUsedBytes: 50, poolWaiting: 0, poolActive: 1, poolAcquired: 3, poolTimeouts: 0, poolWaitMs: 1, slowQueries: 0, diskUsedBytes: null, diskFreeBytes: null }
  return { start, end: start + 10_000, series: { 'http:pages': { requests, serverErrors: 0, clientErrors: 0, bytes: requests * 100, sumSeconds: requests * 0.002, buckets } }, process }
}

function flushAll(h: MetricsHistory): void {
  while (h.flush() > 0) {
    // one flush writes a bounded batch
  }
}

describe('desktop notification for an alert', () => {
  it('notifies once a bad status held for the hold, names the failing check, and notifies the recovery', () => {
    const notices: AlertNotice[] = []
    let state: AlertState = INITIAL_ALERT_STATE
    // Flapping, then a fail that holds 3 samples, then a recovery that holds 3.
    for (const status of ['fail', 'pass', 'fail', 'fail', 'fail', 'fail', 'pass', 'pass', 'pass'] as HealthStatus[]) {
      const decision = decideAlert(state, status, 3)
      state = decision.state
      if (decision.alert) notices.push(alertNotice('My Blog', decision.alert, report(status)))
    }
    expect(notices).toEqual([
      { title: 'My Blog down', body: 'Readiness failed. filesystem:writable: The data directory is not writable (ENOTDIR).' },
      { title: 'My Blog recovered', body: 'All checks pass again (was fail).' },
    ])
  })

  it('a warn reads as degraded; a check without output names its status', () => {
    const warn: HealthReport = { status: 'warn', checks: { 'disk:usage': [{ status: 'warn', time: new Date(now).toISOString() }] } }
    expect(alertNotice('Site', { from: 'pass', to: 'warn', kind: 'degraded' }, warn)).toEqual({ title: 'Site degraded', body: 'Readiness is degraded. disk:usage: warn' })
    expect(alertNotice('Site', { from: 'pass', to: 'fail', kind: 'down' }, { status: 'fail' })).toEqual({ title: 'Site down', body: 'Readiness failed.' })
  })
})

describe('tray tooltip from the monitoring history', () => {
  it('shows 24 h uptime and req/s over the last five minutes of a real history', () => {
    history = openMetricsHistory({ path: join(dir, 'metrics.db'), clock: () => now, retryMs: 1_000 })
    // 5 minutes of 10-second windows, 20 requests each = 2 req/s; health sampled pass, one warn (up, degraded).
    for (let i = 0; i < 30; i++) {
      history.recordWindow(pagesWindow(now, 20))
      history.recordHealth(report(i === 10 ? 'warn' : 'pass'), now, 10_000)
      now += 10_000
    }
    flushAll(history)
    const snapshot = readTraySnapshot(history, 'My Blog', 'pass', now)
    expect(requestsPerSecond(snapshot.traffic)).toBeCloseTo(2, 10)
    expect(trayTooltip(snapshot)).toBe('My Blog — up · uptime 100% (24 h) · 2.0 req/s')
  })

  it('counts down time against uptime and leaves unsampled time out of the rate', () => {
    history = openMetricsHistory({ path: join(dir, 'metrics.db'), clock: () => now, retryMs: 1_000 })
    // 3 windows of 10 s (30 requests in 30 s sampled), then the app was off for the rest of the window.
    for (let i = 0; i < 3; i++) {
      history.recordWindow(pagesWindow(now, 10))
      history.recordHealth(report(i === 2 ? 'fail' : 'pass'), now, 10_000)
      now += 10_000
    }
    flushAll(history)
    now += TRAY_RATE_WINDOW_MS - 60_000
    const text = trayTooltip(readTraySnapshot(history, 'My Blog', 'fail', now))
    expect(text).toBe('My Blog — down · uptime 66.66% (24 h) · 1.0 req/s')
  })

  it('no samples is "no data", never zero; a history that cannot be read gives no data instead of throwing', () => {
    history = openMetricsHistory({ path: join(dir, 'metrics.db'), clock: () => now, retryMs: 1_000 })
    expect(trayTooltip(readTraySnapshot(history, 'My Blog', null, now))).toBe('My Blog — starting · uptime: no data (24 h) · req/s: no data')
    history.close()
    const closed = history
    history = null
    expect(trayTooltip(readTraySnapshot(closed, 'My Blog', 'pass', now))).toBe('My Blog — up · uptime: no data (24 h) · req/s: no data')
    expect(trayTooltip(readTraySnapshot(null, 'My Blog', 'pass', now))).toBe('My Blog — up · uptime: no data (24 h) · req/s: no data')
    expect(stoppedTooltip('My Blog', 'stopped')).toBe('My Blog — server stopped')
  })
})
