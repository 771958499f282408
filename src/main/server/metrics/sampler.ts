/**
 * The schedule: every 10 s a collector window becomes a history point (and the history flushes and prunes
 * one batch); every health interval the readiness checks are sampled into health history, incidents and
 * alerts. Timers are unref'd: they never keep a process alive. The sample functions are exposed so tests
 * (with an injected clock) and the wiring can drive them directly.
 */
import type { HealthReport, HealthStatus } from '../../../shared/contract'
import type { Logger } from '../logging'
import type { MetricsCollector } from './collector'
import { INITIAL_ALERT_STATE, OVERALL, componentStatuses, decideAlert, type Alert, type AlertState } from './health-history'
import type { MetricsHistory } from './history/store'

export interface MetricsSchedulerDeps {
  collector: Pick<MetricsCollector, 'takeWindow'>
  history: MetricsHistory
  /** Readiness, detailed (the health service). */
  readiness?: () => Promise<HealthReport>
  /** STARPUNK_HEALTH_SAMPLE_SECONDS, in ms. */
  healthIntervalMs: number
  /** STARPUNK_ALERT_SAMPLES: a status must hold this many samples before it alerts. */
  alertSamples: number
  clock: () => number
  pointIntervalMs?: number
  /** The log file's state (Logging.fileStatus): a change between samples is recorded as an event. */
  logFile?: () => { enabled: boolean; ok: boolean; code?: string }
  /** Called when the overall readiness status alerts (held long enough) — desktop notification, browser push. */
  onAlert?: (alert: Alert, report: HealthReport) => void
  logger?: Logger
}

export interface MetricsScheduler {
  start(): void
  stop(): void
  /** Take a window, record it, flush, prune one batch. */
  samplePoint(): void
  /** Run readiness once and record it; resolves with the alert it raised, if any. */
  sampleHealth(): Promise<Alert | null>
}

export function createMetricsScheduler(deps: MetricsSchedulerDeps): MetricsScheduler {
  const pointIntervalMs = deps.pointIntervalMs ?? 10_000
  let alertState: AlertState = INITIAL_ALERT_STATE
  let lastOverall: HealthStatus | null = null
  let pointTimer: NodeJS.Timeout | null = null
  let healthTimer: NodeJS.Timeout | null = null
  let sampling = false
  let logFileOk: boolean | null = null

  function samplePoint(): void {
    const window = deps.collector.takeWindow()
    deps.history.recordWindow(window)
    // Seen from the pool's counters, so it needs no hook in the pool: one event per window with timeouts.
    const timeouts = window.process.poolTimeouts ?? 0
    if (timeouts > 0) {
      deps.history.recordEvent({
        type: 'pool_exhausted',
        level: 'warning',
        message: `${timeouts} ${timeouts === 1 ? 'request' : 'requests'} waited too long for a database connection (POOL_EXHAUSTED).`,
        time: window.end,
        details: { timeouts, waiting: window.process.poolWaiting },
      })
    }
    watchLogFile(window.end)
    deps.history.flush()
    deps.history.prune()
  }

  function watchLogFile(time: number): void {
    if (!deps.logFile) return
    let state
    try {
      state = deps.logFile()
    } catch {
      return
    }
    if (!state.enabled) return
    if (logFileOk !== null && state.ok !== logFileOk) {
      deps.history.recordEvent(
        state.ok
          ? { type: 'log_file_fault', level: 'info', message: 'The log file is written again.', time, details: { ok: true } }
          : { type: 'log_file_fault', level: 'error', message: `The log file cannot be written (${state.code ?? 'ERROR'}); lines are kept in memory only.`, time, details: { ok: false, code: state.code ?? null } },
      )
    }
    logFileOk = state.ok
  }

  async function sampleHealth(): Promise<Alert | null> {
    if (!deps.readiness || sampling) return null
    sampling = true
    try {
      const report = await deps.readiness()
      const time = deps.clock()
      deps.history.recordHealth(report, time, deps.healthIntervalMs)
      const overall = componentStatuses(report)[OVERALL]?.status ?? report.status
      if (lastOverall !== null && overall !== lastOverall) {
        deps.history.recordEvent({ type: 'readiness_changed', level: overall === 'pass' ? 'info' : overall === 'warn' ? 'warning' : 'error', message: `Readiness went from ${lastOverall} to ${overall}.`, time, details: { from: lastOverall, to: overall } })
      }
      lastOverall = overall
      const decision = decideAlert(alertState, overall, deps.alertSamples)
      alertState = decision.state
      if (decision.alert) {
        try {
          deps.onAlert?.(decision.alert, report)
        } catch (err) {
          deps.logger?.warn('alert listener failed', { err })
        }
      }
      deps.history.flush()
      return decision.alert
    } catch (err) {
      deps.logger?.warn('health sample failed', { err })
      return null
    } finally {
      sampling = false
    }
  }

  return {
    start() {
      if (pointTimer) return
      pointTimer = setInterval(samplePoint, pointIntervalMs)
      pointTimer.unref()
      if (deps.readiness) {
        // The first sample waits one interval: a readiness run at start would be shared (health runs one at a
        // time) with any probe arriving meanwhile, which could then read a report older than its request.
        healthTimer = setInterval(() => void sampleHealth(), deps.healthIntervalMs)
        healthTimer.unref()
      }
    },
    stop() {
      if (pointTimer) clearInterval(pointTimer)
      if (healthTimer) clearInterval(healthTimer)
      pointTimer = healthTimer = null
    },
    samplePoint,
    sampleHealth,
  }
}
