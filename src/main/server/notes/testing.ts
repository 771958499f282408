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

/**
 * Inputs that once took quadratic time (or worse) in the title, slug or render code, each filling `capBytes`
 * (one byte per character: all ASCII). Shared by the tests, the bench and the chaos fuzz.
 */
export function pathologicalNotes(capBytes: number): Record<string, string> {
  const fill = (unit: string, prefix = '') => prefix + unit.repeat(Math.floor((capBytes - prefix.length) / unit.length))
  return {
    'heading with a long run of spaces': '# a' + ' '.repeat(capBytes - 4) + 'b',
    'emphasis markers': fill('_a '),
    'emphasis markers in a heading': fill('_a ', '# '),
    'open brackets': fill('['),
    'links without a closing parenthesis': fill('[x]('),
    'unclosed tags': fill('<a '),
    'unclosed tags in a heading': fill('<a ', '# '),
  }
}

/** An ordinary note of about `capBytes`: paragraphs of prose with emphasis and links. */
export function ordinaryNote(capBytes: number): string {
  const paragraph = 'Lorem ipsum dolor sit amet, **consectetur** adipiscing elit, sed do [eiusmod](https://example.com/t) tempor. '.repeat(4) + '\n\n'
  return paragraph.repeat(Math.floor(capBytes / paragraph.length))
}
