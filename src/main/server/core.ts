import { mkdirSync } from 'node:fs'
import type { NamedCheck } from './component-check'
import type { Config } from './config'
import { openDb, type DbSignals, type PooledDb } from './db'
import { createLogging, logFileCheck, type Logger, type Logging, type LoggingOptions } from './logging'
import { createNoteRenderer, createNotesService, renderCheck, type NoteRenderer, type NotesServiceImpl } from './notes'
import { createSearchService, type SearchServiceDeps, type SearchServiceImpl } from './search'

/**
 * Who watches the core's parts (the server's metrics, created after the core): callbacks read at call
 * time, so the wiring fills them in once the observer exists.
 */
export interface CoreObservers {
  db: DbSignals
  search: NonNullable<SearchServiceDeps['observer']>
}

/** The part of StarPunk every entry point needs: configuration, logs, the database, notes and their search index. */
export interface Core {
  config: Config
  logging: Logging
  logger: Logger
  db: PooledDb
  renderer: NoteRenderer
  notes: NotesServiceImpl
  search: SearchServiceImpl
  /** The readiness components the core's parts return (logs, render, search); the server adds them to its health. */
  healthChecks: NamedCheck[]
  /** Detach search, stop the render thread and close the database; the logs stay open (for a last line). */
  closeData(): Promise<void>
  /** closeData(), then close the logs. */
  close(): Promise<void>
}

/** Reader threads idle this long are stopped (all but one); a later burst starts them again in milliseconds. */
const READER_IDLE_RETIRE_MS = 60_000

/**
 * Open the core once, in dependency order. The server (createServer) and the command-line tools
 * (notes-cli) both start from here, so they cannot drift apart: the same notes service keeps the search
 * index in the same write transactions everywhere.
 */
export async function createCore(config: Config, options: { logging?: LoggingOptions; observers?: CoreObservers } = {}): Promise<Core> {
  mkdirSync(config.dataDir, { recursive: true })
  const logging = createLogging(config, options.logging)
  const logger = logging.logger
  const db = await openDb({
    path: config.databasePath,
    db: config.db,
    logger: logger.child({ component: 'db' }),
    // Reader threads start when concurrent reads need them and stop after a minute idle (all but one).
    readers: { lazy: true, idleRetireMs: READER_IDLE_RETIRE_MS },
    ...(options.observers ? { signals: options.observers.db } : {}),
  })
  const renderer = createNoteRenderer({ logger })
  const notes = createNotesService({ db, logger, config, renderer })
  let search: SearchServiceImpl
  try {
    search = createSearchService({ db, notes, config, logger, ...(options.observers ? { observer: options.observers.search } : {}) })
  } catch (err) {
    // e.g. STARPUNK_SEARCH_ENGINE=fts5 on an SQLite without FTS5: refuse to start without leaving the database open.
    await renderer.close()
    await db.close()
    await logging.close()
    throw err
  }
  // Optional components: readers are served without a log file or the render thread, so these warn, not fail.
  const healthChecks: NamedCheck[] = [
    ...(logging.fileStatus().enabled ? [{ name: 'logs', check: logFileCheck(logging), required: false }] : []),
    { name: 'render', check: renderCheck(renderer), required: false },
    ...search.healthChecks,
  ]
  const closeData = async () => {
    search.dispose()
    await renderer.close()
    await db.close()
  }
  return {
    config,
    logging,
    logger,
    db,
    renderer,
    notes,
    search,
    healthChecks,
    closeData,
    async close() {
      await closeData()
      await logging.close()
    },
  }
}
