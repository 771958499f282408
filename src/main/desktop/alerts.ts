/**
 * What the desktop says about readiness, as pure functions: the native notification for an alert, and
 * the tray tooltip from a snapshot of the monitoring history. app.ts only shows them.
 */
import type { Alert } from '../../shared/alert'
import type { HealthReport, HealthStatus } from '../../shared/contract'
import { trayText, type TrafficResult, type Uptime } from '../server/metrics'

export interface AlertNotice {
  title: string
  body: string
}

const KIND_TITLE: Record<Alert['kind'], string> = { degraded: 'degraded', down: 'down', recovered: 'recovered' }

/** The checks not passing, as "name: output" (the first output of each), for the notification body. */
function failingChecks(report: HealthReport): string[] {
  const lines: string[] = []
  for (const [name, checks] of Object.entries(report.checks ?? {})) {
    const bad = checks.find((check) => check.status !== 'pass')
    if (bad) lines.push(bad.output ? `${name}: ${bad.output}` : `${name}: ${bad.status}`)
  }
  return lines
}

/** The notification for an alert: which way readiness turned, and the checks behind it. */
export function alertNotice(siteName: string, alert: Alert, report: HealthReport): AlertNotice {
  const title = `${siteName} ${KIND_TITLE[alert.kind]}`
  if (alert.kind === 'recovered') return { title, body: `All checks pass again (was ${alert.from}).` }
  const checks = failingChecks(report)
  const head = alert.kind === 'down' ? 'Readiness failed.' : 'Readiness is degraded.'
  return { title, body: checks.length > 0 ? `${head} ${checks.join('; ')}` : head }
}

/** How far back the tray's req/s and uptime look. */
export const TRAY_RATE_WINDOW_MS = 5 * 60_000
export const TRAY_UPTIME_WINDOW = { label: '24 h', ms: 24 * 60 * 60_000 }
/** How often the tooltip is refreshed while the app runs. */
export const TRAY_REFRESH_MS = 15_000

export interface TraySnapshot {
  siteName: string
  /** Readiness as last heard; null before the first report (or with the server stopped). */
  status: HealthStatus | null
  /** The 'overall' uptime over TRAY_UPTIME_WINDOW; null when the history cannot be read. */
  uptime: Uptime | null
  /** Traffic over TRAY_RATE_WINDOW_MS; null when the history cannot be read. */
  traffic: TrafficResult | null
}

/** Requests per second over the sampled part of the window; null when nothing was sampled (a gap is not zero). */
export function requestsPerSecond(traffic: TrafficResult | null): number | null {
  if (!traffic) return null
  let requests = 0
  let seconds = 0
  for (const bucket of traffic.buckets) {
    if (bucket.sampledSeconds === null) continue
    seconds += bucket.sampledSeconds
    requests += bucket.total?.requests ?? 0
  }
  return seconds > 0 ? requests / seconds : null
}

/** The tray tooltip for a snapshot (see trayText for the layout and the OS length cut). */
export function trayTooltip(snapshot: TraySnapshot): string {
  return trayText({
    siteName: snapshot.siteName,
    status: snapshot.status,
    uptimePercent: snapshot.uptime?.percent ?? null,
    uptimeWindow: TRAY_UPTIME_WINDOW.label,
    requestsPerSecond: requestsPerSecond(snapshot.traffic),
  })
}

/** The tooltip while no server runs: no history to read. */
export function stoppedTooltip(siteName: string, state: string): string {
  return `${siteName} — server ${state}`
}

/** The monitoring reads the tray needs (a Pick of the server's history). */
export interface TrayHistory {
  traffic(query: { from: number; to: number }): TrafficResult
  uptime(query: { from: number; to: number }): Record<string, Uptime>
}

/** Read a snapshot at `now`; a history that cannot be read (metrics.db broken) gives nulls, never a throw. */
export function readTraySnapshot(history: TrayHistory | null | undefined, siteName: string, status: HealthStatus | null, now: number): TraySnapshot {
  const attempt = <T>(read: () => T): T | null => {
    try {
      return read()
    } catch {
      return null
    }
  }
  return {
    siteName,
    status,
    uptime: history ? (attempt(() => history.uptime({ from: now - TRAY_UPTIME_WINDOW.ms, to: now }).overall) ?? null) : null,
    traffic: history ? attempt(() => history.traffic({ from: now - TRAY_RATE_WINDOW_MS, to: now })) : null,
  }
}
