import type BetterSqlite3 from 'better-sqlite3'
import type { PoolStats } from '../../../shared/contract'

export type SqlParams = unknown[] | Record<string, unknown>
export type Connection = BetterSqlite3.Database

/** Read-only access to one pooled connection, held for a sequence of reads. */
export interface Reader {
  all<T>(sql: string, params?: SqlParams): Promise<T[]>
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>
}

/**
 * The database as services see it: a pool of read connections (async) and one writer (transactions).
 * Services never open connections themselves.
 */
export interface Db extends Reader {
  /** Hold one pooled read connection for several reads. Released when fn settles, even if it throws. */
  withReader<T>(fn: (reader: Reader) => Promise<T>): Promise<T>
  /**
   * Run fn inside a write transaction (BEGIN IMMEDIATE) on the single writer connection.
   * fn is synchronous (better-sqlite3). SQLITE_BUSY is retried with bounded backoff, then DATABASE_LOCKED.
   * A throw inside fn rolls everything back.
   */
  write<T>(fn: (conn: Connection) => T): Promise<T>
  /** The writer connection, for synchronous reads that must see this process's own latest writes. */
  readonly writer: Connection
  stats(): PoolStats
  /** Increments on every committed write made through this Db: a cheap cache key for pages and feeds. */
  readonly version: number
  onChange(listener: () => void): () => void
  /** A real round-trip query for readiness checks; resolves with the time it took in ms. */
  ping(): Promise<number>
  close(): Promise<void>
}

export interface Migration {
  /** Zero-padded, ordered: '001_initial'. */
  name: string
  up: (conn: Connection) => void
}
