import { appError, type AppError } from '../errors'
import { errnoCode } from '../errors/errno'

/** SQLITE_BUSY (and its extended codes) and SQLITE_LOCKED: another connection holds the lock; retrying can help. */
export function isBusyError(err: unknown): boolean {
  const code = errnoCode(err)
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED')
}

/**
 * SQLite codes that mean the file is missing, unreadable, moved, full or not a database: no retry helps
 * until someone fixes it. Prefixes cover the extended codes (SQLITE_IOERR_READ, SQLITE_CANTOPEN_ISDIR...).
 * Plain data, because the reader thread's source (worker-source.ts) is generated from it too.
 */
export const FILE_ERROR_CODES = {
  prefixes: ['SQLITE_CANTOPEN', 'SQLITE_CORRUPT', 'SQLITE_IOERR'],
  exact: ['SQLITE_NOTADB', 'SQLITE_READONLY_DBMOVED', 'SQLITE_FULL'],
} as const satisfies { prefixes: readonly string[]; exact: readonly string[] }

/** The file is missing, unreadable, moved, or not a database: no retry will help until someone fixes it. */
export function isUnavailableError(err: unknown): boolean {
  const code = errnoCode(err)
  if (code === undefined) return false
  return FILE_ERROR_CODES.prefixes.some((prefix) => code.startsWith(prefix)) || (FILE_ERROR_CODES.exact as readonly string[]).includes(code)
}

/** Seconds for a Retry-After header: the configured wait, rounded up, kept between 1 and 30. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.min(30, Math.max(1, Math.ceil(ms / 1000))))
}

export function databaseLocked(busyTimeoutMs: number, cause: unknown): AppError {
  return appError('DATABASE_LOCKED', { headers: { 'Retry-After': retryAfterSeconds(busyTimeoutMs) }, cause })
}

export function isCorruptError(err: unknown): boolean {
  const code = errnoCode(err)
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
