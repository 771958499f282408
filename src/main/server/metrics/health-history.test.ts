import { describe, expect, it } from 'vitest'
import { INITIAL_ALERT_STATE, componentStatuses, computeUptime, decideAlert, formatPercent, incidentAction, trayText, type AlertState, type StatusSample } from './health-history'
import type { HealthStatus } from '../../../shared/contract'

const S = 30_000

function series(start: number, statuses: HealthStatus[], intervalMs = S): StatusSample[] {
  return statuses.map((status, i) => ({ time: start + i * intervalMs, status, intervalMs }))
}

describe('uptime', () => {
  it('counts pass and warn as up (warn also as degraded), fail as down, and leaves unsampled time out', () => {
    const t0 = 1_000_000
    const before = series(t0, ['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'fail', 'fail'])
    // The app was off for an hour, then came back degraded.
    const after = series(t0 + 12 * S + 3_600_000, ['warn', 'warn', 'warn', 'warn'])
    const to = t0 + 12 * S + 3_600_000 + 4 * S
    const u = computeUptime([...before, ...after], t0, to)
    expect(u.upMs).toBe(14 * S)
    expect(u.degradedMs).toBe(4 * S)
    expect(u.downMs).toBe(2 * S)
    expect(u.noDataMs).toBe(3_600_000)
    expect(u.percent).toBeCloseTo((14 / 16) * 100, 10)
  })

  it('has no percentage at all when nothing was sampled in the window', () => {
    const u = computeUptime([], 0, 60_000)
    expect(u.percent).toBeNull()
    expect(u.noDataMs).toBe(60_000)
  })

  it('lets the sample before the window speak for its start, clipped to the window', () => {
    const u = computeUptime([{ time: 0, status: 'fail', intervalMs: S }, { time: S, status: 'pass', intervalMs: S }], 10_000, 2 * S)
    expect(u.downMs).toBe(20_000)
    expect(u.upMs).toBe(S)
    expect(u.noDataMs).toBe(0)
  })

  it('a sample never covers more than its interval, even when the next one is far away', () => {
    const u = computeUptime([{ time: 0, status: 'pass', intervalMs: 10_000 }, { time: 100_000, status: 'pass', intervalMs: 10_000 }], 0, 110_000)
    expect(u.upMs).toBe(20_000)
    expect(u.noDataMs).toBe(90_000)
    expect(u.percent).toBe(100)
  })
})

describe('alerts do not flap', () => {
  function run(statuses: HealthStatus[], hold: number): Array<string | null> {
    let state: AlertState = INITIAL_ALERT_STATE
    return statuses.map((s) => {
      const d = decideAlert(state, s, hold)
      state = d.state
      return d.alert ? `${d.alert.kind}:${d.alert.from}->${d.alert.to}` : null
    })
  }

  it('alternating pass and fail never alerts while neither holds N samples', () => {
    expect(run(['fail', 'pass', 'fail', 'pass', 'fail', 'pass', 'fail', 'fail', 'pass'], 3).every((a) => a === null)).toBe(true)
  })

  it('alerts once when a state holds N samples, and once more on recovery held N samples', () => {
    expect(run(['fail', 'fail', 'fail', 'fail', 'pass', 'pass', 'pass', 'pass'], 3)).toEqual([null, null, 'down:pass->fail', null, null, null, 'recovered:fail->pass', null])
  })

  it('a switch between warn and fail starts the count again', () => {
    expect(run(['warn', 'fail', 'warn', 'warn'], 2)).toEqual([null, null, null, 'degraded:pass->warn'])
  })

  it('with N = 1 every change alerts at once', () => {
    expect(run(['warn', 'pass'], 1)).toEqual(['degraded:pass->warn', 'recovered:warn->pass'])
  })
})

describe('incidents', () => {
  const id = () => 'id-1'
  it('open at the first bad sample (no hold), rise from warn to fail, and close on recovery', () => {
    const opened = incidentAction(undefined, 'filesystem', { status: 'warn', check: 'filesystem:free', output: 'low', time: 5 }, id)
    expect(opened).toEqual({ type: 'open', incident: { id: 'id-1', component: 'filesystem', status: 'warn', startedAt: 5, check: 'filesystem:free', firstOutput: 'low' } })
    if (opened?.type !== 'open') throw new Error('expected open')
    expect(incidentAction(opened.incident, 'filesystem', { status: 'warn', check: 'filesystem:free', output: 'still low', time: 6 }, id)).toBeNull()
    expect(incidentAction(opened.incident, 'filesystem', { status: 'fail', check: 'filesystem:writable', output: 'x', time: 7 }, id)).toEqual({ type: 'escalate', id: 'id-1', status: 'fail' })
    expect(incidentAction(opened.incident, 'filesystem', { status: 'pass', check: null, output: null, time: 9 }, id)).toEqual({ type: 'close', id: 'id-1', endedAt: 9 })
    expect(incidentAction(undefined, 'filesystem', { status: 'pass', check: null, output: null, time: 9 }, id)).toBeNull()
  })

  it('per-component status is the worst of its checks, with the first bad check and its output', () => {
    const time = new Date(0).toISOString()
    const c = componentStatuses({
      status: 'fail',
      checks: {
        'database:responseTime': [{ status: 'pass', time }],
        'filesystem:writable': [{ status: 'fail', time, output: 'The data directory is not writable (ENOENT).' }],
        'filesystem:free': [{ status: 'warn', time, output: 'low' }],
      },
    })
    expect(c.database).toEqual({ status: 'pass', check: null, output: null })
    expect(c.filesystem).toEqual({ status: 'fail', check: 'filesystem:writable', output: 'The data directory is not writable (ENOENT).' })
    expect(c.overall).toEqual({ status: 'fail', check: 'filesystem:writable', output: 'The data directory is not writable (ENOENT).' })
  })
})

describe('tray text', () => {
  it('shows status, uptime and req/s', () => {
    expect(trayText({ siteName: 'My notes', status: 'pass', uptimePercent: 99.999, uptimeWindow: '24 h', requestsPerSecond: 1.234 })).toBe('My notes — up · uptime 99.99% (24 h) · 1.2 req/s')
    expect(trayText({ siteName: 'My notes', status: 'fail', uptimePercent: null, uptimeWindow: '24 h', requestsPerSecond: 42.6 })).toBe('My notes — down · uptime: no data (24 h) · 43 req/s')
    expect(trayText({ siteName: 'x', status: 'warn', uptimePercent: 100, uptimeWindow: '7 d', requestsPerSecond: null })).toBe('x — degraded · uptime 100% (7 d) · req/s: no data')
  })
  it('never reads 100% when some time was down, and fits a tray tooltip', () => {
    expect(formatPercent(99.9999)).toBe('99.99%')
    expect(formatPercent(50)).toBe('50%')
    expect(trayText({ siteName: 'n'.repeat(300), status: 'pass', uptimePercent: 1, uptimeWindow: '24 h', requestsPerSecond: 0 }).length).toBeLessThanOrEqual(127)
  })
})
