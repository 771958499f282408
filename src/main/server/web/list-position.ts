// Where a list page (home, tag, type) starts: `?page=N` (an offset, as links have always said), or a cursor
// on the newest-first order, `?before=<created>,<id>` (older than that note) or `?after=<created>,<id>` (the
// notes just newer than it). Cursor pages cost the same however deep they are; an offset reads every note it
// skips, so deep `?page=N` links are redirected to the matching cursor.
import { appError } from '../errors'
import { stringParam, wholeNumberParam } from '../http'
import type { ListCursor, ListOptions, Note } from '../notes'

export type ListPosition = { kind: 'page'; page: number } | { kind: 'before'; cursor: ListCursor } | { kind: 'after'; cursor: ListCursor }

const MAX_PAGE = 100_000
/** `?page=N` up to this is served by offset, as before; deeper pages redirect to a cursor. */
export const OFFSET_PAGE_LIMIT = 10

/** A creation time as stored (ISO 8601 in UTC) and a note id: one address per place, so caches agree. */
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z),(0|[1-9]\d{0,14})$/

function badCursor(name: string) {
  return appError('BAD_REQUEST', { vars: { detail: `${name} must be a note's time and id, as in the Newer and Older links (such as ${name}=2026-01-31T09:30:00.000Z,42).` } })
}

function parseCursor(name: 'before' | 'after', raw: string): ListCursor {
  const match = CURSOR.exec(raw)
  if (!match || Number.isNaN(Date.parse(match[1]!))) throw badCursor(name)
  return { createdAt: match[1]!, id: Number(match[2]) }
}

/** From the query string; an unreadable cursor, both cursors, or a cursor with `page` is a clear 400. */
export function parseListPosition(req: { query: Record<string, unknown> }): ListPosition {
  const before = stringParam(req, 'before')
  const after = stringParam(req, 'after')
  const hasPage = req.query.page !== undefined
  if (before !== undefined && after !== undefined) throw appError('BAD_REQUEST', { vars: { detail: 'Give before or after, not both.' } })
  const cursorName = before !== undefined ? 'before' : after !== undefined ? 'after' : null
  if (cursorName !== null) {
    if (hasPage) throw appError('BAD_REQUEST', { vars: { detail: `Give page or ${cursorName}, not both.` } })
    return { kind: cursorName, cursor: parseCursor(cursorName, (before ?? after)!) }
  }
  return { kind: 'page', page: wholeNumberParam(req, 'page', { fallback: 1, min: 1, max: MAX_PAGE }) }
}

export function formatCursor(cursor: ListCursor): string {
  return `${cursor.createdAt},${cursor.id}`
}

export function cursorOf(note: Pick<Note, 'createdAt' | 'id'>): ListCursor {
  return { createdAt: note.createdAt, id: note.id }
}

/** The page cache's key part for this position. */
export function positionKey(position: ListPosition): string {
  return position.kind === 'page' ? String(position.page) : `${position.kind}:${formatCursor(position.cursor)}`
}

/** The list query's options for this position (one page of `perPage`). */
export function positionQuery(position: ListPosition, perPage: number): Pick<ListOptions, 'offset' | 'before' | 'after'> {
  if (position.kind === 'page') return { offset: (position.page - 1) * perPage }
  return position.kind === 'before' ? { offset: 0, before: position.cursor } : { offset: 0, after: position.cursor }
}

function withQuery(basePath: string, query: string): string {
  return `${basePath}?${query}`
}

export function positionHref(basePath: string, position: ListPosition): string {
  if (position.kind === 'page') return position.page <= 1 ? basePath : withQuery(basePath, `page=${position.page}`)
  return withQuery(basePath, `${position.kind}=${encodeURIComponent(formatCursor(position.cursor)).replace(/%3A/gi, ':').replace(/%2C/gi, ',')}`)
}

/**
 * The page's own address and its Newer/Older links, as cursors: Older is "before the last note shown",
 * Newer "after the first note shown"; page 2 links back to the first page itself.
 */
export function pageLinks(basePath: string, position: ListPosition, notes: Note[], more: { older: boolean; newer: boolean }): { self: string; newer: string | null; older: string | null; numbered: boolean } {
  const first = notes[0]
  const last = notes[notes.length - 1]
  const older = more.older && last ? positionHref(basePath, { kind: 'before', cursor: cursorOf(last) }) : null
  let newer: string | null = null
  if (more.newer && first) newer = position.kind === 'page' && position.page === 2 ? basePath : positionHref(basePath, { kind: 'after', cursor: cursorOf(first) })
  return { self: positionHref(basePath, position), newer, older, numbered: position.kind === 'page' }
}
