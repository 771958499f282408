// Test support: the real database (migrations included) on a file the test chooses, so a test can close it
// and open the same file again as a restart would; and notes rows for mentions to point at.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Db } from '../../db'
import { openDb, type PooledDb } from '../../db'
import { createLogging, type Logger, type Logging } from '../../logging'

export interface TestFiles {
  dir: string
  path: string
  logger: Logger
  logging: Logging
  lines: string[]
  open(): Promise<PooledDb>
  remove(): Promise<void>
}

export function testFiles(prefix = 'starpunk-wm-'): TestFiles {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const lines: string[] = []
  const logging = createLogging({ logLevel: 'DEBUG', logFormat: 'json', logDir: join(dir, 'logs') }, { write: (line) => lines.push(line) })
  return {
    dir,
    path: join(dir, 'starpunk.db'),
    logger: logging.logger,
    logging,
    lines,
    open: () =>
      openDb({
        path: join(dir, 'starpunk.db'),
        db: { poolSize: 2, poolTimeoutMs: 2_000, busyTimeoutMs: 2_000, slowQueryMs: 250, nativeBinding: null },
        logger: logging.logger.child({ component: 'db' }),
      }),
    async remove() {
      await logging.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A published note row (what the notes service would write); returns its id. */
export async function insertNote(db: Db, slug: string, content = `Note ${slug}`): Promise<number> {
  const at = new Date().toISOString()
  return db.write(
    (conn) =>
      conn
        .prepare('INSERT INTO notes (slug, content, content_html, title, published, created_at, updated_at) VALUES (?, ?, ?, NULL, 1, ?, ?)')
        .run(slug, content, `<p>${content}</p>`, at, at).lastInsertRowid as number,
  )
}
