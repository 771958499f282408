import type { Config } from '../config'
import type { Connection, Db, Reader } from '../db'
import { appError } from '../errors'
import type { Logger } from '../logging'
import { changeKey } from './change-key'
import { parseRfc3339 } from './dates'
import { extractTitle, plainTextStart, textSummary } from './markdown'
import { discoverPostType, isPostType, mayBeEmpty, type PostType } from './post-type'
import type { NoteRenderer } from './renderer'
import { chooseSlug } from './slug'
import { normalizeTags, tagKey, type TagInput } from './tags'
import type { ListCursor, ListOptions, Note, NoteInput, NotePatch, NotesService, NoteWriteEvent, NoteWriteHook, Properties } from './types'

export interface NotesServiceDeps {
  db: Db
  logger: Logger
  config: Config
  /** Markdown → sanitised HTML in a worker thread (the caller owns it and closes it). */
  renderer: NoteRenderer
}

/** Largest JSON of a note's properties, in characters (the note text has its own setting). */
export const MAX_CONTENT_LENGTH = 1_000_000
/** Slug words come from this much of the start of the rendered text (slugFromText reads no further). */
const SLUG_SOURCE_CHARS = 2_000
export const MAX_LIST_LIMIT = 1_000

interface NoteRow {
  id: number
  slug: string
  content: string
  content_html: string
  title: string | null
  published: number
  created_at: string
  updated_at: string
  deleted_at: string | null
  properties: string
  post_type: string
  /** 1 when list() cut the note to an excerpt: content is empty and content_html only its start. */
  excerpted?: number
}

interface TagRow {
  note_id: number
  display: string
}

const NOTE_COLUMNS = 'n.id, n.slug, n.content, n.content_html, n.title, n.published, n.created_at, n.updated_at, n.deleted_at, n.properties, n.post_type'
/** An excerpt is this many characters of text at most, read from this much of the note's HTML. */
const EXCERPT_CHARS = 300
const EXCERPT_SOURCE_CHARS = 8 * 1024

/**
 * NOTE_COLUMNS, but a note whose HTML passes `aboveBytes` comes without its source and with only the start
 * of its HTML: a list of long notes then moves kilobytes per note from the reader thread, not the whole text.
 */
function excerptColumns(aboveBytes: number): string {
  const long = `octet_length(n.content_html) > ${aboveBytes}`
  return `n.id, n.slug, CASE WHEN ${long} THEN '' ELSE n.content END AS content,
    CASE WHEN ${long} THEN substr(n.content_html, 1, ${EXCERPT_SOURCE_CHARS}) ELSE n.content_html END AS content_html,
    n.title, n.published, n.created_at, n.updated_at, n.deleted_at, n.properties, n.post_type, ${long} AS excerpted`
}

function excerptOf(htmlStart: string): string {
  return textSummary(htmlStart, EXCERPT_CHARS, true)
}

function badRequest(detail: string) {
  return appError('BAD_REQUEST', { vars: { detail } })
}

function notFound() {
  return appError('NOT_FOUND')
}

/** NOTE_TOO_LARGE unless text fits in maxBytes (UTF-8). Checked before any rendering. */
function checkNoteSize(text: string, maxBytes: number): void {
  const size = Buffer.byteLength(text, 'utf8')
  if (size > maxBytes) throw appError('NOTE_TOO_LARGE', { vars: { size: `${size} bytes`, limit: `${maxBytes} bytes` } })
}

/** The text cleaned of control characters; empty text is refused unless `allowEmpty` (a like needs none). */
function validateContent(content: unknown, maxBytes: number, allowEmpty = false): string {
  if (typeof content !== 'string') throw badRequest('the note content must be text')
  // eslint-disable-next-line no-control-regex
  const cleaned = content.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
  if (!cleaned.trim()) {
    if (allowEmpty) return ''
    throw badRequest('the note content is empty')
  }
  checkNoteSize(cleaned, maxBytes)
  return cleaned
}

/** The text Post Type Discovery compares a name with: the start of the rendered note. */
const TYPE_TEXT_CHARS = 2_000

/**
 * A post's type from its properties and rendered HTML, and its title: an article's is its name (only a
 * name makes an article), anything else's its leading Markdown heading, as before post types.
 */
