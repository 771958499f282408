/**
 * The console's state (zustand): what the server pushed, and what the person is looking at. A store is
 * made by the app (createConsoleStore) and handed down through React context; no module holds one.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { BackupStatus, ConfigView, ErrorInfo, HealthHistory, HealthReport, LifecycleAccepted, LogEntry, LogLevel, MonitoringEvent, MonitoringRange, PoolStats, ServerStatus, Snapshot, TrafficView } from '../../shared/contract'
import type { Alert } from './monitoring'
import type { ConnectionState } from './transport'

export const LOG_CAPACITY = 10_000
/** Pool samples kept for the chart: about five minutes at one a second. */
export const POOL_HISTORY = 300

export type PanelId = 'overview' | 'traffic' | 'pool' | 'health' | 'events' | 'logs' | 'config'
export const PANELS: Array<{ id: PanelId; label: string }> = [
  { id: 'overview', label: 'Overview' },
  { id: 'traffic', label: 'Traffic' },
  { id: 'pool', label: 'Pool' },
  { id: 'health', label: 'Health' },
  { id: 'events', label: 'Events' },
  { id: 'logs', label: 'Logs' },
  { id: 'config', label: 'Config' },
]

/** A monitoring answer as a panel holds it: the data, or why there is none (shown in the panel, not as a banner). */
export interface Loaded<T> {
  data: T | null
  error: ErrorInfo | null
}

export interface PoolSample {
  stats: PoolStats
  /** Acquisitions per second since the previous sample. */
  acquiredPerSecond: number
}

export interface ConsoleState {
  connection: ConnectionState
  panel: PanelId
  status: ServerStatus | null
  pool: PoolSample[]
  health: HealthReport | null
  /** Check keys whose status changed in the latest report, with the previous status. */
  healthChanges: Record<string, string>
  healthChangedAt: number | null
  logs: LogEntry[]
  logsDropped: number
  config: ConfigView | null
  problems: ErrorInfo[]
  /** The last error a call returned (shown as a dismissible banner). */
  lastError: ErrorInfo | null
  /** A start/stop/restart the server accepted and has not finished yet (its outcome is a server:status event). */
  pending: LifecycleAccepted | null
  setPending: (accepted: LifecycleAccepted | null) => void
  setPanel: (panel: PanelId) => void
  setConnection: (state: ConnectionState) => void
  applySnapshot: (snapshot: Snapshot) => void
  setStatus: (status: ServerStatus) => void
  addPool: (stats: PoolStats) => void
  setHealth: (report: HealthReport) => void
  addLogs: (entries: LogEntry[], dropped: number) => void
  setConfig: (config: ConfigView) => void
  setProblems: (problems: ErrorInfo[]) => void
  setError: (error: ErrorInfo | null) => void
  /** The range the Traffic, Health history and Events views show. */
  range: MonitoringRange
  setRange: (range: MonitoringRange) => void
  traffic: Loaded<TrafficView>
  healthHistory: Loaded<HealthHistory>
  events: Loaded<{ events: MonitoringEvent[]; types: string[] }>
  /** Event types the Events panel shows; empty = all. */
  eventTypes: string[]
  setEventTypes: (types: string[]) => void
  setTraffic: (loaded: Loaded<TrafficView>) => void
  setHealthHistory: (loaded: Loaded<HealthHistory>) => void
  setEvents: (loaded: Loaded<{ events: MonitoringEvent[]; types: string[] }>) => void
  /** The Logs panel opens filtered by this request ID (set by a link in the Events panel). */
  logsRequestId: string | null
  showLogsFor: (requestId: string) => void
  /** Browser alerts: opted in by the person (the Notification API's permission is the browser's). */
  alertsEnabled: boolean
  setAlertsEnabled: (enabled: boolean) => void
  /** The alerts the server raised while this console listened, newest last (each shown once). */
  alerts: Alert[]
  addAlert: (alert: Alert) => void
  /** Backups in <data dir>/backups: the last one's time, shown on the Overview. */
  backup: Loaded<BackupStatus>
  setBackup: (loaded: Loaded<BackupStatus>) => void
}

function checkStatuses(report: HealthReport | null): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, list] of Object.entries(report?.checks ?? {})) out[key] = list.map((c) => c.status).join(',')
  return out
}

function appendPool(history: PoolSample[], stats: PoolStats): PoolSample[] {
  const previous = history[history.length - 1]?.stats
  const seconds = previous ? (stats.at - previous.at) / 1000 : 0
  const acquiredPerSecond = previous && seconds > 0 ? Math.max(0, stats.acquired - previous.acquired) / seconds : 0
  const next = [...history, { stats, acquiredPerSecond }]
  return next.length > POOL_HISTORY ? next.slice(next.length - POOL_HISTORY) : next
}

/** A log line's identity: a restarted server numbers its lines from 1 again, under a new boot id. */
export function logKey(entry: LogEntry): string {
  return `${entry.boot}:${entry.seq}`
}

function bounded(entries: LogEntry[]): LogEntry[] {
  return entries.length > LOG_CAPACITY ? entries.slice(entries.length - LOG_CAPACITY) : entries
}

/**
 * Append pushed entries, keeping the newest LOG_CAPACITY (a bounded buffer: the oldest fall off). Lines
 * of one boot arrive in order, so anything at or before the last held line of the same boot is a line a
 * snapshot already brought: compared with the last entry only, never with all ten thousand.
 */
