// Search: picks FTS5 or the LIKE fallback once at startup, keeps the index in step with every note write
// (inside the same transaction), repairs it at startup, and answers queries with escaped snippets.
import type BetterSqlite3 from 'better-sqlite3'
import type { Config } from '../config'
import type { Connection, Db, Reader } from '../db'
import { appError, AppError } from '../errors'
import type { ComponentCheck, NamedCheck } from '../component-check'
import type { Logger } from '../logging'
import type { Note, NotesService } from '../notes/types'
import { foldedText, ftsMatchExpression, likePatterns, parseQuery, type ParsedQuery } from './query'
import { htmlToText } from '../html'
import { buildSnippet, stripMarkers } from './snippet'
import type { SearchEngineName, SearchHit, SearchQuery, SearchService, SearchStatus } from './types'

export const MAX_SEARCH_LIMIT = 100
/**
 * Snippets are built from at most this much of a body (both engines): the snippet costs the main thread time
 * linear in what it reads (~3 ms for 16 Ki characters here, against ~50 ms for a 256 KiB note). A match
 * further in shows the note's start instead.
 */
const SNIPPET_SOURCE_CHARS = 16_384

/** Title matches count ten times a body match in bm25. */
export const TITLE_WEIGHT = 10
/** bm25 with the title column weighted above the body: the FTS5 table's configured rank. */
const RANK_FUNCTION = `bm25(${TITLE_WEIGHT}.0, 1.0)`
/** The same score as an SQL expression over the table (what the bounded plan sorts by). */
const RANK_EXPRESSION = `bm25(search_fts, ${TITLE_WEIGHT}.0, 1.0)`

/**
 * How FTS5 hits are ranked. 'bounded' (the default): the top offset + limit + (hidden matches) by
 * `ORDER BY bm25(...), rowid LIMIT k` over the FTS5 table alone, which SQLite keeps in a k-row sorter, then
 * joined to the notes. 'sorted': `ORDER BY search_fts.rank` joined in one statement, which sends every match
 * through FTS5's own sorter (a full sort of every match with its position lists; FTS5 takes no LIMIT),
 * about twice the cost for a word in half the notes. Both return the same hits in the same order: 'sorted'
 * leaves equal scores in the order FTS5 visits them (note id ascending), which 'bounded' states explicitly.
 * 'sorted' is kept as the reference the bench and the tests compare against.
 */
export type FtsRankPlan = 'bounded' | 'sorted'
/** Above this many notes a startup trusts row counts and flags instead of the full integrity-check. */
export const FULL_CHECK_MAX_DOCUMENTS = 10_000
const FTS5_HELP = 'https://www.sqlite.org/fts5.html#compiling_and_using_fts5'

export interface SearchServiceDeps {
  db: Db
  notes: NotesService
  config: Config
  logger: Logger
  /** Up to this many notes every startup compares each note and runs FTS5's integrity-check (default 10,000). */
  fullCheckMaxDocuments?: number
  /**
   * Told how long each search took (the metrics' latency by engine); `failed` for a failure that is not the
   * query's fault. Read at call time, so it may be set after the service exists.
   */
  observer?: { searched?: (engine: SearchEngineName, seconds: number, failed: boolean) => void }
  /** FTS5 ranking plan (default 'bounded'); 'sorted' only for the bench's before/after and equivalence tests. */
  ftsRankPlan?: FtsRankPlan
}

export interface SearchServiceImpl extends SearchService {
  /** Rebuild the whole index from the notes now (FTS5 'rebuild'; LIKE: every document). Returns ms taken. */
  rebuild(): Promise<number>
  /** The `search` readiness component (optional: search trouble degrades, readers are still served). */
  readonly healthChecks: NamedCheck[]
  /** Detach from the notes service (for shutdown/tests). */
  dispose(): void
}

