// Test support: a real SQLite database (optionally the build without FTS5) with the real notes, health
// and search services. No mocks.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig, type Config } from '../config'
import { openDb, type Db } from '../db'
import { createHealthService, type HealthService } from '../health'
import { createLogging, type Logger } from '../logging'
import { createNoteRenderer, createNotesService, type NotesServiceImpl } from '../notes'
import { createSearchService, type SearchServiceImpl } from './service'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')

/** The better-sqlite3 binding whose SQLite was compiled without FTS5 (scripts/build-sqlite-nofts5.mjs). */
export const NO_FTS5_BINDING = join(repoRoot, '.vendor', 'sqlite-nofts5', 'better_sqlite3.node')

/** The path, or a failure that says how to build it: fallback tests never silently run on FTS5. */
export function requireNoFts5Binding(): string {
  if (!existsSync(NO_FTS5_BINDING)) {
    throw new Error(`missing ${NO_FTS5_BINDING}: run \`node scripts/build-sqlite-nofts5.mjs\` (vitest's globalSetup does it; needs python3, make and a C compiler)`)
  }
  return NO_FTS5_BINDING
}

export interface SearchFixture {
  dir: string
  config: Config
  db: Db
  notes: NotesServiceImpl
  health: HealthService
  search: SearchServiceImpl
  /** The logger the services write to (lines land in logLines). */
  logger: Logger
  logLines: string[]
  /** Close the database but keep the directory (to reopen it with openSearchFixture(env, dir)). */
  closeDb(): Promise<void>
  close(): Promise<void>
}

/** env: STARPUNK_* overrides, e.g. { STARPUNK_SQLITE_NATIVE_BINDING: requireNoFts5Binding() }. */
export async function openSearchFixture(
  env: Record<string, string> = {},
  dir = mkdtempSync(join(tmpdir(), 'starpunk-search-')),
  options: { fullCheckMaxDocuments?: number } = {},
): Promise<SearchFixture> {
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false', ...env } })
  if (problems.length > 0) throw new Error(`test config invalid: ${problems.map((p) => p.message).join('; ')}`)
  const logLines: string[] = []
  const logging = createLogging(config, { write: (line) => logLines.push(line) })
  const db = await openDb({ path: config.databasePath, db: config.db, logger: logging.logger })
  const renderer = createNoteRenderer({ logger: logging.logger })
  const notes = createNotesService({ db, logger: logging.logger, config, renderer })
  let search: SearchServiceImpl
  try {
    search = createSearchService({ db, notes, config, logger: logging.logger, ...options })
  } catch (err) {
    await renderer.close()
    await db.close()
    await logging.close()
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const health = createHealthService({ version: 'test', startedAt: Date.now(), checks: search.healthChecks })
  let closed = false
  const closeDb = async () => {
    if (closed) return
    closed = true
    search.dispose()
    await renderer.close()
    await db.close()
    await logging.close()
  }
  return {
    dir,
    config,
    db,
    notes,
    health,
    search,
    logger: logging.logger,
    logLines,
    closeDb,
    async close() {
      await closeDb()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
