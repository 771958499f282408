import { appError, type AppError } from '../errors'

/** The error code better-sqlite3 puts on a SqliteError (also carried across the worker boundary). */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** SQLITE_BUSY (and its extended codes) and SQLITE_LOCKED: another connection holds the lock; retrying can help. */
export function isBusyError(err: unknown): boolean {
  const code = sqliteCode(err)
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED')
}

/** The file is missing, unreadable, moved, or not a database: no retry will help until someone fixes it. */
export function isUnavailableError(err: unknown): boolean {
  const code = sqliteCode(err)
  if (code === undefined) return false
  return (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_CORRUPT') ||
    code === 'SQLITE_NOTADB' ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_READONLY_DBMOVED' ||
    code === 'SQLITE_FULL'
  )
}

/** Seconds for a Retry-After header: the configured wait, rounded up, kept between 1 and 30. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.min(30, Math.max(1, Math.ceil(ms / 1000))))
}

export function databaseLocked(busyTimeoutMs: number, cause: unknown): AppError {
  return appError('DATABASE_LOCKED', { headers: { 'Retry-After': retryAfterSeconds(busyTimeoutMs) }, cause })
}

export function isCorruptError(err: unknown): boolean {
  const code = sqliteCode(err)
  return code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
}

/** DATABASE_CORRUPT for a damaged file, DATABASE_UNAVAILABLE for everything else that stops us reaching it. */
export function databaseUnavailable(cause: unknown): AppError {
  return appError(isCorruptError(cause) ? 'DATABASE_CORRUPT' : 'DATABASE_UNAVAILABLE', { headers: { 'Retry-After': '5' }, cause })
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Run a synchronous SQLite step, retrying SQLITE_BUSY with bounded, jittered exponential backoff until
 * `deadline` (epoch ms). Each attempt blocks at most the connection's short busy_timeout; the waiting in
 * between happens off the event loop (timers), so other requests keep being served. Tries at least once.
 */
export async function retryBusy<T>(step: () => T, deadline: number, busyTimeoutMs: number): Promise<T> {
  let backoff = 2
  for (;;) {
    try {
      return step()
    } catch (err) {
      if (!isBusyError(err)) throw err
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw databaseLocked(busyTimeoutMs, err)
      await sleep(Math.min(remaining, backoff / 2 + Math.random() * backoff))
      backoff = Math.min(backoff * 2, 100)
    }
  }
}
