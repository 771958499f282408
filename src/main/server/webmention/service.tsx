import type { ReactNode } from 'react'
import type { Connection, Db } from '../db'
import { AppError } from '../errors'
import type { Logger } from '../logging'
import type { Note, NotesService, NoteWriteEvent } from '../notes'
import type { Outbound } from '../outbound'
import { Responses, type AvatarLookup } from './display'
import { noteLinks } from './links'
import { createSourceParser, type SourceParser } from './parse-worker'
import { createWebmentionReceiver, type MentionChange, type WebmentionReceiver } from './receiver'
import { createWebmentionSender, type WebmentionSender } from './sender'
import type { ModerationPolicy, StoredMention } from './types'

/** The property of our own that turns sending off for one post (admin checkbox, Micropub). */
export const SEND_WEBMENTIONS_PROPERTY = 'starpunk-send-webmentions'

/** Whether a note's properties allow sending (absent: yes; "false", "no", "off", "0" or false: no). */
export function sendsWebmentions(properties: Record<string, unknown[] | undefined>): boolean {
  const value = properties[SEND_WEBMENTIONS_PROPERTY]?.[0]
  if (value === undefined) return true
  if (value === false) return false
  if (typeof value !== 'string') return true
  return !['false', 'no', 'off', '0'].includes(value.trim().toLowerCase())
}

/** A note's permalink on a site (the source of its Webmentions). */
export function permalinkOf(siteBase: string, slug: string): string {
  return `${siteBase}/notes/${encodeURIComponent(slug)}`
}

/**
 * The outbox change one note write makes, inside that write's transaction: a published note tells what it
 * links to now and what its previous version linked to; a note that leaves (deleted, back to draft) tells
 * what it linked to, so receivers fetch it (410, or no link) and drop their copy. Also used by the import
 * CLI when asked to send (the running server then finds the entries).
 */
export function outboxHook(sender: Pick<WebmentionSender, 'enqueueInTransaction'>, siteBase: () => string, onQueued?: () => void) {
  return (conn: Connection, event: NoteWriteEvent): void => {
    if (event.type === 'purged') return
    const { note } = event
    if (!sendsWebmentions(note.properties)) return
    const source = permalinkOf(siteBase(), note.slug)
    const live = note.published && note.deletedAt === null
    const links = live ? noteLinks(note.html, note.properties, source) : []
    const queued = sender.enqueueInTransaction(conn, note.id, source, links)
    if (queued > 0) onQueued?.()
  }
}

export interface WebmentionServiceDeps {
  db: Db
  notes: NotesService
  outbound: Outbound
  logger: Logger
  siteBase: () => string
  /** Every origin this server answers on (never fetched as a source or a target). */
  ownOrigins: () => readonly string[]
  moderationPolicy: () => ModerationPolicy
  /** Our own note page as a visitor gets it, for mentions between our own posts (no HTTP): null when no note. */
  renderOwnPage: (slug: string) => Promise<{ status: number; html: string } | null>
  /** Copy an author photo into our media (remote media); `known` answers without fetching, for rendering. */
  avatars?: { localize(url: string): Promise<unknown>; known(urls: readonly string[]): Promise<AvatarLookup> }
  /** A note's shown responses changed: drop its cached page. */
  onPageChanged: (slug: string) => void
  /** A mention was stored, updated or removed by verification (console event). */
  onMention?: (mention: StoredMention, change: MentionChange, slug: string | null) => void
  /** Awaited before each send for a note (a static mirror publishing first). Default: none. */
  beforeSend?: (noteId: number) => Promise<void>
}

export interface WebmentionService {
  readonly receiver: WebmentionReceiver
  readonly sender: WebmentionSender
  /** The responses shown under a note (approved mentions), or null when it has none. */
  responsesFor(note: Note): Promise<ReactNode>
  /** Start verifying and sending in the background (and what a previous run left). */
  start(): void
  /** Stop both loops (the verification and the send in progress finish), then the parse thread. */
  close(): Promise<void>
}

