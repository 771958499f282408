import type { Connection } from '../db'
import type { PostType } from './post-type'

/** Micropub-style property bag: every value is an array (mf2 JSON). Kept for q=source round-trips. */
export type Properties = Record<string, unknown[]>

export interface Note {
  id: number
  slug: string
  /** Markdown source. */
  content: string
  /** Sanitised HTML rendered from content. */
  html: string
  /** First line/heading when present, else null. */
  title: string | null
  published: boolean
  /** ISO-8601 UTC. */
  createdAt: string
  updatedAt: string
  deletedAt: string | null
  /** Display forms, in the order they were given. */
  tags: string[]
  /** Extra mf2 properties (name, summary, photo, nested objects, unknown ones) not covered above. */
  properties: Properties
  /**
   * W3C Post Type Discovery type, from `properties` (as sent) and the text: note, article (only a `name`
   * makes one), photo, reply, like, repost, bookmark or rsvp. The target URLs are in `properties`
   * (`in-reply-to`, `like-of`, `repost-of`, `bookmark-of`; `rsvp` beside `in-reply-to`).
   */
  postType: PostType
  /**
   * Only from list({ excerptAboveHtmlBytes }) for a note longer than that: the start of its visible text,
   * ending in "…". `html` and `content` are then empty: the whole note is on its own page.
   */
  excerpt?: string
}

export interface NoteInput {
  /** Markdown; may be empty only for a like, repost, bookmark or RSVP (their target says it all). */
  content: string
  published?: boolean
  tags?: string[]
  /** Requested slug (admin field or mp-slug); sanitised, made unique. */
  slug?: string
  /** ISO date to use as created_at (Micropub `published`). */
  createdAt?: string
  properties?: Properties
}

export interface NotePatch {
  content?: string
  published?: boolean
  tags?: string[]
  properties?: Properties
}

/** A place in the newest-first order of notes: a note's creation time and id (keyset pagination). */
export interface ListCursor {
  createdAt: string
  id: number
}

export interface ListOptions {
  limit: number
  offset: number
  /**
   * Keyset pagination: only notes older than this one (newest first, as always); offset must be 0. Costs the
   * same however deep the page is, where an OFFSET skips (and reads) every note before it.
   */
  before?: ListCursor
  /** Keyset pagination: the `limit` notes just newer than this one (still returned newest first). */
  after?: ListCursor
  includeDrafts?: boolean
  includeDeleted?: boolean
  /** Only deleted notes (admin trash). */
  onlyDeleted?: boolean
  /** Only unpublished notes (the admin's drafts view). */
  onlyDrafts?: boolean
  /** Tag name (case-insensitive). */
  tag?: string
  /** Only notes of this post type (`/type/<type>`). */
  postType?: PostType
  /**
   * Count the matching notes (default true). false skips COUNT(*), whose cost grows with the number of
   * notes: `total` is then a lower bound and `hasMore` says whether another page exists.
   */
  withTotal?: boolean
  /**
   * Stop adding notes, newest first, once their HTML would pass this many UTF-8 bytes (the first note always
   * comes). `hasMore` is then true when the budget left notes out.
   */
  maxHtmlBytes?: number
  /** Notes whose HTML passes this many UTF-8 bytes come as an excerpt (see Note.excerpt), not in full. */
  excerptAboveHtmlBytes?: number
}

export interface NoteList {
  notes: Note[]
  total: number
  /** Whether notes exist beyond this page (always set): older than its last note. */
  hasMore?: boolean
  /** Whether notes exist newer than its first note (always set: with offset, whether offset > 0). */
  hasNewer?: boolean
}

export type NoteWriteEvent =
  | { type: 'created' | 'updated' | 'deleted' | 'restored'; note: Note }
  | { type: 'purged'; id: number; slug: string }

/** Runs inside the write transaction of the change: throwing rolls the change back. */
export type NoteWriteHook = (conn: Connection, event: NoteWriteEvent) => void

export interface PublicIndex {
  notes: Array<{ slug: string; updatedAt: string }>
  tags: Array<{ name: string; updatedAt: string }>
}

/** The notes service: everything about notes, and nothing about HTTP. */
export interface NotesService {
  create(input: NoteInput): Promise<Note>
  update(slug: string, patch: NotePatch): Promise<Note>
  get(slug: string, options?: { includeDrafts?: boolean; includeDeleted?: boolean }): Promise<Note | null>
  list(options: ListOptions): Promise<NoteList>
  /** Soft delete; restorable. */
  remove(slug: string): Promise<Note>
  restore(slug: string): Promise<Note>
  /** Remove a note for good. Only a note already in the trash (soft-deleted) can be purged. */
  purge(slug: string): Promise<void>
  /** Distinct tags in use on visible notes, with counts. */
  tags(options?: { includeDrafts?: boolean }): Promise<Array<{ name: string; display: string; count: number }>>
  /**
   * Every public permalink with its last change, newest first, and every tag of a public note with the last
   * change among its notes (the sitemap): two index-backed queries, no note bodies read.
   */
  publicIndex(limits: { notes: number; tags: number }): Promise<PublicIndex>
  /** Increments after every committed note write in this process: a cheap cache key for pages and feeds. */
  readonly version: number
  /** Register a hook that runs inside every note write transaction (search index sync). */
  onWrite(hook: NoteWriteHook): () => void
  /**
   * HTML from elsewhere (a Micropub `content.html`) cleaned with the notes allow-list, off the event loop.
   * NOTE_TOO_LARGE beyond STARPUNK_MAX_NOTE_BYTES.
   */
  sanitizeHtml(html: string): Promise<string>
  /**
   * Markdown rendered exactly as a saved note's (same thread, same allow-list), without saving anything:
   * the editor's preview. Empty text gives ''; NOTE_TOO_LARGE as for a note.
   */
  renderPreview(content: string): Promise<string>
}
