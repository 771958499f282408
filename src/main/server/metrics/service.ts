/**
 * The monitoring capability in one piece, for create-server.ts: the collector (with the pool read through
 * a callback), the history in <dataDir>/metrics.db, the disk readiness component, and the schedule. Knows
 * nothing of Express: the wiring mounts metricsMiddleware(service.collector) and metricsRoutes(...).
 * Readiness is read through callbacks, so the service can be created before the health service that
 * receives its `healthChecks`.
 */
import { join } from 'node:path'
import type { HealthReport, PoolStats } from '../../../shared/contract'
import type { Config } from '../config'
import type { NamedCheck } from '../component-check'
import type { Logger } from '../logging'
import { createMetricsCollector, type MetricsCollector } from './collector'
import { diskCheck } from './disk'
import { OVERALL, trayText, type Alert } from './health-history'
import { openMetricsHistory, type EventType, type HistoryEvent, type MetricsHistory } from './history/store'
import { createMetricsScheduler, type MetricsScheduler } from './sampler'

export const METRICS_DB_FILE = 'metrics.db'
const DAY_MS = 86_400_000

export interface MetricsServiceDeps {
  config: Pick<Config, 'dataDir' | 'databasePath' | 'mediaDir' | 'logDir' | 'metrics' | 'siteName'> & { db: Pick<Config['db'], 'nativeBinding'> }
  /** Run every readiness check (detailed): what the health history samples. */
  readiness: () => Promise<HealthReport>
  /** The last readiness report computed, or null (the tray text). */
  lastHealth: () => HealthReport | null
  /** The request ID of the request in progress, if any (slow-query and lock events link to its log lines). */
  requestId?: () => string | null
  pool?: () => PoolStats | null
  logger?: Logger
  clock?: () => number
  /** Logging.fileStatus: log file faults become events. */
  logFile?: () => { enabled: boolean; ok: boolean; code?: string }
  /** Readiness held a new status for STARPUNK_ALERT_SAMPLES samples (desktop notification, browser push). */
  onAlert?: (alert: Alert, report: HealthReport) => void
}

/** What the console may read: the history queries, never a write. Queries throw while metrics.db cannot be opened. */
export type MonitoringReader = Pick<MetricsHistory, 'traffic' | 'heartbeats' | 'uptime' | 'incidents' | 'events' | 'status'>

export interface MetricsService {
  readonly collector: MetricsCollector
  /**
   * Per-request counting on or off, at run time: starts as STARPUNK_METRICS_ENABLED. (The bench turns it
   * over between rounds to compare on and off in one process.)
   */
  collecting: boolean
  readonly history: MetricsHistory
  readonly scheduler: MetricsScheduler
  /** Hear every alert the scheduler decides (the console pushes them to browser consoles). Returns: stop. */
  onAlert(listener: (alert: Alert, report: HealthReport) => void): () => void
  /** The `disk` readiness component (optional: warns past STARPUNK_DISK_WARN_PERCENT, never fails). */
  readonly healthChecks: NamedCheck[]
  /** The read-only part for the console. */
  readonly monitoring: MonitoringReader
  /** A query or write transaction took at least db.slowQueryMs: counted, and a slow_query event with the request ID. */
  slowQuery(info: { kind: 'read' | 'write'; durationMs: number }): void
  /** A write gave up with DATABASE_LOCKED: a database_locked event with the request ID. */
  databaseLocked(info: { waitedMs: number }): void
  /** Start sampling (and record server_start). */
  start(): void
  recordEvent(event: { type: EventType; message: string; level?: HistoryEvent['level']; requestId?: string | null; details?: Record<string, unknown> | null }): void
  /** The tray tooltip: status now, uptime over 24 h, requests per second over the last sampled minute. */
  trayText(): string
  /** Stop sampling, record server_stop, write what is queued, close the file. */
  close(): void
}