/** The note a URL of this site names (`<site>/notes/<slug>`), or null. */
export function slugOfUrl(siteBase: string, url: string): string | null {
  let parsed: URL
  let base: URL
  try {
    parsed = new URL(url)
    base = new URL(`${siteBase}/`)
  } catch {
    return null
  }
  if (parsed.origin !== base.origin || parsed.search) return null
  const prefix = `${base.pathname.replace(/\/$/, '')}/notes/`
  if (!parsed.pathname.startsWith(prefix)) return null
  const rest = parsed.pathname.slice(prefix.length)
  if (!rest || rest.includes('/')) return null
  try {
    return decodeURIComponent(rest)
  } catch {
    return null
  }
}

/**
 * Webmention wired to this blog: targets are our published notes, sources of our own are read from our own
 * pages without HTTP, author photos become our media, a shown change drops the note's cached page, and
 * every note write updates the outbox in its own transaction.
 */
export function createWebmentionService(deps: WebmentionServiceDeps): WebmentionService {
  const { db, notes, logger } = deps
  const parser: SourceParser = createSourceParser({ logger: logger.child({ component: 'webmention-parse' }) })
  const slugById = async (noteId: number): Promise<string | null> => (await db.get<{ slug: string }>('SELECT slug FROM notes WHERE id = ?', [noteId]))?.slug ?? null

  const receiver = createWebmentionReceiver({
    db,
    outbound: deps.outbound,
    logger: logger.child({ component: 'webmention' }),
    resolveTarget: async (target) => {
      const slug = slugOfUrl(deps.siteBase(), target)
      if (slug === null) return null
      const note = await notes.get(slug)
      return note ? { noteId: note.id } : null
    },
    sanitize: (html) => notes.sanitizeHtml(html),
    parseHtml: parser.parse,
    moderationPolicy: deps.moderationPolicy,
    refuseOrigins: deps.ownOrigins,
    ...(deps.avatars ? { localizePhoto: (url: string) => deps.avatars!.localize(url) } : {}),
    // At once (the writer's own connection, one indexed read): the next request must not get the old page.
    onChange: (noteId) => {
      const slug = db.writer.prepare('SELECT slug FROM notes WHERE id = ?').pluck().get(noteId)
      if (typeof slug === 'string') deps.onPageChanged(slug)
    },
    onMention: (mention, change) => {
      if (!deps.onMention) return
      void slugById(mention.noteId).then((slug) => deps.onMention?.(mention, change, slug))
    },
  })

  const sender = createWebmentionSender({
    db,
    outbound: deps.outbound,
    logger: logger.child({ component: 'webmention-send' }),
    noteUrl: async (noteId) => {
      const slug = await slugById(noteId)
      return slug === null ? null : permalinkOf(deps.siteBase(), slug)
    },
    refuseOrigins: deps.ownOrigins,
    ...(deps.beforeSend ? { beforeSend: deps.beforeSend } : {}),
    // A post of ours mentioning another post of ours: recorded from our own page, no HTTP.
    deliverLocally: async (source, target) => {
      const base = deps.siteBase()
      if (!deps.ownOrigins().some((origin) => new URL(target).origin === new URL(origin).origin)) return false
      const sourceSlug = slugOfUrl(base, source)
      const page = sourceSlug === null ? null : await deps.renderOwnPage(sourceSlug)
      if (!page) return true
      try {
        await receiver.receiveLocal({ source, target, status: page.status, html: page.html })
      } catch (err) {
        // A link to a page of ours that is no note (the home page, a tag): nothing to record.
        if (!(err instanceof AppError && err.kind === 'user')) throw err
      }
      return true
    },
  })

  const unhook = notes.onWrite(outboxHook(sender, deps.siteBase, () => setImmediate(() => sender.kick())))

  return {
    receiver,
    sender,
    async responsesFor(note) {
      const mentions = await receiver.forNote(note.id)
      if (mentions.length === 0) return null
      const photos = mentions.flatMap((m) => (m.author.photo ? [m.author.photo] : []))
      const avatars: AvatarLookup = deps.avatars && photos.length > 0 ? await deps.avatars.known(photos) : new Map()
      return <Responses mentions={mentions} avatars={avatars} />
    },
    start() {
      receiver.start()
      sender.start()
    },
    async close() {
      unhook()
      await receiver.stop()
      await sender.stop()
      await parser.close()
    },
  }
}
