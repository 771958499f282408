import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import Database from 'better-sqlite3'
import type { Config } from '../config/types'
import { AppError } from '../errors'
import type { Logger } from '../logging'
import { migrate } from './migrate'
import { outsideAsar } from './module-path'
import { ReaderPool } from './pool'
import { databaseLocked, databaseUnavailable, isBusyError, isUnavailableError, retryBusy } from './sqlite-errors'
import type { Connection, Db, Migration } from './types'

export { runMigrations } from './migrate'

export interface OpenDbOptions {
  path: string
  db: Config['db']
  logger: Logger
  /** Migrations to apply (default: all of MIGRATIONS). Tests add their own. */
  migrations?: Migration[]
  /** Told about slow queries and locks (the metrics). Read at call time, so they may be set after opening. */
  signals?: DbSignals
  /**
   * Start reader threads as concurrency needs them and stop idle ones (ReaderPoolOptions.lazy). The server
   * does, to stay small when idle; the default (all threads at open) is what the pool tests describe.
   */
  readers?: { lazy: boolean; idleRetireMs?: number }
}

/**
 * What the database tells an observer. Called in the caller's async context (its request ID), after the
 * log line; a throwing observer is ignored, never turned into a failed query.
 */
export interface DbSignals {
  /** A read query or a write transaction took at least db.slowQueryMs. */
  slowQuery?: (info: { kind: 'read' | 'write'; durationMs: number }) => void
  /** A write gave up with DATABASE_LOCKED after waiting out db.busyTimeoutMs. */
  locked?: (info: { waitedMs: number }) => void
}

/** Tell an observer, without letting its failure reach the query. */
export function notifySignal<A>(listener: ((info: A) => void) | undefined, info: A): void {
  try {
    listener?.(info)
  } catch {
    // An observer's bug must not fail the query it watches.
  }
}

/**
 * How long one synchronous SQLite call on the main thread may block waiting for a lock. Longer waits
 * happen between attempts, on timers (retryBusy), so the event loop keeps serving other requests.
 */
export const WRITER_BUSY_SLICE_MS = 10

/**
 * synchronous=NORMAL with WAL: a commit survives an application crash; only an OS crash or power cut
 * can roll back the last few commits, and the file never corrupts. FULL would fsync on every commit:
 * measured ~6 ms per commit here vs ~0.2 ms, all of it blocking the event loop (docs/architecture.md).
 */
export const WRITER_SYNCHRONOUS = 'NORMAL'

/** Where the better-sqlite3 package lives, for the reader threads to require by absolute path. */
function betterSqlitePath(): string {
  try {
    return outsideAsar(createRequire(import.meta.url).resolve('better-sqlite3'), existsSync)
  } catch {
    // Bundles where import.meta.url cannot resolve packages: the threads resolve it from the working dir.
    return 'better-sqlite3'
  }
}

/** Identity of the file at a path (device + inode), or null when nothing is there. */
function fileIdentity(path: string): string | null {
  try {
    const st = statSync(path)
    return st.isFile() ? `${st.dev}:${st.ino}` : null
  } catch {
    return null
  }
}

export interface PooledDb extends Db {
  /**
   * Whether the configured path still leads to the file this process opened. False when the file was
   * moved, deleted or replaced underneath us: writes would go to a file nobody will find again.
   */
  fileIntact(): boolean
  /** The reader pool itself (tests kill threads through it). */
  readonly pool: ReaderPool
}

function openWriter(options: OpenDbOptions): Connection {
  const nativeBinding = options.db.nativeBinding ?? undefined
  try {
    const writer = new Database(options.path, nativeBinding ? { nativeBinding } : {})
    writer.pragma(`busy_timeout = ${WRITER_BUSY_SLICE_MS}`)
    return writer
  } catch (err) {
    throw databaseUnavailable(err)
  }
}

/**
 * Open the database: one writer connection on the main thread (WAL, foreign keys, migrations) and a
 * pool of reader connections in worker threads.
 */
