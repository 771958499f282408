import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { runMigrations } from '../db/migrate'
import { AppError } from '../errors'
import { logFields, logMessage, openTestDb } from '../db/test-support/db-fixture'
import { createLogging, REDACTED } from '.'

type SerialisedError = { type: string; message: string; stack?: string; code?: string; cause?: SerialisedError }

const SECRET = 'session-secret-0123456789abcdef'

function capture() {
  const lines: string[] = []
  const logging = createLogging({ logLevel: 'DEBUG', logFormat: 'json', logDir: '/nonexistent' }, { write: (line) => lines.push(line), secrets: [SECRET] })
  const fields = () => lines.map((line) => (JSON.parse(line) as { fields?: Record<string, unknown> }).fields ?? {})
  return { logger: logging.logger, fields }
}

describe('errors logged as { err }', () => {
  it('keep type, message, stack, code and cause, with secrets masked in message and stack', () => {
    const { logger, fields } = capture()
    const cause = Object.assign(new Error(`open failed with Authorization: Bearer abc.def-123`), { code: 'EACCES' })
    const err = new TypeError(`lookup failed for ${SECRET}`, { cause })
    logger.error('something failed', { err })
    const logged = fields()[0]!.err as SerialisedError
    expect(logged.type).toBe('TypeError')
    expect(logged.message).toBe(`lookup failed for ${REDACTED}`)
    expect(logged.stack).toContain('error-fields.test.ts')
    expect(logged.stack).not.toContain(SECRET)
    expect(logged.cause?.code).toBe('EACCES')
    expect(logged.cause?.message).toBe(`open failed with Authorization: Bearer ${REDACTED}`)
  })

  it('log something readable for a thrown value that is not an Error', () => {
    const { logger, fields } = capture()
    logger.warn('odd throw', { err: 'plain string' })
    logger.warn('odd throw', { err: { code: 42 } })
    expect(fields().map((f) => f.err)).toEqual(['plain string', { code: 42 }])
  })
})

describe('failures logged with their stack', () => {
  it('a database change listener that throws', async () => {
    const fx = await openTestDb()
    try {
      fx.db.onChange(function listenerThatThrows() {
        throw new RangeError('listener broke')
      })
      await fx.db.write((conn) => conn.exec('CREATE TABLE scratch (x)'))
      const line = fx.logs().find((entry) => logMessage(entry) === 'db change listener failed')
      const err = logFields(line!).err as SerialisedError
      expect(err.type).toBe('RangeError')
      expect(err.message).toBe('listener broke')
      expect(err.stack).toContain('listenerThatThrows')
    } finally {
      await fx.close()
    }
  })

  it('a migration that fails', () => {
    const { logger, fields } = capture()
    const conn = new Database(':memory:')
    try {
      expect(() => runMigrations(conn, logger, [{ name: '001_broken', up: (c) => c.exec('SELECT * FROM no_such_table') }])).toThrow(AppError)
    } finally {
      conn.close()
    }
    const err = fields().find((f) => f.migration === '001_broken')?.err as SerialisedError
    expect(err.code).toBe('SQLITE_ERROR')
    expect(err.message).toContain('no_such_table')
    expect(err.stack).toContain('error-fields.test.ts')
  })
})
