// PLACEHOLDER implementation (skeleton): the db helper replaces it with worker-thread readers, a real
// pool with stats/timeouts, BUSY retry and safe concurrent migrations, keeping the Db interface.
import Database from 'better-sqlite3'
import type { Config } from '../config/types'
import type { Logger } from '../logging'
import { MIGRATIONS } from './migrations'
import type { Connection, Db, Reader, SqlParams } from './types'

export interface OpenDbOptions {
  path: string
  db: Config['db']
  logger: Logger
}

function bind(params: SqlParams | undefined): unknown[] {
  if (params === undefined) return []
  return Array.isArray(params) ? params : [params]
}

export function runMigrations(conn: Connection, logger: Logger): string[] {
  conn.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)')
  const applied = new Set(conn.prepare('SELECT name FROM schema_migrations').pluck().all() as string[])
  const pending = MIGRATIONS.filter((m) => !applied.has(m.name))
  conn.transaction(() => {
    for (const m of pending) {
      m.up(conn)
      conn.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(m.name, new Date().toISOString())
      logger.info('migration applied', { migration: m.name })
    }
  }).immediate()
  return pending.map((m) => m.name)
}

export async function openDb(options: OpenDbOptions): Promise<Db> {
  const nativeBinding = options.db.nativeBinding ?? undefined
  const writer = new Database(options.path, nativeBinding ? { nativeBinding } : {})
  writer.pragma('journal_mode = WAL')
  writer.pragma(`busy_timeout = ${options.db.busyTimeoutMs}`)
  writer.pragma('foreign_keys = ON')
  writer.pragma('synchronous = NORMAL')
  runMigrations(writer, options.logger)
  let version = 0
  const listeners = new Set<() => void>()
  const stats = { acquired: 0, released: 0 }
  const reader: Reader = {
    all: async <T>(sql: string, params?: SqlParams) => writer.prepare(sql).all(...bind(params)) as T[],
    get: async <T>(sql: string, params?: SqlParams) => writer.prepare(sql).get(...bind(params)) as T | undefined,
  }
  const db: Db = {
    ...reader,
    writer,
    get version() {
      return version
    },
    async withReader(fn) {
      stats.acquired++
      try {
        return await fn(reader)
      } finally {
        stats.released++
      }
    },
    async write(fn) {
      const result = writer.transaction(fn).immediate(writer)
      version++
      for (const l of listeners) l()
      return result
    },
    stats: () => ({
      size: options.db.poolSize,
      active: stats.acquired - stats.released,
      idle: options.db.poolSize - (stats.acquired - stats.released),
      waiting: 0,
      acquired: stats.acquired,
      released: stats.released,
      created: 1,
      timeouts: 0,
      totalWaitMs: 0,
      maxWaitMs: 0,
      meanWaitMs: 0,
      at: Date.now(),
    }),
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async ping() {
      const start = performance.now()
      writer.prepare('SELECT 1').get()
      return performance.now() - start
    },
    async close() {
      writer.close()
    },
  }
  return db
}
