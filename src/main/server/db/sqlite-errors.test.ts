import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { FILE_ERROR_CODES, isBusyError, isUnavailableError } from './sqlite-errors'
import { FILE_ERROR_SOURCE, READER_WORKER_SOURCE } from './worker-source'

/** Primary and extended result codes better-sqlite3 can put on an error (https://sqlite.org/rescode.html), plus a few that are not SQLite's. */
const CODES = [
  'SQLITE_ERROR', 'SQLITE_INTERNAL', 'SQLITE_PERM', 'SQLITE_ABORT', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED',
  'SQLITE_NOMEM', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_RECOVERY', 'SQLITE_INTERRUPT', 'SQLITE_IOERR',
  'SQLITE_IOERR_READ', 'SQLITE_IOERR_SHORT_READ', 'SQLITE_IOERR_FSYNC', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_VTAB', 'SQLITE_NOTFOUND',
  'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_CANTOPEN_ISDIR', 'SQLITE_PROTOCOL', 'SQLITE_SCHEMA', 'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_MISMATCH', 'SQLITE_MISUSE', 'SQLITE_RANGE', 'SQLITE_NOTADB',
  'ENOENT', 'ERR_WORKER_OUT_OF_MEMORY', '',
]

/** The reader thread's own isFileError, run from the source it is eval'd from. */
function workerIsFileError(): (code: unknown) => boolean {
  return runInNewContext(`${FILE_ERROR_SOURCE}\nisFileError`) as (code: unknown) => boolean
}

describe('file errors: one list for the main thread and the reader threads', () => {
  it('the reader thread runs the generated test', () => {
    expect(READER_WORKER_SOURCE).toContain(FILE_ERROR_SOURCE)
  })

  it.each(CODES)('%s: the reader thread drops its connection exactly when the main thread reports the database unavailable', (code) => {
    expect(workerIsFileError()(code)).toBe(isUnavailableError({ code }))
  })

  it('a moved or full database file counts in both (the reader thread used to keep its stale connection)', () => {
    for (const code of ['SQLITE_READONLY_DBMOVED', 'SQLITE_FULL']) {
      expect(isUnavailableError({ code })).toBe(true)
      expect(workerIsFileError()(code)).toBe(true)
    }
  })

  it('anything without a string code is not a file error', () => {
    const isFileError = workerIsFileError()
    for (const value of [undefined, null, 5, {}]) expect(isFileError(value)).toBe(false)
    expect(isUnavailableError(new Error('no code'))).toBe(false)
    expect(isUnavailableError(null)).toBe(false)
  })

  it('lock contention is never a file error', () => {
    expect(isBusyError({ code: 'SQLITE_BUSY' })).toBe(true)
    expect(isUnavailableError({ code: 'SQLITE_BUSY' })).toBe(false)
    expect(FILE_ERROR_CODES.prefixes.some((prefix) => 'SQLITE_BUSY'.startsWith(prefix))).toBe(false)
  })
})