export function createMetricsService(deps: MetricsServiceDeps): MetricsService {
  const clock = deps.clock ?? Date.now
  const { config } = deps
  const historyPath = join(config.dataDir, METRICS_DB_FILE)
  const collector = createMetricsCollector({ ...(deps.pool ? { pool: deps.pool } : {}), clock })
  const history = openMetricsHistory({
    path: historyPath,
    clock,
    ...(deps.logger ? { logger: deps.logger } : {}),
    retentionMs: config.metrics.retentionDays * DAY_MS,
    maxBytes: config.metrics.maxMb * 1024 * 1024,
    nativeBinding: config.db.nativeBinding,
  })
  // Optional: a full disk shows up as failed writes elsewhere; this one warns before it gets there.
  const disk: NamedCheck = {
    name: 'disk',
    check: diskCheck({
      paths: { dataDir: config.dataDir, databasePath: config.databasePath, mediaDir: config.mediaDir, logDir: config.logDir, historyPath },
      warnPercent: config.metrics.diskWarnPercent,
      onMeasured: (usage) => collector.setDisk(usage),
      now: clock,
    }),
    required: false,
  }
  const requestId = (): string | null => deps.requestId?.() ?? null
  const alertListeners = new Set<(alert: Alert, report: HealthReport) => void>()
  const scheduler = createMetricsScheduler({
    collector,
    history,
    readiness: deps.readiness,
    healthIntervalMs: config.metrics.healthSampleSeconds * 1000,
    alertSamples: config.metrics.alertSamples,
    clock,
    onAlert: (alert, report) => {
      deps.onAlert?.(alert, report)
      for (const listener of alertListeners) listener(alert, report)
    },
    ...(deps.logFile ? { logFile: deps.logFile } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  })
  let started = false
  let closed = false

  return {
    collector,
    collecting: config.metrics.enabled,
    history,
    scheduler,
    healthChecks: [disk],
    onAlert(listener) {
      alertListeners.add(listener)
      return () => alertListeners.delete(listener)
    },
    monitoring: {
      traffic: (query) => history.traffic(query),
      heartbeats: (query) => history.heartbeats(query),
      uptime: (query) => history.uptime(query),
      incidents: (query) => history.incidents(query),
      events: (query) => history.events(query),
      status: () => history.status(),
    },
    slowQuery({ kind, durationMs }) {
      collector.countSlowQuery()
      const ms = Math.round(durationMs)
      const what = kind === 'write' ? 'A write transaction' : 'A query'
      history.recordEvent({ type: 'slow_query', level: 'warning', message: `${what} took ${ms} ms.`, requestId: requestId(), details: { kind, durationMs: ms } })
    },
    databaseLocked({ waitedMs }) {
      history.recordEvent({
        type: 'database_locked',
        level: 'error',
        message: `A write gave up after waiting ${Math.round(waitedMs)} ms for the database lock.`,
        requestId: requestId(),
        details: { waitedMs: Math.round(waitedMs) },
      })
    },
    start() {
      if (started || closed) return
      started = true
      history.recordEvent({ type: 'server_start', message: 'StarPunk started.' })
      scheduler.start()
    },
    recordEvent: (event) => history.recordEvent(event),
    trayText() {
      const now = clock()
      let uptime: number | null = null
      let rps: number | null = null
      try {
        uptime = history.uptime({ from: now - DAY_MS, to: now, component: OVERALL })[OVERALL]?.percent ?? null
        const recent = history.traffic({ from: now - 5 * 60_000, to: now, stepMs: 60_000 }).buckets.filter((b) => b.total !== null)
        rps = recent.length > 0 ? (recent[recent.length - 1]?.total?.rps ?? null) : null
      } catch {
        // History unavailable (data dir broken): the tray says "no data" rather than failing.
      }
      return trayText({ siteName: config.siteName, status: deps.lastHealth()?.status ?? null, uptimePercent: uptime, uptimeWindow: '24 h', requestsPerSecond: rps })
    },
    close() {
      if (closed) return
      closed = true
      scheduler.stop()
      if (started) history.recordEvent({ type: 'server_stop', message: 'StarPunk stopped.' })
      history.close()
      collector.close()
    },
  }
}