function typeAndTitle(content: string, html: string, properties: Properties): { postType: PostType; title: string | null } {
  const postType = discoverPostType(properties, plainTextStart(html, TYPE_TEXT_CHARS))
  if (postType === 'article') {
    const name = properties.name?.find((v): v is string => typeof v === 'string' && v.trim() !== '')
    if (name) {
      const clean = name.replace(/\s+/g, ' ').trim()
      const chars = Array.from(clean)
      return { postType, title: chars.length > 200 ? chars.slice(0, 199).join('') + '…' : clean }
    }
  }
  return { postType, title: extractTitle(content) }
}

/** A note's text may be empty only when its type needs none (like, repost, bookmark, RSVP). */
function contentFor(raw: unknown, properties: Properties, maxBytes: number): string {
  const cleaned = validateContent(raw, maxBytes, true)
  if (cleaned !== '') return cleaned
  const type = discoverPostType(properties, '')
  if (!mayBeEmpty(type)) throw badRequest('the note content is empty')
  return cleaned
}

/** Text to take slug words from: the title, else the start of the rendered note as plain text. */
function slugSource(title: string | null, html: string): string {
  return title ?? plainTextStart(html, SLUG_SOURCE_CHARS)
}

function validateProperties(value: unknown): Properties {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('properties must be an object of arrays')
  const result: Properties = {}
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (!Array.isArray(entry)) throw badRequest(`the property "${key.slice(0, 64)}" must be an array`)
    result[key] = entry
  }
  let json: string
  try {
    json = JSON.stringify(result)
  } catch {
    throw badRequest('properties must be plain JSON')
  }
  if (json.length > MAX_CONTENT_LENGTH) throw badRequest('properties are too large')
  return result
}

/** Parse a date given by a client (an RFC 3339 date-time) into canonical ISO-8601 UTC (sortable as text). */
export function normalizeDate(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value.trim()) throw badRequest(`${field} must be a date`)
  const date = parseRfc3339(value.trim())
  if (!date) throw badRequest(`${field} "${value.slice(0, 40)}" is not a valid date: give an RFC 3339 date-time with a time zone, like 2024-05-01T09:30:00Z`)
  const iso = date.toISOString()
  if (iso.startsWith('+') || iso.startsWith('-')) throw badRequest(`${field} is out of range`)
  return iso
}

function validateLimit(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw badRequest(`${name} must be a whole number between 0 and ${max}`)
  return value
}

function parseProperties(json: string): Properties {
  try {
    const parsed = JSON.parse(json) as unknown
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Properties
  } catch {
    // A hand-edited database could hold bad JSON: show the note without its extra properties.
  }
  return {}
}

function rowToNote(row: NoteRow, tags: string[]): Note {
  const properties = parseProperties(row.properties)
  const excerpted = row.excerpted === 1
  return {
    ...(excerpted ? { excerpt: excerptOf(row.content_html) } : {}),
    id: row.id,
    slug: row.slug,
    content: row.content,
    html: excerpted ? '' : row.content_html,
    title: row.title,
    published: row.published === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    tags,
    properties,
    postType: isPostType(row.post_type) ? row.post_type : 'note',
  }
}

/**
 * Keyset conditions on the newest-first order (created_at DESC, id DESC), written so that SQLite reads a
 * range of idx_notes_visible (created_at <= / >=) and checks the id only where times are equal.
 */
const OLDER_THAN = '(n.created_at <= ? AND (n.created_at < ? OR n.id < ?))'
const NEWER_THAN = '(n.created_at >= ? AND (n.created_at > ? OR n.id > ?))'

function cursorParams(cursor: ListCursor): [string, string, number] {
  return [cursor.createdAt, cursor.createdAt, cursor.id]
}

function validateCursor(cursor: ListCursor): void {
  if (typeof cursor.createdAt !== 'string' || cursor.createdAt.length > 40 || !Number.isSafeInteger(cursor.id) || cursor.id < 0) throw badRequest('invalid list cursor')
}

