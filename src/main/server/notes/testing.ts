// Test support: a real SQLite database on a temp dir with a real notes service (no mocks).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type Config } from '../config'
import { openDb, type Db } from '../db'
import { createLogging } from '../logging'
import { createNoteRenderer } from './renderer'
import { createNotesService, type NotesServiceImpl } from './service'

export interface NotesFixture {
  dir: string
  config: Config
  db: Db
  notes: NotesServiceImpl
  logLines: string[]
  close(): Promise<void>
}

export async function openNotesFixture(dir = mkdtempSync(join(tmpdir(), 'starpunk-notes-'))): Promise<NotesFixture> {
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false' } })
  const logLines: string[] = []
  const logging = createLogging(config, { write: (line) => logLines.push(line) })
  const db = await openDb({ path: config.databasePath, db: config.db, logger: logging.logger })
  const renderer = createNoteRenderer({ logger: logging.logger })
  const notes = createNotesService({ db, logger: logging.logger, config, renderer })
  return {
    dir,
    config,
    db,
    notes,
    logLines,
    async close() {
      await renderer.close()
      await db.close()
      await logging.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