export function appendLogs(current: LogEntry[], incoming: LogEntry[]): LogEntry[] {
  const last = current[current.length - 1]
  const fresh = last ? incoming.filter((e) => e.boot !== last.boot || e.seq > last.seq) : incoming
  if (fresh.length === 0) return current
  return bounded(current.concat(fresh))
}

/** After a (re)sync: add the snapshot's entries we do not hold yet, each boot's lines in order. */
export function mergeSnapshotLogs(current: LogEntry[], snapshot: LogEntry[]): LogEntry[] {
  if (snapshot.length === 0) return current
  const held = new Set(current.map(logKey))
  const missing = snapshot.filter((e) => !held.has(logKey(e)))
  if (missing.length === 0) return current
  // Boots in the order first seen (older starts first), lines by seq within each.
  const rank = new Map<string, number>()
  for (const e of current.concat(missing)) if (!rank.has(e.boot)) rank.set(e.boot, rank.size)
  const merged = current.concat(missing).sort((a, b) => (rank.get(a.boot) ?? 0) - (rank.get(b.boot) ?? 0) || a.seq - b.seq)
  return bounded(merged)
}

/**
 * Whether `status` is where an accepted action ends. A restart passes through 'stopped', and is done
 * only when a server started after the one that accepted it runs.
 */
export function finishes(pending: LifecycleAccepted, status: ServerStatus): boolean {
  if (status.state === 'failed') return true
  if (pending.accepted === 'stop') return status.state === 'stopped'
  if (pending.accepted === 'start') return status.state === 'running'
  return status.state === 'running' && status.startedAt !== pending.status.startedAt
}

function stillPending(pending: LifecycleAccepted | null, status: ServerStatus): LifecycleAccepted | null {
  return pending && finishes(pending, status) ? null : pending
}

export type ConsoleStore = StoreApi<ConsoleState>

export const createConsoleStore = (): ConsoleStore => createStore<ConsoleState>()((set, get) => ({
  connection: 'connecting',
  panel: 'overview',
  status: null,
  pool: [],
  health: null,
  healthChanges: {},
  healthChangedAt: null,
  logs: [],
  logsDropped: 0,
  config: null,
  problems: [],
  lastError: null,
  pending: null,
  setPending: (pending) => set((state) => ({ pending: pending && state.status && finishes(pending, state.status) ? null : pending })),
  // Another panel (or the Logs tab itself) opens the logs unfiltered; only showLogsFor filters them.
  setPanel: (panel) => set({ panel, logsRequestId: null }),
  setConnection: (connection) => set({ connection }),
  applySnapshot: (snapshot) =>
    set((state) => ({
      status: snapshot.status,
      pending: stillPending(state.pending, snapshot.status),
      pool: snapshot.pool ? appendPool(state.pool, snapshot.pool) : state.pool,
      health: snapshot.health ?? state.health,
      logs: mergeSnapshotLogs(state.logs, snapshot.logs),
      config: snapshot.config,
      problems: snapshot.config.problems,
    })),
  setStatus: (status) =>
    set((state) => ({ status, pending: stillPending(state.pending, status) })),
  addPool: (stats) => set((state) => ({ pool: appendPool(state.pool, stats) })),
  setHealth: (report) => {
    const before = checkStatuses(get().health)
    const after = checkStatuses(report)
    const changes: Record<string, string> = {}
    if (get().health) for (const [key, value] of Object.entries(after)) if (before[key] !== undefined && before[key] !== value) changes[key] = before[key] ?? ''
    set({
      health: report,
      healthChanges: changes,
      healthChangedAt: Object.keys(changes).length > 0 ? Date.now() : get().healthChangedAt,
    })
  },
  addLogs: (entries, dropped) => set((state) => ({ logs: appendLogs(state.logs, entries), logsDropped: state.logsDropped + dropped })),
  setConfig: (config) => set({ config, problems: config.problems }),
  setProblems: (problems) => set({ problems }),
  setError: (lastError) => set({ lastError }),
  range: '1h',
  setRange: (range) => set({ range }),
  traffic: { data: null, error: null },
  healthHistory: { data: null, error: null },
  events: { data: null, error: null },
  eventTypes: [],
  setEventTypes: (eventTypes) => set({ eventTypes }),
  // A failed refresh keeps the last data on screen next to the error (a gap in the history is not "empty").
  setTraffic: (loaded) => set((state) => ({ traffic: { data: loaded.data ?? state.traffic.data, error: loaded.error } })),
  setHealthHistory: (loaded) => set((state) => ({ healthHistory: { data: loaded.data ?? state.healthHistory.data, error: loaded.error } })),
  setEvents: (loaded) => set((state) => ({ events: { data: loaded.data ?? state.events.data, error: loaded.error } })),
  logsRequestId: null,
  showLogsFor: (requestId) => set({ panel: 'logs', logsRequestId: requestId }),
  alertsEnabled: false,
  setAlertsEnabled: (alertsEnabled) => set({ alertsEnabled }),
  alerts: [],
  addAlert: (alert) => set((state) => ({ alerts: [...state.alerts.slice(-19), alert] })),
  backup: { data: null, error: null },
  setBackup: (loaded) => set((state) => ({ backup: { data: loaded.data ?? state.backup.data, error: loaded.error } })),
}))

export const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']
