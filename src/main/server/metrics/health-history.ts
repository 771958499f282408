/**
 * Pure rules for health history: per-component status from a readiness report, uptime over a window,
 * incident transitions, the alert decision (no flapping) and the tray text. No clock, no I/O.
 */
import type { HealthCheck, HealthStatus } from '../../../shared/contract'

const RANK: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 }

export function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[b] > RANK[a] ? b : a
}

export interface ComponentStatus {
  status: HealthStatus
  /** The first check that was not pass (`component:measurement`), and its output. */
  check: string | null
  output: string | null
}

/** The component name used for the report's overall status. */
export const OVERALL = 'overall'

/** Group a readiness report's `component:measurement` checks by component; each gets its worst status. */
export function componentStatuses(report: { status: HealthStatus; checks?: Record<string, HealthCheck[]> }): Record<string, ComponentStatus> {
  const out: Record<string, ComponentStatus> = {}
  for (const [key, list] of Object.entries(report.checks ?? {})) {
    const colon = key.indexOf(':')
    const component = colon === -1 ? key : key.slice(0, colon)
    const entry = (out[component] ??= { status: 'pass', check: null, output: null })
    for (const item of list) {
      if (item.status !== 'pass' && entry.check === null) {
        entry.check = key
        entry.output = item.output ?? null
      }
      entry.status = worse(entry.status, item.status)
    }
  }
  const firstBad = Object.values(out).find((c) => c.status !== 'pass')
  out[OVERALL] = { status: report.status, check: report.status === 'pass' ? null : (firstBad?.check ?? null), output: report.status === 'pass' ? null : (firstBad?.output ?? null) }
  return out
}

export interface StatusSample {
  /** Epoch ms the check ran. */
  time: number
  status: HealthStatus
  /** The sampling interval in force: a sample speaks for at most this long. */
  intervalMs: number
}

export interface Uptime {
  /** Time counted as up (pass and warn), of which degraded (warn); down (fail); no samples. All ms. */
  upMs: number
  degradedMs: number
  downMs: number
  noDataMs: number
  /** up / (up + down) × 100; null when there is no data at all in the window. */
  percent: number | null
}

/**
 * Uptime over [from, to). Each sample stands for the time until the next one, but never longer than its
 * interval: beyond that (the app was off, or asleep) is "no data", kept out of the percentage.
 * `samples` must be sorted by time; one just before `from` may be included (it covers the window's start).
 */
export function computeUptime(samples: readonly StatusSample[], from: number, to: number): Uptime {
  let upMs = 0
  let degradedMs = 0
  let downMs = 0
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i] as StatusSample
    const next = samples[i + 1]
    const start = Math.max(sample.time, from)
    const end = Math.min(sample.time + sample.intervalMs, next ? next.time : Infinity, to)
    if (end <= start) continue
    const span = end - start
    if (sample.status === 'fail') downMs += span
    else {
      upMs += span
      if (sample.status === 'warn') degradedMs += span
    }
  }
  const total = Math.max(0, to - from)
  const known = upMs + downMs
  return { upMs, degradedMs, downMs, noDataMs: Math.max(0, total - known), percent: known > 0 ? (upMs / known) * 100 : null }
}

export interface OpenIncident {
  id: string
  component: string
  /** The worst status seen while open. */
  status: 'warn' | 'fail'
  startedAt: number
  check: string | null
  firstOutput: string | null
}

export type IncidentAction =
  | { type: 'open'; incident: OpenIncident }
  | { type: 'escalate'; id: string; status: 'fail' }
  | { type: 'close'; id: string; endedAt: number }

/**
 * What one sample does to a component's incident: the first warn or fail opens one (at once: no hold),
 * a fail after a warn raises it to fail, a pass closes it.
 */
export function incidentAction(open: OpenIncident | undefined, component: string, sample: ComponentStatus & { time: number }, newId: () => string): IncidentAction | null {
  if (sample.status === 'pass') return open ? { type: 'close', id: open.id, endedAt: sample.time } : null
  if (!open) {
    return { type: 'open', incident: { id: newId(), component, status: sample.status, startedAt: sample.time, check: sample.check, firstOutput: sample.output } }
  }
  if (sample.status === 'fail' && open.status === 'warn') return { type: 'escalate', id: open.id, status: 'fail' }
  return null
}

// The alert decision is pure and shared with the browser console (which alerts too): it lives in src/shared.
export { decideAlert, INITIAL_ALERT_STATE, type Alert, type AlertState } from '../../../shared/alert'

/** Percent cut (not rounded) to two decimals: 99.999 must not read as 100. */
export function formatPercent(percent: number): string {
  const cut = Math.floor(percent * 100) / 100
  return `${cut.toFixed(2).replace(/\.?0+$/, '')}%`
}

export function formatRate(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond))
}

/** Tray tooltips are cut by the OS (Windows: 127 characters). */
const TRAY_MAX = 127

/** The tray tooltip: name, status, uptime over its window, and requests per second. */
export function trayText(input: { siteName: string; status: HealthStatus | null; uptimePercent: number | null; uptimeWindow: string; requestsPerSecond: number | null }): string {
  const state = input.status === null ? 'starting' : input.status === 'pass' ? 'up' : input.status === 'warn' ? 'degraded' : 'down'
  const uptime = input.uptimePercent === null ? `uptime: no data (${input.uptimeWindow})` : `uptime ${formatPercent(input.uptimePercent)} (${input.uptimeWindow})`
  const rate = input.requestsPerSecond === null ? 'req/s: no data' : `${formatRate(input.requestsPerSecond)} req/s`
  const text = `${input.siteName} — ${state} · ${uptime} · ${rate}`
  return text.length > TRAY_MAX ? `${text.slice(0, TRAY_MAX - 1)}…` : text
}
