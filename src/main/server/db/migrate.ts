import { appError, AppError } from '../errors'
import type { Logger } from '../logging'
import { MIGRATIONS } from './migrations'
import { retryBusy } from './sqlite-errors'
import type { Connection, Migration } from './types'

const CREATE_TRACKING_TABLE = 'CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)'

function appliedNames(conn: Connection): Set<string> {
  const exists = conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()
  if (!exists) return new Set()
  return new Set(conn.prepare('SELECT name FROM schema_migrations').pluck().all() as string[])
}

function checkOrder(migrations: Migration[]): void {
  const names = migrations.map((m) => m.name)
  const sorted = [...names].sort()
  if (names.some((name, i) => name !== sorted[i]) || new Set(names).size !== names.length) {
    throw new Error(`migrations must be unique and listed in order: ${names.join(', ')}`)
  }
}

/**
 * Apply what is pending. Runs inside an open BEGIN IMMEDIATE transaction: the list of applied
 * migrations is read under the write lock, so a second process that waited for the lock sees the
 * first one's work and applies nothing twice.
 */
function applyPending(conn: Connection, logger: Logger, migrations: Migration[]): string[] {
  conn.exec(CREATE_TRACKING_TABLE)
  const applied = appliedNames(conn)
  const known = new Set(migrations.map((m) => m.name))
  const unknown = [...applied].filter((name) => !known.has(name))
  if (unknown.length > 0) {
    logger.warn('database has migrations this version does not know (was it opened by a newer StarPunk?)', { unknown })
  }
  const pending = migrations.filter((m) => !applied.has(m.name))
  if (pending.length === 0) return []
  logger.info('migrations starting', { pending: pending.map((m) => m.name) })
  const record = conn.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)')
  for (const migration of pending) {
    const start = performance.now()
    try {
      migration.up(conn)
    } catch (err) {
      logger.error('migration failed', { migration: migration.name, err })
      throw appError('MIGRATION_FAILED', { vars: { migration: migration.name }, cause: err })
    }
    record.run(migration.name, new Date().toISOString())
    logger.info('migration applied', { migration: migration.name, durationMs: Math.round(performance.now() - start) })
  }
  return pending.map((m) => m.name)
}

function finish(conn: Connection, logger: Logger, names: string[], start: number): string[] {
  if (names.length > 0) logger.info('migrations finished', { applied: names, durationMs: Math.round(performance.now() - start) })
  else logger.debug('database schema up to date')
  return names
}

function rollback(conn: Connection): void {
  if (conn.inTransaction) conn.exec('ROLLBACK')
}

/**
 * Synchronous form: waits for another process's lock with the connection's own busy_timeout (blocking).
 * For scripts and tests; the server uses migrate(), which waits off the event loop.
 */
export function runMigrations(conn: Connection, logger: Logger, migrations: Migration[] = MIGRATIONS): string[] {
  checkOrder(migrations)
  const start = performance.now()
  if (migrations.every((m) => appliedNames(conn).has(m.name))) return finish(conn, logger, [], start)
  conn.exec('BEGIN IMMEDIATE')
  try {
    const names = applyPending(conn, logger, migrations)
    conn.exec('COMMIT')
    return finish(conn, logger, names, start)
  } catch (err) {
    rollback(conn)
    throw err
  }
}

export interface MigrateOptions {
  migrations?: Migration[]
  /** Give up with DATABASE_LOCKED when another process holds the write lock longer than this. */
  busyTimeoutMs: number
}

/** Apply pending migrations in one BEGIN IMMEDIATE transaction; SQLITE_BUSY is retried off the event loop. */
export async function migrate(conn: Connection, logger: Logger, options: MigrateOptions): Promise<string[]> {
  const migrations = options.migrations ?? MIGRATIONS
  checkOrder(migrations)
  const start = performance.now()
  const deadline = Date.now() + options.busyTimeoutMs
  // Fast path without taking the write lock: most starts have nothing to do.
  const alreadyApplied = await retryBusy(() => appliedNames(conn), deadline, options.busyTimeoutMs)
  if (migrations.every((m) => alreadyApplied.has(m.name))) return finish(conn, logger, [], start)
  await retryBusy(() => conn.exec('BEGIN IMMEDIATE'), deadline, options.busyTimeoutMs)
  try {
    const names = applyPending(conn, logger, migrations)
    await retryBusy(() => conn.exec('COMMIT'), Date.now() + options.busyTimeoutMs, options.busyTimeoutMs)
    return finish(conn, logger, names, start)
  } catch (err) {
    rollback(conn)
    if (err instanceof AppError) throw err
    throw appError('MIGRATION_FAILED', { vars: { migration: '(commit)' }, cause: err })
  }
}
