/** The console's state (zustand): what the server pushed, and what the person is looking at. */
import { create } from 'zustand'
import type { ConfigView, ErrorInfo, HealthReport, LogEntry, LogLevel, PoolStats, ServerStatus, Snapshot } from '../../shared/contract'
import type { ConnectionState } from './transport'

export const LOG_CAPACITY = 10_000
/** Pool samples kept for the chart: about five minutes at one a second. */
export const POOL_HISTORY = 300

export type PanelId = 'overview' | 'pool' | 'health' | 'logs' | 'config'
export const PANELS: Array<{ id: PanelId; label: string }> = [
  { id: 'overview', label: 'Overview' },
  { id: 'pool', label: 'Pool' },
  { id: 'health', label: 'Health' },
  { id: 'logs', label: 'Logs' },
  { id: 'config', label: 'Config' },
]

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
  setPanel(panel: PanelId): void
  setConnection(state: ConnectionState): void
  applySnapshot(snapshot: Snapshot): void
  setStatus(status: ServerStatus): void
  addPool(stats: PoolStats): void
  setHealth(report: HealthReport): void
  addLogs(entries: LogEntry[], dropped: number): void
  setConfig(config: ConfigView): void
  setProblems(problems: ErrorInfo[]): void
  setError(error: ErrorInfo | null): void
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

/** Append entries, keeping the newest LOG_CAPACITY (a bounded buffer: the oldest fall off). */
export function appendLogs(current: LogEntry[], incoming: LogEntry[]): LogEntry[] {
  if (incoming.length === 0) return current
  const merged = current.concat(incoming)
  return merged.length > LOG_CAPACITY ? merged.slice(merged.length - LOG_CAPACITY) : merged
}

/**
 * After a (re)sync: add the snapshot's entries we do not hold yet. Keyed by sequence and time, not by
 * sequence alone: a restarted server numbers its lines from 1 again.
 */
function mergeSnapshotLogs(current: LogEntry[], snapshot: LogEntry[]): LogEntry[] {
  const held = new Set(current.map((e) => `${e.seq}|${e.time}`))
  return appendLogs(current, snapshot.filter((e) => !held.has(`${e.seq}|${e.time}`)))
}

export const useConsole = create<ConsoleState>()((set, get) => ({
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
  setPanel: (panel) => set({ panel }),
  setConnection: (connection) => set({ connection }),
  applySnapshot: (snapshot) =>
    set((state) => ({
      status: snapshot.status,
      pool: snapshot.pool ? appendPool(state.pool, snapshot.pool) : state.pool,
      health: snapshot.health ?? state.health,
      logs: mergeSnapshotLogs(state.logs, snapshot.logs),
      config: snapshot.config,
      problems: snapshot.config.problems,
    })),
  setStatus: (status) => set({ status }),
  addPool: (stats) => set((state) => ({ pool: appendPool(state.pool, stats) })),
  setHealth: (report) => {
    const before = checkStatuses(get().health)
    const after = checkStatuses(report)
    const changes: Record<string, string> = {}
    if (get().health) for (const [key, value] of Object.entries(after)) if (before[key] !== undefined && before[key] !== value) changes[key] = before[key] ?? ''
    set({ health: report, healthChanges: changes, healthChangedAt: Object.keys(changes).length > 0 ? Date.now() : get().healthChangedAt })
  },
  addLogs: (entries, dropped) => set((state) => ({ logs: appendLogs(state.logs, entries), logsDropped: state.logsDropped + dropped })),
  setConfig: (config) => set({ config, problems: config.problems }),
  setProblems: (problems) => set({ problems }),
  setError: (lastError) => set({ lastError }),
}))

export const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']