/** Build the WHERE clause shared by list() and its count. */
function visibilityWhere(options: { includeDrafts?: boolean; includeDeleted?: boolean; onlyDeleted?: boolean; onlyDrafts?: boolean }): string[] {
  const where: string[] = []
  if (options.onlyDeleted) where.push('n.deleted_at IS NOT NULL')
  else if (!options.includeDeleted) where.push('n.deleted_at IS NULL')
  if (options.onlyDrafts) where.push('n.published = 0')
  else if (!options.includeDrafts) where.push('n.published = 1')
  return where
}

/** Writes that also need the full internal API (import keeps given times and deletion state). */
export interface NoteRecord {
  slug: string
  content: string
  published: boolean
  createdAt: string
  updatedAt: string
  deletedAt: string | null
  tags: string[]
  properties: Properties
}

export interface NotesServiceImpl extends NotesService {
  /**
   * Create or overwrite the note with record.slug, keeping the given times and deletion state (import).
   * Returns what happened; 'unchanged' when the stored note already equals the record.
   */
  upsertRecord(record: NoteRecord): Promise<{ action: 'created' | 'updated' | 'unchanged'; note: Note }>
  /** Every note, drafts and deleted included, oldest first, in pages (export). */
  all(): AsyncIterable<Note>
}

export function createNotesService({ db, logger, config, renderer }: NotesServiceDeps): NotesServiceImpl {
  const maxNoteBytes = config.maxNoteBytes
  const hooks = new Set<NoteWriteHook>()
  const log = logger.child({ component: 'notes' })
  // COUNT(*) for a given filter is cached until the next committed write (changeKey moves).
  let countCache = { version: '', counts: new Map<string, number>() }

  // Counts committed note writes: pages and feeds key their caches on it (other tables' writes, such as a
  // session sliding on every admin request, must not empty them).
  let version = 0
  async function noteWrite<T>(fn: (conn: Connection) => T): Promise<T> {
    const result = await db.write(fn)
    version++
    return result
  }
  // The key for anything derived from notes: this process's note writes plus other processes' commits.
  const notesChangeKey = () => changeKey(db, version)

  function runHooks(conn: Connection, event: NoteWriteEvent) {
    for (const hook of hooks) hook(conn, event)
  }

  function tagsFor(conn: Connection | Reader, ids: number[]): Map<number, string[]> | Promise<Map<number, string[]>> {
    const sql = `SELECT nt.note_id, t.display FROM note_tags nt JOIN tags t ON t.id = nt.tag_id
      WHERE nt.note_id IN (${ids.map(() => '?').join(',')}) ORDER BY nt.note_id, nt.rowid`
    const group = (rows: TagRow[]) => {
      const map = new Map<number, string[]>()
      for (const row of rows) {
        const list = map.get(row.note_id)
        if (list) list.push(row.display)
        else map.set(row.note_id, [row.display])
      }
      return map
    }
    if (ids.length === 0) return new Map()
    if ('prepare' in conn) return group(conn.prepare(sql).all(...ids) as TagRow[])
    return conn.all<TagRow>(sql, ids).then(group)
  }

  function loadSync(conn: Connection, slug: string): Note | null {
    const row = conn.prepare(`SELECT ${NOTE_COLUMNS} FROM notes n WHERE n.slug = ?`).get(slug) as NoteRow | undefined
    if (!row) return null
    const tags = (tagsFor(conn, [row.id]) as Map<number, string[]>).get(row.id) ?? []
    return rowToNote(row, tags)
  }

  /** Into the trash (soft delete) or back out; doing it twice changes nothing the second time. */
  async function moveTrash(slugParam: string, trashed: boolean): Promise<Note> {
    const slug = requireSlug(slugParam)
    const note = await noteWrite((conn) => {
      const existing = loadSync(conn, slug)
      if (!existing) throw notFound()
      if ((existing.deletedAt !== null) === trashed) return existing
      conn.prepare('UPDATE notes SET deleted_at = ? WHERE id = ?').run(trashed ? new Date().toISOString() : null, existing.id)
      const changed = loadSync(conn, slug)!
      runHooks(conn, { type: trashed ? 'deleted' : 'restored', note: changed })
      return changed
    })
    log.info(trashed ? 'note deleted' : 'note restored', { slug })
    return note
  }

  function setTags(conn: Connection, noteId: number, tags: TagInput[]) {
    conn.prepare('DELETE FROM note_tags WHERE note_id = ?').run(noteId)
    const upsertTag = conn.prepare(
      // DO UPDATE (a no-op) rather than DO NOTHING so RETURNING yields the id of an existing tag too.
      'INSERT INTO tags (name, display) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET name = name RETURNING id',
    )
    const link = conn.prepare('INSERT OR IGNORE INTO note_tags (note_id, tag_id) VALUES (?, ?)')
    for (const tag of tags) {
      // A tag has one display form site-wide: the first one it was given (a client sending `indieweb`
      // later does not undo the author's `IndieWeb`).
      const { id } = upsertTag.get(tag.name, tag.display) as { id: number }
      link.run(noteId, id)
    }
  }

  function slugTaken(conn: Connection) {
    const stmt = conn.prepare('SELECT 1 FROM notes WHERE slug = ?')
    return (slug: string) => stmt.get(slug) !== undefined
  }

  function requireSlug(slug: unknown): string {
    if (typeof slug !== 'string' || !slug || slug.length > 400) throw notFound()
    return slug
  }

  const service: NotesServiceImpl = {
    get version() {
      return version
    },

    async create(input: NoteInput): Promise<Note> {
      if (!input || typeof input !== 'object') throw badRequest('a note needs content')
      const properties = validateProperties(input.properties)
      const content = contentFor(input.content, properties, maxNoteBytes)
      const tags = normalizeTags(input.tags ?? [])
      if (input.slug !== undefined && typeof input.slug !== 'string') throw badRequest('the slug must be text')
      if (input.published !== undefined && typeof input.published !== 'boolean') throw badRequest('published must be true or false')
      const now = new Date()
      const createdAt = input.createdAt !== undefined ? normalizeDate(input.createdAt, 'the published date') : now.toISOString()
      const html = content === '' ? '' : await renderer.markdown(content)
      const { postType, title } = typeAndTitle(content, html, properties)
      // Slug words come from the sanitised text (so markup and stripped scripts never end up in URLs); an
      // article's from its name (its title).
      const slugText = slugSource(title, html)
      const note = await noteWrite((conn) => {
        const slug = chooseSlug({ requested: input.slug, text: slugText, now, isTaken: slugTaken(conn) })
        const { lastInsertRowid } = conn
          .prepare(
            `INSERT INTO notes (slug, content, content_html, title, published, created_at, updated_at, properties, post_type)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(slug, content, html, title, input.published === false ? 0 : 1, createdAt, now.toISOString(), JSON.stringify(properties), postType)
        setTags(conn, Number(lastInsertRowid), tags)
        const created = loadSync(conn, slug)!
        runHooks(conn, { type: 'created', note: created })
        return created
      })
      log.info('note created', { slug: note.slug, published: note.published })
      return note
    },

    async update(slugParam: string, patch: NotePatch): Promise<Note> {
      const slug = requireSlug(slugParam)
      if (!patch || typeof patch !== 'object') throw badRequest('nothing to update')
      // Empty text is checked against the type the note will have, once its properties are known.
      const content = patch.content !== undefined ? validateContent(patch.content, maxNoteBytes, true) : undefined
      const tags = patch.tags !== undefined ? normalizeTags(patch.tags) : undefined
      const properties = patch.properties !== undefined ? validateProperties(patch.properties) : undefined
      if (patch.published !== undefined && typeof patch.published !== 'boolean') throw badRequest('published must be true or false')
      const html = content !== undefined && content !== '' ? await renderer.markdown(content) : content
      const note = await noteWrite((conn) => {
        const existing = conn.prepare('SELECT id, content, content_html, properties FROM notes WHERE slug = ? AND deleted_at IS NULL').get(slug) as
          | { id: number; content: string; content_html: string; properties: string }
          | undefined
        if (!existing) throw notFound()
        const sets: string[] = ['updated_at = ?']
        const params: unknown[] = [new Date().toISOString()]
        if (content !== undefined || properties !== undefined) {
          const finalProperties = properties ?? parseProperties(existing.properties)
          const finalContent = content ?? existing.content
          const finalHtml = html ?? existing.content_html
          const { postType, title } = typeAndTitle(finalContent, finalHtml, finalProperties)
          if (finalContent.trim() === '' && !mayBeEmpty(postType)) throw badRequest('the note content is empty')
          sets.push('content = ?', 'content_html = ?', 'title = ?', 'post_type = ?')
          params.push(finalContent, finalHtml, title, postType)
        }
        if (patch.published !== undefined) {
          sets.push('published = ?')
          params.push(patch.published ? 1 : 0)
        }
        if (properties !== undefined) {
          sets.push('properties = ?')
          params.push(JSON.stringify(properties))
        }
        conn.prepare(`UPDATE notes SET ${sets.join(', ')} WHERE id = ?`).run(...params, existing.id)
        if (tags !== undefined) setTags(conn, existing.id, tags)
        const updated = loadSync(conn, slug)!
        runHooks(conn, { type: 'updated', note: updated })
        return updated
      })
      log.info('note updated', { slug })
      return note
    },

    async get(slugParam, options = {}) {
      if (typeof slugParam !== 'string' || !slugParam || slugParam.length > 400) return null
      return db.withReader(async (reader) => {
        const row = await reader.get<NoteRow>(`SELECT ${NOTE_COLUMNS} FROM notes n WHERE n.slug = ?`, [slugParam])
        if (!row) return null
        if (row.deleted_at !== null && !options.includeDeleted) return null
        if (row.published !== 1 && !options.includeDrafts) return null
        const tags = (await tagsFor(reader, [row.id])).get(row.id) ?? []
        return rowToNote(row, tags)
      })
    },

    async list(options: ListOptions) {
      const limit = validateLimit(options.limit, 'limit', MAX_LIST_LIMIT)
      const offset = validateLimit(options.offset, 'offset', Number.MAX_SAFE_INTEGER)
      const where = visibilityWhere(options)
      const params: unknown[] = []
      let from = 'notes n'
      if (options.tag !== undefined) {
        const key = tagKey(options.tag)
        from = 'notes n JOIN note_tags nt ON nt.note_id = n.id JOIN tags t ON t.id = nt.tag_id'
        where.push('t.name = ?')
        params.push(key)
      }
      if (options.postType !== undefined) {
        if (!isPostType(options.postType)) throw badRequest('unknown post type')
        where.push('n.post_type = ?')
        params.push(options.postType)
      }
      // The filters without the cursor: COUNT(*) and the "is there more on the other side" probes use them.
      const filterWhere = [...where]
      const filterParams = [...params]
      if (options.before && options.after) throw badRequest('before and after cannot be combined')
      const cursor = options.before ?? options.after
      if (cursor) {
        if (offset !== 0) throw badRequest('a cursor and an offset cannot be combined')
        validateCursor(cursor)
        where.push(options.before ? OLDER_THAN : NEWER_THAN)
        params.push(...cursorParams(cursor))
      }
      // Newer than a cursor reads upwards (oldest first) from it, then turns the page round.
      const direction = options.after ? 'ASC' : 'DESC'
      const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : ''
      const countWhereSql = filterWhere.length ? `WHERE ${filterWhere.join(' AND ')}` : ''
      const cacheKey = `${countWhereSql}|${filterParams.join('|')}`
      const withTotal = options.withTotal !== false
      return db.withReader(async (reader) => {
        // One extra row tells whether another page exists without counting.
        const columns =
          options.excerptAboveHtmlBytes === undefined
            ? NOTE_COLUMNS
            : excerptColumns(validateLimit(options.excerptAboveHtmlBytes, 'excerptAboveHtmlBytes', Number.MAX_SAFE_INTEGER))
        const page = `SELECT ${columns} FROM ${from} ${whereSql} ORDER BY n.created_at ${direction}, n.id ${direction} LIMIT ? OFFSET ?`
        let fetched: NoteRow[]
        // Rows the page query found, the extra one included (more than are returned: another page exists).
        let found: number
        if (options.maxHtmlBytes === undefined) {
          fetched = await reader.all<NoteRow>(page, [...params, limit + 1, offset])
          found = fetched.length
        } else {
          const maxHtmlBytes = validateLimit(options.maxHtmlBytes, 'maxHtmlBytes', Number.MAX_SAFE_INTEGER)
          // The running size over this page's rows only (never the whole table), from ids and sizes alone:
          // octet_length of a column reads its size from the record header, not its text. Only the notes
          // that fit are then read in full.
          const budgeted = await reader.all<NoteRow & { pageRows: number }>(
            `WITH page AS (
               SELECT n.id, n.created_at, octet_length(n.content_html) AS bytes FROM ${from} ${whereSql}
               ORDER BY n.created_at ${direction}, n.id ${direction} LIMIT ? OFFSET ?
             ), budget AS (
               SELECT id, ROW_NUMBER() OVER w AS position, SUM(bytes) OVER w AS running, COUNT(*) OVER () AS pageRows FROM page
               WINDOW w AS (ORDER BY created_at ${direction}, id ${direction} ROWS UNBOUNDED PRECEDING)
             )
             SELECT ${columns}, b.pageRows FROM budget b JOIN notes n ON n.id = b.id
             WHERE b.position = 1 OR b.running <= ? ORDER BY b.position`,
            [...params, limit + 1, offset, maxHtmlBytes],
          )
          found = budgeted[0]?.pageRows ?? 0
          fetched = budgeted
        }
        const taken = fetched.length > limit ? fetched.slice(0, limit) : fetched
        const beyond = found > taken.length
        const rows = options.after ? taken.reverse() : taken
        // The other side of a cursor page: one indexed probe for a single row.
        const exists = async (condition: string, edge: NoteRow) =>
          (await reader.get(`SELECT 1 AS one FROM ${from} WHERE ${[...filterWhere, condition].join(' AND ')} LIMIT 1`, [...filterParams, ...cursorParams({ createdAt: edge.created_at, id: edge.id })])) !== undefined
        const first = rows[0]
        const last = rows[rows.length - 1]
        const hasMore = options.after ? last !== undefined && (await exists(OLDER_THAN, last)) : beyond
        const hasNewer = options.after ? beyond : options.before ? first !== undefined && (await exists(NEWER_THAN, first)) : offset > 0
        const tags = await tagsFor(reader, rows.map((row) => row.id))
        const notes = rows.map((row) => rowToNote(row, tags.get(row.id) ?? []))
        if (!withTotal) return { notes, total: offset + fetched.length, hasMore, hasNewer }
        const key = notesChangeKey()
        if (countCache.version !== key) countCache = { version: key, counts: new Map() }
        let total = countCache.counts.get(cacheKey)
        if (total === undefined) {
          const row = await reader.get<{ total: number }>(`SELECT COUNT(*) AS total FROM ${from} ${whereSql}`, params)
          total = row?.total ?? 0
          // Only cache when no write landed while counting: otherwise the next call recounts.
          if (notesChangeKey() === key) countCache.counts.set(cacheKey, total)
        }
        return { notes, total, hasMore, hasNewer }
      })
    },

    async remove(slugParam) {
      return moveTrash(slugParam, true)
    },

    async restore(slugParam) {
      return moveTrash(slugParam, false)
    },

    async purge(slugParam) {
      const slug = requireSlug(slugParam)
      await noteWrite((conn) => {
        const existing = conn.prepare('SELECT id, deleted_at FROM notes WHERE slug = ?').get(slug) as { id: number; deleted_at: string | null } | undefined
        if (!existing) throw notFound()
        if (existing.deleted_at === null) {
          throw badRequest('only a deleted note can be removed for good: delete it first, then empty it from the trash')
        }
        conn.prepare('DELETE FROM notes WHERE id = ?').run(existing.id) // note_tags go with it (ON DELETE CASCADE)
        runHooks(conn, { type: 'purged', id: existing.id, slug })
      })
      log.info('note purged', { slug })
    },

    async tags(options = {}) {
      const where = visibilityWhere({ includeDrafts: options.includeDrafts })
      return db.all<{ name: string; display: string; count: number }>(
        `SELECT t.name, t.display, COUNT(*) AS count FROM tags t
         JOIN note_tags nt ON nt.tag_id = t.id JOIN notes n ON n.id = nt.note_id
         WHERE ${where.join(' AND ')} GROUP BY t.id ORDER BY count DESC, t.name`,
      )
    },

    async publicIndex(limits) {
      const where = visibilityWhere({}).join(' AND ')
      return db.withReader(async (reader) => ({
        notes: await reader.all<{ slug: string; updatedAt: string }>(
          `SELECT n.slug, n.updated_at AS updatedAt FROM notes n WHERE ${where} ORDER BY n.created_at DESC LIMIT ?`,
          [limits.notes],
        ),
        tags: await reader.all<{ name: string; updatedAt: string }>(
          `SELECT t.name, MAX(n.updated_at) AS updatedAt FROM tags t
           JOIN note_tags nt ON nt.tag_id = t.id JOIN notes n ON n.id = nt.note_id
           WHERE ${where} GROUP BY t.id ORDER BY t.name LIMIT ?`,
          [limits.tags],
        ),
      }))
    },

    async renderPreview(content) {
      if (typeof content !== 'string' || content.trim() === '') return ''
      return renderer.markdown(validateContent(content, maxNoteBytes))
    },

    async sanitizeHtml(html) {
      if (typeof html !== 'string') throw badRequest('the HTML content must be text')
      checkNoteSize(html, maxNoteBytes)
      return renderer.sanitize(html)
    },

    onWrite(hook) {
      hooks.add(hook)
      return () => {
        hooks.delete(hook)
      }
    },

    async upsertRecord(record) {
      const properties = validateProperties(record.properties)
      const content = contentFor(record.content, properties, maxNoteBytes)
      const tags = normalizeTags(record.tags)
      const createdAt = normalizeDate(record.createdAt, 'created')
      const updatedAt = normalizeDate(record.updatedAt, 'updated')
      const deletedAt = record.deletedAt === null ? null : normalizeDate(record.deletedAt, 'deleted')
      const matches = (existing: Note) =>
        existing.content === content &&
        existing.published === record.published &&
        existing.createdAt === createdAt &&
        existing.updatedAt === updatedAt &&
        existing.deletedAt === deletedAt &&
        JSON.stringify(existing.tags.map(tagKey)) === JSON.stringify(tags.map((tag) => tag.name)) &&
        JSON.stringify(existing.properties) === JSON.stringify(properties)
      // An unchanged note is answered from a read: no write, so db.version (and every ETag) stays put.
      const current = await service.get(record.slug, { includeDrafts: true, includeDeleted: true })
      if (current && matches(current)) return { action: 'unchanged' as const, note: current }
      const html = content === '' ? '' : await renderer.markdown(content)
      const { postType, title } = typeAndTitle(content, html, properties)
      return noteWrite((conn) => {
        const existing = loadSync(conn, record.slug)
        const published = record.published ? 1 : 0
        if (existing) {
          if (matches(existing)) return { action: 'unchanged' as const, note: existing }
          conn
            .prepare(
              `UPDATE notes SET content = ?, content_html = ?, title = ?, published = ?, created_at = ?, updated_at = ?,
               deleted_at = ?, properties = ?, post_type = ? WHERE id = ?`,
            )
            .run(content, html, title, published, createdAt, updatedAt, deletedAt, JSON.stringify(properties), postType, existing.id)
          setTags(conn, existing.id, tags)
          const updated = loadSync(conn, record.slug)!
          runHooks(conn, { type: 'updated', note: updated })
          return { action: 'updated' as const, note: updated }
        }
        conn
          .prepare(
            `INSERT INTO notes (slug, content, content_html, title, published, created_at, updated_at, deleted_at, properties, post_type)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(record.slug, content, html, title, published, createdAt, updatedAt, deletedAt, JSON.stringify(properties), postType)
        const id = (conn.prepare('SELECT id FROM notes WHERE slug = ?').get(record.slug) as { id: number }).id
        setTags(conn, id, tags)
        const created = loadSync(conn, record.slug)!
        runHooks(conn, { type: 'created', note: created })
        return { action: 'created' as const, note: created }
      })
    },

    async *all() {
      let afterId = 0
      for (;;) {
        const rows = await db.all<NoteRow>(`SELECT ${NOTE_COLUMNS} FROM notes n WHERE n.id > ? ORDER BY n.id LIMIT 500`, [afterId])
        if (rows.length === 0) return
        const tags = await db.withReader(async (reader) => tagsFor(reader, rows.map((row) => row.id)))
        for (const row of rows) yield rowToNote(row, tags.get(row.id) ?? [])
        afterId = rows[rows.length - 1]!.id
      }
    },
  }
  return service
}