export async function openDb(options: OpenDbOptions): Promise<PooledDb> {
  const { logger } = options
  const busyTimeoutMs = options.db.busyTimeoutMs
  const writer = openWriter(options)
  let pool: ReaderPool | null = null
  try {
    const deadline = Date.now() + busyTimeoutMs
    // Switching to WAL needs a moment of exclusive access: another process starting at the same time can make it BUSY.
    const mode = await retryBusy(() => writer.pragma('journal_mode = WAL', { simple: true }), deadline, busyTimeoutMs)
    if (String(mode).toLowerCase() !== 'wal') logger.warn('database is not in WAL mode; readers will wait for writers', { journalMode: mode })
    writer.pragma('foreign_keys = ON')
    writer.pragma(`synchronous = ${WRITER_SYNCHRONOUS}`)
    // Keep the WAL file from growing without bound after a burst of writes.
    writer.pragma('journal_size_limit = 67108864')
    // SQLite's own 2 MiB page cache instead of better-sqlite3's 16 MiB, as for the readers: a write touches
    // few pages, the OS page cache serves re-reads, and the main thread's memory stays small.
    writer.pragma('cache_size = -2000')
    await migrate(writer, logger, { busyTimeoutMs, migrations: options.migrations })
    pool = new ReaderPool({
      path: options.path,
      modulePath: betterSqlitePath(),
      nativeBinding: options.db.nativeBinding,
      size: Math.max(1, Math.floor(options.db.poolSize)),
      acquireTimeoutMs: options.db.poolTimeoutMs,
      busyTimeoutMs,
      slowQueryMs: options.db.slowQueryMs,
      logger,
      onSlowQuery: (durationMs) => notifySignal(options.signals?.slowQuery, { kind: 'read', durationMs }),
      lazy: options.readers?.lazy ?? false,
      idleRetireMs: options.readers?.idleRetireMs,
    })
    await pool.ready()
  } catch (err) {
    await pool?.close()
    writer.close()
    if (isUnavailableError(err)) throw databaseUnavailable(err)
    throw err
  }
  const readers = pool
  const identity = fileIdentity(options.path)
  logger.info('database open', { readers: readers.options.size, readerThreadsStarted: readers.runningThreads(), journalMode: 'wal', synchronous: WRITER_SYNCHRONOUS })

  let version = 0
  let closed = false
  const listeners = new Set<() => void>()
  // Writes take turns: a write waiting out another process's lock must not interleave with the next one.
  let writeQueue: Promise<unknown> = Promise.resolve()

  async function writeNow<T>(fn: (conn: Connection) => T, deadline: number): Promise<T> {
    if (closed) throw databaseUnavailable(new Error('database closed'))
    try {
      await retryBusy(() => writer.exec('BEGIN IMMEDIATE'), deadline, busyTimeoutMs)
    } catch (err) {
      if (isUnavailableError(err)) throw databaseUnavailable(err)
      throw err
    }
    const start = performance.now()
    let result: T
    try {
      result = fn(writer)
      if (result instanceof Promise) {
        void result.catch(() => {})
        throw new TypeError('db.write(fn): fn must be synchronous; do async work before or after the write')
      }
    } catch (err) {
      if (writer.inTransaction) writer.exec('ROLLBACK')
      if (isBusyError(err)) throw databaseLocked(busyTimeoutMs, err)
      if (isUnavailableError(err)) throw databaseUnavailable(err)
      throw err
    }
    try {
      await retryBusy(() => writer.exec('COMMIT'), Math.max(deadline, Date.now() + WRITER_BUSY_SLICE_MS), busyTimeoutMs)
    } catch (err) {
      if (writer.inTransaction) writer.exec('ROLLBACK')
      if (isUnavailableError(err)) throw databaseUnavailable(err)
      throw err
    }
    const ms = performance.now() - start
    if (ms >= options.db.slowQueryMs) {
      logger.warn('slow write transaction', { durationMs: Math.round(ms), thresholdMs: options.db.slowQueryMs })
      notifySignal(options.signals?.slowQuery, { kind: 'write', durationMs: ms })
    }
    version++
    for (const listener of listeners) {
      try {
        listener()
      } catch (err) {
        logger.error('db change listener failed', { err })
      }
    }
    return result
  }

  const db: PooledDb = {
    pool: readers,
    writer,
    get version() {
      return version
    },
    all: (sql, params) => readers.withReader((r) => r.all(sql, params)),
    get: (sql, params) => readers.withReader((r) => r.get(sql, params)),
    withReader: (fn) => readers.withReader(fn),
    write<T>(fn: (conn: Connection) => T): Promise<T> {
      // The busy deadline counts from the call, so time spent queued behind other writes counts too.
      const deadline = Date.now() + busyTimeoutMs
      const called = Date.now()
      const run = writeQueue.then(() => writeNow(fn, deadline))
      writeQueue = run.catch(() => {})
      return run.catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'DATABASE_LOCKED') notifySignal(options.signals?.locked, { waitedMs: Date.now() - called })
        throw err
      })
    },
    stats: () => readers.snapshot(),
    onChange(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    async ping() {
      const start = performance.now()
      await readers.withReader((r) => r.get('SELECT count(*) AS n FROM schema_migrations'))
      return performance.now() - start
    },
    fileIntact: () => identity !== null && fileIdentity(options.path) === identity,
    async close() {
      if (closed) return
      closed = true
      await writeQueue
      await readers.close()
      try {
        writer.pragma('optimize')
      } catch {
        // Best effort: the file may be gone already.
      }
      writer.close()
      logger.info('database closed')
    },
  }
  return db
}