/** Does this connection's SQLite have FTS5? Tries a throwaway table in the temp schema (writes nothing). */
export function probeFts5(conn: Connection): boolean {
  try {
    conn.exec('CREATE VIRTUAL TABLE temp.starpunk_fts5_probe USING fts5(body)')
    conn.exec('DROP TABLE temp.starpunk_fts5_probe')
    return true
  } catch {
    return false
  }
}

interface SourceNote {
  id: number
  title: string | null
  html: string
  updatedAt: string
}

interface SearchDocument {
  title: string
  body: string
  folded: string
}

/** What search indexes for a note: title and visible text (no markup), NFC, marker characters removed. */
export function searchDocument(note: { title: string | null; html: string }): SearchDocument {
  const title = stripMarkers((note.title ?? '').normalize('NFC'))
  const body = stripMarkers(htmlToText(note.html).normalize('NFC'))
  // A bar between title and body: a phrase never matches across the two, as in FTS5's separate columns.
  return { title, body, folded: `${foldedText(title)}|${foldedText(body)}` }
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export function createSearchService(deps: SearchServiceDeps): SearchServiceImpl {
  const { db, config, notes } = deps
  const log = deps.logger.child({ component: 'search' })
  const conn = db.writer
  const sqliteVersion = String(conn.prepare('SELECT sqlite_version()').pluck().get())
  const fts5Available = probeFts5(conn)
  const configured = config.search.engine
  const fullCheckMax = deps.fullCheckMaxDocuments ?? FULL_CHECK_MAX_DOCUMENTS

  let engine: SearchEngineName | null
  let reason: string
  if (!config.search.enabled) {
    engine = null
    reason = 'Search is turned off (STARPUNK_SEARCH_ENABLED=false).'
  } else if (configured === 'like') {
    engine = 'like'
    reason = 'STARPUNK_SEARCH_ENGINE=like chooses the LIKE engine.'
  } else if (fts5Available) {
    engine = 'fts5'
    reason = configured === 'fts5' ? 'STARPUNK_SEARCH_ENGINE=fts5 and this SQLite has FTS5.' : 'This SQLite has FTS5.'
  } else if (configured === 'fts5') {
    throw appError('CONFIG_INVALID', {
      vars: {
        detail: `STARPUNK_SEARCH_ENGINE=fts5, but this SQLite (${sqliteVersion}) was built without the FTS5 module. Set STARPUNK_SEARCH_ENGINE=auto (or like) to use the LIKE fallback, or run with an SQLite compiled with SQLITE_ENABLE_FTS5 (the better-sqlite3 that ships with StarPunk has it; see ${FTS5_HELP}).`,
      },
    })
  } else {
    engine = 'like'
    reason = `This SQLite (${sqliteVersion}) has no FTS5 module.`
  }

  const stmt = cachedStatements()
  const ftsIndexed = engine === 'fts5'

  /**
   * Inside a write transaction: make the note's document (and FTS5 entry) match the note. `fts` false
   * skips the FTS5 entry when a full 'rebuild' follows anyway (first startup).
   */
  function indexNote(c: Connection, note: SourceNote, fts = ftsIndexed): void {
    const doc = searchDocument(note)
    const old = stmt(c, 'SELECT title, body FROM search_documents WHERE note_id = ?').get(note.id) as { title: string; body: string } | undefined
    if (old && old.title === doc.title && old.body === doc.body) {
      stmt(c, 'UPDATE search_documents SET source_updated_at = ? WHERE note_id = ?').run(note.updatedAt, note.id)
      return
    }
    // External content: FTS5 must be told the old text to remove it.
    if (fts && old) stmt(c, "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES('delete', ?, ?, ?)").run(note.id, old.title, old.body)
    stmt(c, 'INSERT OR REPLACE INTO search_documents (note_id, title, body, folded, source_updated_at) VALUES (?, ?, ?, ?, ?)').run(
      note.id,
      doc.title,
      doc.body,
      doc.folded,
      note.updatedAt,
    )
    if (fts) stmt(c, 'INSERT INTO search_fts(rowid, title, body) VALUES (?, ?, ?)').run(note.id, doc.title, doc.body)
  }

  function unindexNote(c: Connection, id: number, fts = ftsIndexed): void {
    const old = stmt(c, 'SELECT title, body FROM search_documents WHERE note_id = ?').get(id) as { title: string; body: string } | undefined
    if (!old) return
    if (fts) stmt(c, "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES('delete', ?, ?, ?)").run(id, old.title, old.body)
    stmt(c, 'DELETE FROM search_documents WHERE note_id = ?').run(id)
  }

  function rebuildFts(c: Connection): void {
    c.exec("INSERT INTO search_fts(search_fts) VALUES('rebuild')")
    c.exec("DELETE FROM search_state WHERE key = 'fts_stale'")
  }

  /**
   * Startup: bring documents up to date with the notes, then make sure the FTS5 index matches them.
   * Every later startup pays this, so the cheap signals come first: documents repaired, the stale flag a
   * LIKE-engine run leaves, row counts. The full 'integrity-check' (as costly as a rebuild) runs only up to
   * FULL_CHECK_MAX_DOCUMENTS.
   */
  function syncAtStartup(c: Connection): string {
    const ftsTableExists = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_fts'").get() !== undefined
    if (ftsIndexed && !ftsTableExists) {
      c.exec("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_documents', content_rowid='note_id', tokenize='unicode61 remove_diacritics 2')")
    }
    // Comparing every note with its document reads the whole notes table (~0.5 s at 100,000 notes), so
    // large blogs do it only when something says documents may be behind: the flag left by a run with
    // search turned off, or differing row counts.
    const noteCount = c.prepare('SELECT count(*) FROM notes').pluck().get() as number
    const docCountBefore = c.prepare('SELECT count(*) FROM search_documents').pluck().get() as number
    const mayBeBehind =
      noteCount <= fullCheckMax || noteCount !== docCountBefore || c.prepare("SELECT 1 FROM search_state WHERE key = 'docs_stale'").get() !== undefined
    const stale = mayBeBehind
      ? (c
          .prepare(
            `SELECT n.id, n.title, n.content_html AS html, n.updated_at AS updatedAt FROM notes n
             LEFT JOIN search_documents d ON d.note_id = n.id
             WHERE d.note_id IS NULL OR d.source_updated_at IS NOT n.updated_at`,
          )
          .all() as SourceNote[])
      : []
    const orphans = mayBeBehind
      ? (c.prepare('SELECT d.note_id FROM search_documents d LEFT JOIN notes n ON n.id = d.note_id WHERE n.id IS NULL').pluck().all() as number[])
      : []
    c.exec("DELETE FROM search_state WHERE key = 'docs_stale'")
    // Documents only: whenever one changes here, the FTS5 index is rebuilt from them below.
    for (const id of orphans) unindexNote(c, id, false)
    for (const note of stale) indexNote(c, note, false)
    const repaired = stale.length + orphans.length
    const docs = repaired ? ` (${repaired} note${repaired === 1 ? '' : 's'} reindexed)` : ''
    if (!ftsIndexed) {
      // This run changes documents without maintaining an existing FTS5 index: tell the next FTS5 run.
      if (ftsTableExists) c.prepare("INSERT OR REPLACE INTO search_state (key, value) VALUES ('fts_stale', ?)").run(new Date().toISOString())
      return `in sync${docs}`
    }
    // The table's built-in rank: FTS5 sorts by it itself (cheaper than ORDER BY bm25(...) in SQL).
    c.prepare("INSERT INTO search_fts(search_fts, rank) VALUES('rank', ?)").run(RANK_FUNCTION)
    if (!ftsTableExists) {
      rebuildFts(c)
      return `built: the FTS5 index did not exist${docs}`
    }
    const rebuildBecause = (why: string) => {
      log.warn('search index inconsistent: rebuilding it', { cause: why })
      rebuildFts(c)
      return `rebuilt: ${why}${docs}`
    }
    if (repaired > 0) return rebuildBecause('notes changed while the FTS5 index was not maintained')
    if (c.prepare("SELECT 1 FROM search_state WHERE key = 'fts_stale'").get()) return rebuildBecause('the LIKE engine ran since the FTS5 index was last maintained')
    const docCount = docCountBefore // nothing was repaired if we got here
    const ftsCount = c.prepare('SELECT count(*) FROM search_fts_docsize').pluck().get() as number
    if (docCount !== ftsCount) return rebuildBecause(`the FTS5 index has ${ftsCount} entries for ${docCount} notes`)
    if (docCount > fullCheckMax) return `in sync (row counts match; full integrity-check skipped above ${fullCheckMax} notes)`
    try {
      // rank = 1: also compare the index with the content table, word by word.
      c.exec("INSERT INTO search_fts(search_fts, rank) VALUES('integrity-check', 1)")
      return 'in sync'
    } catch (err) {
      return rebuildBecause(`the FTS5 index did not match the notes (${describeError(err)})`)
    }
  }

  let indexState = 'not indexed: search is turned off'
  let unhook: () => void = () => {}
  if (!engine) {
    // Turned off: no index work, but remember that notes changed so the next start with search on
    // knows to look (one tiny write per note change).
    unhook = notes.onWrite((c) => {
      stmt(c, "INSERT OR REPLACE INTO search_state (key, value) VALUES ('docs_stale', ?)").run(new Date().toISOString())
    })
  } else {
    const started = performance.now()
    indexState = conn.transaction(() => syncAtStartup(conn)).immediate()
    log.info('search index checked', { engine, indexState, ms: Math.round(performance.now() - started) })
    unhook = notes.onWrite((c, event) => {
      if (event.type === 'purged') unindexNote(c, event.id)
      else indexNote(c, noteSource(event.note))
    })
  }

  if (engine === 'fts5') {
    log.info('search engine: FTS5', { sqliteVersion, reason })
  } else if (engine === 'like') {
    log.warn(
      `FTS5 is not in use: ${reason} Search falls back to LIKE: results are not ranked by relevance (newest first instead) and every search scans all notes, so it slows down as the blog grows. To get ranked, indexed search, run StarPunk with an SQLite built with SQLITE_ENABLE_FTS5 (the better-sqlite3 that ships with StarPunk has it; unset STARPUNK_SQLITE_NATIVE_BINDING if you point it elsewhere) and STARPUNK_SEARCH_ENGINE=auto. See ${FTS5_HELP}`,
      { engine, sqliteVersion, fts5Available, configured },
    )
  } else {
    log.info('search is turned off by configuration')
  }

  const status = (): SearchStatus => ({ engine: engine ?? 'disabled', configured, fts5Available, sqliteVersion, reason, indexState })

  const searchCheck: ComponentCheck = async () => {
    const time = new Date().toISOString()
    const s = status()
    const counts = engine
      ? await db.withReader(async (r) => ({
          notes: (await r.get<{ n: number }>('SELECT count(*) AS n FROM notes'))?.n ?? 0,
          docs: (await r.get<{ n: number }>('SELECT count(*) AS n FROM search_documents'))?.n ?? 0,
        }))
      : null
    return {
      'search:engine': [
        {
          componentType: 'component',
          observedValue: s.engine,
          status: engine === 'like' ? 'warn' : 'pass',
          time,
          output: `${s.reason}${engine === 'like' ? ' Results are unranked and slower on large blogs.' : ''}`,
        },
      ],
      'search:index': [
        {
          componentType: 'component',
          observedValue: counts ? counts.docs : 0,
          observedUnit: 'documents',
          status: counts && counts.docs !== counts.notes ? 'warn' : 'pass',
          time,
          output: counts ? `${counts.docs} of ${counts.notes} notes indexed; at startup: ${s.indexState}` : s.indexState,
        },
      ],
    }
  }

  /**
   * All matches and the hidden ones among them. Joining every match to `notes` to check visibility reads
   * each (large) note row: ~250 ms for a word in 44,000 of 100,000 notes, against ~5 ms for this. Hidden
   * notes (drafts, trash) are few and come from the visibility index.
   */
  async function countMatches(reader: Reader, countSql: string, idColumn: string, params: unknown[], includeHidden: boolean | undefined): Promise<{ all: number; hidden: number }> {
    const all = (await reader.get<{ n: number }>(countSql, params))?.n ?? 0
    if (includeHidden || all === 0) return { all, hidden: 0 }
    const hidden =
      (
        await reader.get<{ n: number }>(
          `${countSql} AND ${idColumn} IN (SELECT id FROM notes WHERE deleted_at IS NOT NULL UNION ALL SELECT id FROM notes WHERE deleted_at IS NULL AND published = 0)`,
          params,
        )
      )?.n ?? 0
    return { all, hidden }
  }

  const rankPlan: FtsRankPlan = deps.ftsRankPlan ?? 'bounded'
  const hitColumns = 'n.slug, n.title, n.created_at AS createdAt, n.published, n.deleted_at AS deletedAt'

  async function runSearch(reader: Reader, parsed: ParsedQuery, query: SearchQuery): Promise<{ hits: SearchHit[]; total: number }> {
    const visible = query.includeDrafts ? '' : ' AND n.deleted_at IS NULL AND n.published = 1'
    if (engine === 'fts5') {
      const match = ftsMatchExpression(parsed)
      const counted = await countMatches(reader, 'SELECT count(*) AS n FROM search_fts WHERE search_fts MATCH ?', 'search_fts.rowid', [match], query.includeDrafts)
      const total = counted.all - counted.hidden
      if (total === 0 || query.offset >= total) return { hits: [], total }
      // FTS5's own snippet() is quadratic in the hits inside one document: a note made of 65,000 copies of
      // one word kept a reader thread busy for ~50 s per search. The snippet is built in JS instead, over a
      // bounded start of the body, with the same word rules as the LIKE engine.
      const rows =
        rankPlan === 'bounded'
          ? // The best offset + limit + hidden matches hold at least offset + limit visible ones, so ranking
            // that many on the FTS5 table alone and filtering after gives exactly the page the join would.
            // CROSS JOIN keeps those few rows the outer loop: with a bound LIMIT the planner cannot tell the
            // CTE is small and scanned every visible note against it (~200 ms for a rare word at 100,000).
            await reader.all<HitRow & { body: string }>(
              `WITH ranked AS (
                 SELECT rowid AS id, ${RANK_EXPRESSION} AS score FROM search_fts WHERE search_fts MATCH ?
                 ORDER BY score, rowid LIMIT ?
               )
               SELECT ${hitColumns}, ranked.score AS rank, substr(d.body, 1, ${SNIPPET_SOURCE_CHARS}) AS body
               FROM ranked CROSS JOIN notes n ON n.id = ranked.id CROSS JOIN search_documents d ON d.note_id = ranked.id
               ${query.includeDrafts ? '' : 'WHERE n.deleted_at IS NULL AND n.published = 1'}
               ORDER BY ranked.score, ranked.id LIMIT ? OFFSET ?`,
              [match, query.offset + query.limit + counted.hidden, query.limit, query.offset],
            )
          : await reader.all<HitRow & { body: string }>(
              `SELECT ${hitColumns}, search_fts.rank AS rank, substr(d.body, 1, ${SNIPPET_SOURCE_CHARS}) AS body
               FROM search_fts JOIN notes n ON n.id = search_fts.rowid JOIN search_documents d ON d.note_id = search_fts.rowid
               WHERE search_fts MATCH ?${visible}
               ORDER BY search_fts.rank LIMIT ? OFFSET ?`,
              [match, query.limit, query.offset],
            )
      return { hits: rows.map((row) => toHit(row, buildSnippet(row.body, parsed), row.rank)), total }
    }
    const patterns = likePatterns(parsed)
    const where = patterns.map(() => "d.folded LIKE ? ESCAPE '\\'").join(' AND ')
    const counted = await countMatches(reader, `SELECT count(*) AS n FROM search_documents d WHERE ${where}`, 'd.note_id', patterns, query.includeDrafts)
    const total = counted.all - counted.hidden
    if (total === 0 || query.offset >= total) return { hits: [], total }
    const rows = await reader.all<HitRow & { body: string }>(
      `SELECT ${hitColumns}, substr(d.body, 1, ${SNIPPET_SOURCE_CHARS}) AS body
       FROM search_documents d JOIN notes n ON n.id = d.note_id
       WHERE ${where}${visible}
       ORDER BY n.created_at DESC, n.id DESC LIMIT ? OFFSET ?`,
      [...patterns, query.limit, query.offset],
    )
    return { hits: rows.map((row) => toHit(row, buildSnippet(row.body, parsed), 0)), total }
  }

  return {
    get engine() {
      return engine
    },
    status,
    async search(query) {
      if (!engine) throw appError('SEARCH_DISABLED')
      const parsed = parseQuery(query.q)
      if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_SEARCH_LIMIT) {
        throw appError('BAD_REQUEST', { vars: { detail: `limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}.` } })
      }
      if (!Number.isInteger(query.offset) || query.offset < 0) throw appError('BAD_REQUEST', { vars: { detail: 'offset must be a whole number, 0 or more.' } })
      const used = engine
      const started = performance.now()
      const observed = (failed: boolean): void => {
        try {
          deps.observer?.searched?.(used, (performance.now() - started) / 1000, failed)
        } catch {
          // An observer's bug must not fail the search it watches.
        }
      }
      try {
        const result = await db.withReader((reader) => runSearch(reader, parsed, query))
        observed(false)
        return result
      } catch (err) {
        observed(!(err instanceof AppError && err.kind === 'user'))
        if (err instanceof AppError) throw err
        // Every term is quoted, so FTS5 should accept any parsed query; if it still refuses one, that is the
        // query's fault (a 400 that says so), not a server failure.
        if (/fts5: syntax error|malformed MATCH|unknown special query|fts5: /i.test(describeError(err))) {
          log.info('search query rejected by FTS5', { err })
          throw appError('BAD_REQUEST', {
            vars: { detail: 'the search could not be understood. Search for plain words, "an exact phrase" in double quotes, or a word prefix ending in *.' },
            cause: err,
          })
        }
        throw err
      }
    },
    async rebuild() {
      const started = performance.now()
      await db.write((c) => {
        if (ftsIndexed) rebuildFts(c)
        else {
          c.exec('DELETE FROM search_documents')
          syncAtStartup(c)
        }
      })
      return performance.now() - started
    },
    healthChecks: [{ name: 'search', check: searchCheck, required: false }],
    dispose() {
      unhook()
    },
  }
}

interface HitRow {
  slug: string
  title: string | null
  createdAt: string
  published: number
  deletedAt: string | null
  rank: number
}

function toHit(row: HitRow, snippet: string, rank: number): SearchHit {
  return { slug: row.slug, title: row.title, snippet, createdAt: row.createdAt, published: row.published === 1, rank, deletedAt: row.deletedAt }
}

function noteSource(note: Note): SourceNote {
  return { id: note.id, title: note.title, html: note.html, updatedAt: note.updatedAt }
}

/** Prepared statements for the hook's hot path, per connection (prepare costs more than the write). */
function cachedStatements() {
  const caches = new WeakMap<Connection, Map<string, BetterSqlite3.Statement>>()
  return (c: Connection, sql: string) => {
    let cache = caches.get(c)
    if (!cache) caches.set(c, (cache = new Map<string, BetterSqlite3.Statement>()))
    let statement = cache.get(sql)
    if (!statement) cache.set(sql, (statement = c.prepare(sql)))
    return statement
  }
}
