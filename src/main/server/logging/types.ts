import type { LogEntry, LogLevel } from '../../../shared/contract'

export type LogFields = Record<string, unknown>

/** The one logging interface every service receives. Request IDs are attached automatically. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  critical(msg: string, fields?: LogFields): void
  /** A logger that adds `bindings` (e.g. { component: 'db' }) to every line. */
  child(bindings: LogFields): Logger
  isLevelEnabled(level: LogLevel): boolean
}

export interface RequestContext {
  requestId: string
  /** W3C trace id from an inbound traceparent header, when valid. */
  traceId?: string
}

/** Bounded in-memory tail of recent log entries, for the admin console's live stream. */
export interface LogBuffer {
  recent(limit?: number, afterSeq?: number): LogEntry[]
  /** Subscribe to new entries; returns the unsubscribe function. */
  subscribe(listener: (entry: LogEntry) => void): () => void
  /** How many entries have fallen off the end of the buffer since start. */
  readonly dropped: number
  readonly capacity: number
}
