// Test support: a real database on a fresh temp dir, with its log lines captured.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Config } from '../../config/types'
import { createLogging } from '../../logging'
import { openDb, type PooledDb } from '../open'
import type { Migration } from '../types'

export interface DbFixture {
  db: PooledDb
  dir: string
  path: string
  /** Every log line, parsed. */
  logs(): Array<Record<string, unknown>>
  close(): Promise<void>
}

export async function openTestDb(overrides: Partial<Config['db']> = {}, migrations?: Migration[]): Promise<DbFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-db-'))
  const path = join(dir, 'starpunk.db')
  const lines: string[] = []
  const logging = createLogging({ logLevel: 'DEBUG', logFormat: 'json', logDir: join(dir, 'logs') }, { write: (line) => lines.push(line) })
  const db = await openDb({
    path,
    db: { poolSize: 4, poolTimeoutMs: 2_000, busyTimeoutMs: 2_000, slowQueryMs: 250, nativeBinding: null, ...overrides },
    logger: logging.logger.child({ component: 'db' }),
    migrations,
  })
  return {
    db,
    dir,
    path,
    logs: () =>
      lines.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>]
        } catch {
          return []
        }
      }),
    async close() {
      await db.close()
      await logging.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Flatten a parsed log line (top-level fields or a `fields` object, whichever the logger uses). */
export function logFields(entry: Record<string, unknown>): Record<string, unknown> {
  const nested = entry.fields
  return { ...entry, ...(nested && typeof nested === 'object' ? (nested as Record<string, unknown>) : {}) }
}

export function logMessage(entry: Record<string, unknown>): string {
  const message = entry.msg ?? entry.message
  return typeof message === 'string' ? message : ''
}
