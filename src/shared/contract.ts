/**
 * The one contract between the server core (main), the preload bridge and the renderer.
 * Two transports carry it: Electron IPC (desktop) and HTTP + Server-Sent Events under /admin/console
 * (browser, when the server runs headless). Both are generated from the tables below, so a call has
 * one name, one payload type and one result type everywhere.
 */
import type { ErrorInfo, Result } from './errors'

export type { ErrorInfo, Result }

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL'
export type HealthStatus = 'pass' | 'warn' | 'fail'

export interface LogEntry {
  /** Monotonic sequence number within this process; lets clients resume and detect gaps. */
  seq: number
  time: string
  level: LogLevel
  msg: string
  requestId?: string
  /** Any further structured fields, already redacted. */
  fields?: Record<string, unknown>
}

export interface PoolStats {
  size: number
  active: number
  idle: number
  waiting: number
  acquired: number
  released: number
  created: number
  timeouts: number
  /** Time spent waiting for a connection, ms: waits that got one and waits that timed out. */
  totalWaitMs: number
  maxWaitMs: number
  /** Mean wait per acquisition attempt that ended (granted or timed out), ms. */
  meanWaitMs: number
  /** Epoch ms the snapshot was taken. */
  at: number
}

/** One component check, after the IETF health-check draft (keys are `component:measurement`). */
export interface HealthCheck {
  componentType?: string
  observedValue?: string | number | boolean
  observedUnit?: string
  status: HealthStatus
  time: string
  output?: string
}

export interface HealthReport {
  status: HealthStatus
  version?: string
  releaseId?: string
  description?: string
  uptimeSeconds?: number
  checks?: Record<string, HealthCheck[]>
}

export interface ServerStatus {
  state: 'starting' | 'running' | 'stopped' | 'failed'
  url: string | null
  version: string
  startedAt: string | null
  uptimeSeconds: number
  dataDir: string
  searchEngine: 'fts5' | 'like' | 'disabled' | null
  /** Set when state is 'failed' (e.g. port in use). */
  error?: ErrorInfo
  /** Whether start/stop/restart work from the console (false for a server the plain CLI started). */
  controllable?: boolean
}

export interface ConfigField {
  /** Environment variable name, e.g. STARPUNK_PORT. */
  name: string
  value: string
  default: string
  description: string
  secret: boolean
  source: 'env' | 'file' | 'default' | 'generated'
}

export interface ConfigView {
  fields: ConfigField[]
  problems: ErrorInfo[]
  /** Where the optional config file lives. */
  filePath: string
}

export interface Snapshot {
  status: ServerStatus
  pool: PoolStats | null
  health: HealthReport | null
  config: ConfigView
  logs: LogEntry[]
}

/** Request/response calls: name → [request payload, response data]. */
export interface ContractCalls {
  'server:snapshot': [void, Snapshot]
  'server:status': [void, ServerStatus]
  'pool:stats': [void, PoolStats | null]
  'health:get': [void, HealthReport]
  'config:get': [void, ConfigView]
  'config:validate': [{ values: Record<string, string> }, { problems: ErrorInfo[] }]
  'config:save': [{ values: Record<string, string> }, { problems: ErrorInfo[]; saved: boolean }]
  'logs:recent': [{ limit?: number; afterSeq?: number }, { entries: LogEntry[]; dropped: number }]
  'server:restart': [void, ServerStatus]
  'server:stop': [void, ServerStatus]
  'server:start': [void, ServerStatus]
  'link:open': [{ target: 'blog' | 'admin' }, { url: string }]
}

/** Pushed events: name → payload. */
export interface ContractEvents {
  'pool:stats': PoolStats
  'health:changed': HealthReport
  'logs:batch': { entries: LogEntry[]; dropped: number }
  'config:problems': { problems: ErrorInfo[] }
  'server:status': ServerStatus
}

export type CallName = keyof ContractCalls
export type EventName = keyof ContractEvents
export type CallRequest<N extends CallName> = ContractCalls[N][0]
export type CallResponse<N extends CallName> = ContractCalls[N][1]

export const CALL_NAMES = [
  'server:snapshot',
  'server:status',
  'pool:stats',
  'health:get',
  'config:get',
  'config:validate',
  'config:save',
  'logs:recent',
  'server:restart',
  'server:stop',
  'server:start',
  'link:open',
] as const satisfies readonly CallName[]

export const EVENT_NAMES = [
  'pool:stats',
  'health:changed',
  'logs:batch',
  'config:problems',
  'server:status',
] as const satisfies readonly EventName[]

/** IPC channel names derive from the call and event names, so nothing else spells them. */
export const ipcChannel = {
  call: (name: CallName): string => `starpunk:call:${name}`,
  event: (name: EventName): string => `starpunk:event:${name}`,
}

/** What the preload exposes as `window.starpunk`, and what the HTTP client implements too. */
export interface StarpunkApi {
  call<N extends CallName>(name: N, request: CallRequest<N>): Promise<Result<CallResponse<N>>>
  /** Subscribe to a pushed event; returns the unsubscribe function. */
  on<E extends EventName>(name: E, listener: (payload: ContractEvents[E]) => void): () => void
}

export function isCallName(value: unknown): value is CallName {
  return typeof value === 'string' && (CALL_NAMES as readonly string[]).includes(value)
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && (EVENT_NAMES as readonly string[]).includes(value)
}
