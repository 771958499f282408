/**
 * The alert decision, pure: shared by the server's scheduler (desktop notifications) and the browser
 * console (Notification API), so both alert on the same rule. No clock, no I/O.
 */
import type { HealthStatus } from './contract'

export interface AlertState {
  /** The status last alerted on (the app starts as if it had alerted "pass"). */
  alerted: HealthStatus
  /** A different status seen lately, and for how many samples in a row. */
  candidate: HealthStatus
  streak: number
}

export const INITIAL_ALERT_STATE: AlertState = { alerted: 'pass', candidate: 'pass', streak: 0 }

export interface Alert {
  from: HealthStatus
  to: HealthStatus
  kind: 'degraded' | 'down' | 'recovered'
}

/**
 * Alert only when a status other than the last alerted one holds for `holdSamples` samples in a row, so
 * pass/fail/pass/fail flapping says nothing until one of them holds.
 */
export function decideAlert(state: AlertState, status: HealthStatus, holdSamples: number): { state: AlertState; alert: Alert | null } {
  if (status === state.alerted) return { state: { alerted: state.alerted, candidate: status, streak: 0 }, alert: null }
  const streak = status === state.candidate ? state.streak + 1 : 1
  if (streak < Math.max(1, holdSamples)) return { state: { alerted: state.alerted, candidate: status, streak }, alert: null }
  const kind = status === 'pass' ? 'recovered' : status === 'warn' ? 'degraded' : 'down'
  return { state: { alerted: status, candidate: status, streak: 0 }, alert: { from: state.alerted, to: status, kind } }
}
