import { randomBytes } from 'node:crypto'
import type { Connection, Db } from '../db'
import { appError, type AppError } from '../errors'
import type { Logger } from '../logging'
import { isOutboundError, type Outbound, type OutboundText } from '../outbound'
import { hostInDomain, moderationFor, moderationOnUpdate, normalizeDomain } from './moderation'
import { parseHtmlHere, readSource, type HtmlParse, type HtmlSanitizer } from './parse'
import type { MentionType, Moderation, ModerationPolicy, ParsedMention, RequestState, RequestStatus, StoredMention } from './types'

export interface ReceiverLimits {
  /** Requests waiting for verification at most; more answer 503 WEBMENTION_QUEUE_FULL. */
  maxQueued: number
  /** Requests accepted per source host within `hostWindowMs`; more answer 429. */
  perHostPerWindow: number
  hostWindowMs: number
  /** Largest source page read (bytes); a larger one is rejected. */
  maxSourceBytes: number
  /** Time for fetching one source, redirects included. */
  timeoutMs: number
  /** Redirects followed when fetching a source. */
  maxRedirects: number
  /** Queued requests for the same source verified from one fetch. */
  batchPerSource: number
  /** Finished requests (their status URLs) are kept this long, then pruned as new ones arrive. */
  statusRetentionMs: number
}

export const DEFAULT_RECEIVER_LIMITS: ReceiverLimits = {
  maxQueued: 1_000,
  perHostPerWindow: 30,
  hostWindowMs: 10 * 60_000,
  maxSourceBytes: 1024 * 1024,
  timeoutMs: 10_000,
  maxRedirects: 5,
  batchPerSource: 50,
  statusRetentionMs: 30 * 24 * 60 * 60_000,
}

/** The note a target URL is, when it is a published page of this site. */
export type TargetResolver = (url: string) => { noteId: number } | null | Promise<{ noteId: number } | null>

export type MentionChange = 'added' | 'updated' | 'removed'

export interface WebmentionReceiverDeps {
  db: Db
  outbound: Outbound
  logger: Logger
  resolveTarget: TargetResolver
  /** The notes' HTML policy (notes renderer `sanitize`). */
  sanitize: HtmlSanitizer
  /** mf2 + link scan of a source page: `createSourceParser().parse` (a thread); default on this thread. */
  parseHtml?: HtmlParse
  /** Read on every verification, so a changed setting applies at once. */
  moderationPolicy: () => ModerationPolicy
  /** A note's shown mentions changed: invalidate its cached page. */
  onChange?: (noteId: number) => void
  /** A mention was stored, updated or removed by verification (console events, admin badge). */
  onMention?: (mention: StoredMention, change: MentionChange) => void
  /** Origins never fetched as a source (this site's own addresses). */
  refuseOrigins?: () => readonly string[]
  /**
   * Copy an author's photo into our own media before the mention is stored (remote media), so the page
   * that shows it never points readers at another host. Its failure only means no photo.
   */
  localizePhoto?: (url: string) => Promise<unknown>
  now?: () => number
  limits?: Partial<ReceiverLimits>
}

export interface AcceptResult {
  /** For the status URL. */
  id: string
  state: RequestState
  /** False when the same source and target were already waiting: nothing new was queued. */
  queued: boolean
}

export interface MentionCounts {
  queued: number
  held: number
  approved: number
}

export interface ListOptions {
  moderation?: Moderation
  noteId?: number
  limit?: number
  offset?: number
}

export interface WebmentionReceiver {
  /** The synchronous checks of W3C Webmention §3.2.1; queues the request. Throws WEBMENTION_* catalog errors. */
  accept(input: { source?: unknown; target?: unknown }): Promise<AcceptResult>
  status(id: string): Promise<RequestStatus | null>
  /**
   * A Webmention between two pages of this site, verified at once from the page as this site renders it
   * (status 410 for a deleted note): no HTTP, no queue, no rate limit, and shown without moderation.
   */
  receiveLocal(input: { source: string; target: string; status: number; html: string }): Promise<RequestStatus>
  /** Verify the oldest queued source (every request waiting for it, from one fetch). False when none waits. */
  processNext(): Promise<boolean>
  /** Process until the queue is empty (tests, shutdown drains). */
  drain(): Promise<number>
  /** Verify in the background as requests arrive (and what a previous run left queued). */
  start(): void
  /** Stop the background loop; resolves when the verification in progress has finished. */
  stop(): Promise<void>
  /** Approved mentions of a note, oldest first (the note page); `includeHeld` for the admin. */
  forNote(noteId: number, options?: { includeHeld?: boolean }): Promise<StoredMention[]>
  list(options?: ListOptions): Promise<StoredMention[]>
  get(id: number): Promise<StoredMention | null>
  counts(): Promise<MentionCounts>
  approve(id: number): Promise<StoredMention | null>
  /** Delete a mention (reject or delete in the admin). A re-sent Webmention may bring it back, held or not by the policy. */
  remove(id: number): Promise<boolean>
  /** Block a domain: its mentions are removed, its queued requests rejected, and new ones refused at once. */
  blockDomain(domain: string): Promise<{ domain: string; removed: number }>
  unblockDomain(domain: string): Promise<boolean>
  blockedDomains(): Promise<string[]>
}

/** What a write changed, told to the listeners once it has committed. */
type Changes = Array<{ noteId: number; shown: boolean; mention: StoredMention; change: MentionChange }>

interface RequestRow {
  id: string
  source: string
  target: string
  source_host: string
  note_id: number
  state: RequestState
  reason: string | null
  created_at: number
  updated_at: number
}

export interface MentionRow {
  id: number
  note_id: number
  source: string
  target: string
  source_host: string
  type: MentionType
  moderation: Moderation
  url: string
  author_name: string | null
  author_photo: string | null
  author_url: string | null
  content_html: string | null
  content_text: string | null
  rsvp: string | null
  published: string | null
  created_at: number
  updated_at: number
}

const iso = (ms: number) => new Date(ms).toISOString()

function toMention(row: MentionRow): StoredMention {
  return {
    id: row.id,
    noteId: row.note_id,
    source: row.source,
    target: row.target,
    sourceHost: row.source_host,
    type: row.type,
    moderation: row.moderation,
    url: row.url,
    author: { name: row.author_name, photo: row.author_photo, url: row.author_url },
    contentHtml: row.content_html,
    contentText: row.content_text,
    rsvp: row.rsvp,
    published: row.published,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  }
}

function toStatus(row: RequestRow): RequestStatus {
  return { id: row.id, source: row.source, target: row.target, state: row.state, reason: row.reason, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) }
}

const MAX_URL_LENGTH = 2_048

function invalid(detail: string): AppError {
  return appError('WEBMENTION_INVALID', { vars: { detail } })
}

function parseField(value: unknown, name: 'source' | 'target'): URL {
  if (Array.isArray(value)) throw invalid(`${name} is given more than once.`)
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`${name} is missing.`)
  if (value.length > MAX_URL_LENGTH) throw invalid(`${name} is longer than ${MAX_URL_LENGTH} characters.`)
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw invalid(`${name} is not a URL.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`${name} must be an http or https URL.`)
  if (url.username || url.password) throw invalid(`${name} must not carry a user name or password.`)
  return url
}

function withoutFragment(url: URL): string {
  const copy = new URL(url.href)
  copy.hash = ''
  return copy.href
}

/** The outcome of verifying one request against one fetched source. */
type Verdict =
  | { kind: 'reject'; reason: string; removeStored: boolean }
  | { kind: 'store'; mention: ParsedMention; noteId: number }

export function createWebmentionReceiver(deps: WebmentionReceiverDeps): WebmentionReceiver {
  const { db, outbound, logger } = deps
  const limits: ReceiverLimits = { ...DEFAULT_RECEIVER_LIMITS, ...deps.limits }
  const now = deps.now ?? Date.now
  let running = false
  let loop: Promise<void> | null = null
  let wakeUp: (() => void) | null = null
  let woken = false

  function blockedIn(conn: Connection, host: string): string | null {
    const domains = conn.prepare('SELECT domain FROM webmention_blocked_domains').pluck().all() as string[]
    return domains.find((domain) => hostInDomain(host, domain)) ?? null
  }

  function setState(conn: Connection, id: string, state: RequestState, reason: string | null): void {
    conn.prepare('UPDATE webmention_requests SET state = ?, reason = ?, updated_at = ? WHERE id = ?').run(state, reason, now(), id)
  }

  function mentionRow(conn: Connection, source: string, target: string): MentionRow | undefined {
    return conn.prepare('SELECT * FROM webmentions WHERE source = ? AND target = ?').get(source, target) as MentionRow | undefined
  }

  function notify(changed: Changes): void {
    for (const { noteId, shown, mention, change } of changed) {
      try {
        if (shown) deps.onChange?.(noteId)
        deps.onMention?.(mention, change)
      } catch (err) {
        logger.error('webmention change listener failed', { err })
      }
    }
  }

  function removeStored(conn: Connection, changed: Changes, source: string, target: string): void {
    const row = mentionRow(conn, source, target)
    if (!row) return
    conn.prepare('DELETE FROM webmentions WHERE id = ?').run(row.id)
    changed.push({ noteId: row.note_id, shown: row.moderation === 'approved', mention: toMention(row), change: 'removed' })
  }

  function store(conn: Connection, changed: Changes, request: RequestRow, noteId: number, mention: ParsedMention, policy: ModerationPolicy): Moderation {
    const previous = mentionRow(conn, request.source, request.target)
    const moderation = previous ? moderationOnUpdate(policy, previous, mention.type) : moderationFor(policy, mention.type)
    const at = now()
    const values = {
      note_id: noteId,
      source: request.source,
      target: request.target,
      source_host: request.source_host,
      type: mention.type,
      moderation,
      url: mention.url,
      author_name: mention.author.name,
      author_photo: mention.author.photo,
      author_url: mention.author.url,
      content_html: mention.contentHtml,
      content_text: mention.contentText,
      rsvp: mention.rsvp,
      published: mention.published,
      at,
    }
    conn
      .prepare(
        `INSERT INTO webmentions (note_id, source, target, source_host, type, moderation, url, author_name, author_photo, author_url,
           content_html, content_text, rsvp, published, created_at, updated_at)
         VALUES (@note_id, @source, @target, @source_host, @type, @moderation, @url, @author_name, @author_photo, @author_url,
           @content_html, @content_text, @rsvp, @published, @at, @at)
         ON CONFLICT (source, target) DO UPDATE SET note_id = excluded.note_id, type = excluded.type, moderation = excluded.moderation,
           url = excluded.url, author_name = excluded.author_name, author_photo = excluded.author_photo, author_url = excluded.author_url,
           content_html = excluded.content_html, content_text = excluded.content_text, rsvp = excluded.rsvp,
           published = excluded.published, updated_at = excluded.updated_at`,
      )
      .run(values)
    const row = mentionRow(conn, request.source, request.target)
    if (row) {
      const shown = moderation === 'approved' || previous?.moderation === 'approved'
      changed.push({ noteId, shown, mention: toMention(row), change: previous ? 'updated' : 'added' })
    }
    return moderation
  }

  async function fetchSource(source: string): Promise<{ page: OutboundText } | { error: string }> {
    try {
      const page = await outbound.fetchText(source, {
        maxBodyBytes: limits.maxSourceBytes,
        timeoutMs: limits.timeoutMs,
        maxRedirects: limits.maxRedirects,
        refuseOrigins: deps.refuseOrigins?.(),
        headers: { accept: 'text/html,application/xhtml+xml;q=0.9,text/*;q=0.5,*/*;q=0.1' },
        purpose: 'the Webmention source',
      })
      return { page }
    } catch (err) {
      if (isOutboundError(err)) return { error: `The source could not be fetched: ${err.detail}` }
      logger.warn('webmention source fetch failed', { err })
      return { error: 'The source could not be fetched.' }
    }
  }

  async function verdictFor(request: RequestRow, fetched: { page: OutboundText } | { error: string }): Promise<Verdict> {
    if ('error' in fetched) return { kind: 'reject', reason: fetched.error, removeStored: false }
    const { page } = fetched
    if (page.status === 410) return { kind: 'reject', reason: 'The source answers 410 Gone: the mention was removed.', removeStored: true }
    if (page.status < 200 || page.status >= 300) return { kind: 'reject', reason: `The source answered HTTP ${page.status}.`, removeStored: false }
    const finalHost = new URL(page.url).hostname.toLowerCase()
    const blocked = blockedIn(db.writer, finalHost)
    if (blocked) return { kind: 'reject', reason: `Webmentions from ${blocked} are not accepted here.`, removeStored: true }
    const resolved = await deps.resolveTarget(request.target)
    if (!resolved) return { kind: 'reject', reason: 'The target is no longer a published page of this site.', removeStored: true }
    const read = await readSource(page.text, page.headers.get('content-type'), page.url, request.target, deps.sanitize, deps.parseHtml ?? parseHtmlHere)
    if (!read.mention) return { kind: 'reject', reason: 'The source does not link to the target.', removeStored: true }
    return { kind: 'store', mention: read.mention, noteId: resolved.noteId }
  }

  /** Write the outcomes in one transaction, then tell the listeners. */
  async function apply(verdicts: Array<{ request: RequestRow; verdict: Verdict }>, policy: ModerationPolicy): Promise<void> {
    const changed: Changes = []
    await db.write((conn) => {
      for (const { request, verdict } of verdicts) {
        const current = conn.prepare('SELECT state FROM webmention_requests WHERE id = ?').pluck().get(request.id)
        if (current !== 'queued') continue // rejected meanwhile (a domain block)
        if (verdict.kind === 'reject') {
          if (verdict.removeStored) removeStored(conn, changed, request.source, request.target)
          setState(conn, request.id, 'rejected', verdict.reason)
        } else {
          const moderation = store(conn, changed, request, verdict.noteId, verdict.mention, policy)
          const shown = moderation === 'approved' ? 'shown on the note' : 'held for the author’s approval'
          setState(conn, request.id, 'verified', `Verified as a ${verdict.mention.type}; ${shown}.`)
        }
      }
    })
    notify(changed)
    for (const { request, verdict } of verdicts) {
      logger.info('webmention verified', { requestId: request.id, sourceHost: request.source_host, outcome: verdict.kind === 'store' ? verdict.mention.type : 'rejected' })
    }
  }

  function insertRequest(conn: Connection, source: string, target: string, host: string, noteId: number, at: number): string {
    const id = randomBytes(18).toString('base64url')
    conn
      .prepare("INSERT INTO webmention_requests (id, source, target, source_host, note_id, state, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', NULL, ?, ?)")
      .run(id, source, target, host, noteId, at, at)
    return id
  }

  let inFlight: Promise<boolean> | null = null

  /** One verification at a time (the loop and a drain may both ask): two would fetch the same source twice. */
  function processNext(): Promise<boolean> {
    if (inFlight) return inFlight.then(() => processNext())
    const run = verifyNext().finally(() => {
      inFlight = null
    })
    inFlight = run
    return run
  }

  async function verifyNext(): Promise<boolean> {
    const first = db.writer.prepare("SELECT * FROM webmention_requests WHERE state = 'queued' ORDER BY created_at, rowid LIMIT 1").get() as RequestRow | undefined
    if (!first) return false
    const batch = db.writer
      .prepare("SELECT * FROM webmention_requests WHERE state = 'queued' AND source = ? ORDER BY created_at, rowid LIMIT ?")
      .all(first.source, limits.batchPerSource) as RequestRow[]
    // One fetch for every request waiting on this source: a source naming many targets costs one request.
    const fetched = await fetchSource(first.source)
    const verdicts: Array<{ request: RequestRow; verdict: Verdict }> = []
    for (const request of batch) {
      try {
        verdicts.push({ request, verdict: await verdictFor(request, fetched) })
      } catch (err) {
        logger.error('webmention verification failed', { err, requestId: request.id })
        verdicts.push({ request, verdict: { kind: 'reject', reason: 'The source could not be read.', removeStored: false } })
      }
    }
    await localizePhotos(verdicts)
    await apply(verdicts, deps.moderationPolicy())
    return true
  }

  /** Each distinct author photo once (several targets of one source share their author). */
  async function localizePhotos(verdicts: Array<{ verdict: Verdict }>): Promise<void> {
    if (!deps.localizePhoto) return
    const photos = new Set<string>()
    for (const { verdict } of verdicts) if (verdict.kind === 'store' && verdict.mention.author.photo) photos.add(verdict.mention.author.photo)
    for (const photo of photos) {
      try {
        await deps.localizePhoto(photo)
      } catch (err) {
        logger.warn('mention author photo not copied', { err })
      }
    }
  }

  async function drain(): Promise<number> {
    let n = 0
    while (await processNext()) n++
    return n
  }

  async function runLoop(): Promise<void> {
    while (running) {
      woken = false
      let worked: boolean
      try {
        worked = await processNext()
      } catch (err) {
        logger.error('webmention queue failed; retrying shortly', { err })
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref())
        continue
      }
      // A request that arrived while this one was verified set `woken`: look again instead of sleeping.
      if (!worked && running && !woken) {
        await new Promise<void>((resolve) => {
          wakeUp = resolve
        })
        wakeUp = null
      }
    }
  }

  function wake(): void {
    woken = true
    wakeUp?.()
  }

  function queuedCount(conn: Connection): number {
    return conn.prepare("SELECT count(*) FROM webmention_requests WHERE state = 'queued'").pluck().get() as number
  }

  return {
    async accept(input) {
      const sourceUrl = parseField(input.source, 'source')
      const targetUrl = parseField(input.target, 'target')
      // Without fragments: a page is one page whichever part of it is linked, so a re-send finds its row.
      const source = withoutFragment(sourceUrl)
      const target = withoutFragment(targetUrl)
      if (source === target) throw invalid('source and target are the same URL.')
      const resolved = await deps.resolveTarget(target)
      if (!resolved) throw invalid('the target is not a published page of this site.')
      const host = sourceUrl.hostname.toLowerCase()
      const at = now()
      const result = await db.write((conn): AcceptResult => {
        // A little pruning with every request keeps the table bounded without a timer of its own.
        conn
          .prepare("DELETE FROM webmention_requests WHERE rowid IN (SELECT rowid FROM webmention_requests WHERE state IN ('verified', 'rejected') AND created_at < ? LIMIT 100)")
          .run(at - limits.statusRetentionMs)
        const blocked = blockedIn(conn, host)
        if (blocked) throw appError('WEBMENTION_BLOCKED', { vars: { domain: blocked } })
        const waiting = conn.prepare("SELECT id FROM webmention_requests WHERE source = ? AND target = ? AND state = 'queued'").pluck().get(source, target) as string | undefined
        if (waiting) return { id: waiting, state: 'queued', queued: false }
        const recent = conn.prepare('SELECT count(*) FROM webmention_requests WHERE source_host = ? AND created_at > ?').pluck().get(host, at - limits.hostWindowMs) as number
        if (recent >= limits.perHostPerWindow) {
          const oldest = conn.prepare('SELECT min(created_at) FROM webmention_requests WHERE source_host = ? AND created_at > ?').pluck().get(host, at - limits.hostWindowMs) as number
          const seconds = Math.max(1, Math.ceil((oldest + limits.hostWindowMs - at) / 1000))
          throw appError('WEBMENTION_RATE_LIMITED', { vars: { host, seconds }, headers: { 'Retry-After': String(seconds) } })
        }
        if (queuedCount(conn) >= limits.maxQueued) throw appError('WEBMENTION_QUEUE_FULL', { headers: { 'Retry-After': '60' } })
        return { id: insertRequest(conn, source, target, host, resolved.noteId, at), state: 'queued', queued: true }
      })
      if (result.queued) wake()
      return result
    },

    async status(id) {
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null
      const row = await db.get<RequestRow>('SELECT * FROM webmention_requests WHERE id = ?', [id])
      return row ? toStatus(row) : null
    },

    async receiveLocal(input) {
      const source = withoutFragment(parseField(input.source, 'source'))
      const target = withoutFragment(parseField(input.target, 'target'))
      if (source === target) throw invalid('source and target are the same URL.')
      const resolved = await deps.resolveTarget(target)
      if (!resolved) throw invalid('the target is not a published page of this site.')
      const host = new URL(source).hostname.toLowerCase()
      const id = await db.write((conn) => insertRequest(conn, source, target, host, resolved.noteId, now()))
      const request = db.writer.prepare('SELECT * FROM webmention_requests WHERE id = ?').get(id) as RequestRow
      const page: OutboundText = { status: input.status, url: source, headers: new Headers({ 'content-type': 'text/html; charset=utf-8' }), redirects: [], text: input.html }
      let verdict: Verdict
      try {
        verdict = await verdictFor(request, { page })
      } catch (err) {
        logger.error('webmention verification failed', { err, requestId: id })
        verdict = { kind: 'reject', reason: 'The source could not be read.', removeStored: false }
      }
      // The author wrote both sides: nothing to moderate.
      await apply([{ request, verdict }], 'approve-all')
      return toStatus(db.writer.prepare('SELECT * FROM webmention_requests WHERE id = ?').get(id) as RequestRow)
    },

    processNext,
    drain,

    start() {
      if (running) return
      running = true
      loop = runLoop()
    },

    async stop() {
      running = false
      wake()
      await loop
      loop = null
    },

    async forNote(noteId, options = {}) {
      const rows = await db.all<MentionRow>(
        `SELECT * FROM webmentions WHERE note_id = ? ${options.includeHeld ? '' : "AND moderation = 'approved'"} ORDER BY coalesce(published, '') = '', published, created_at, id`,
        [noteId],
      )
      return rows.map(toMention)
    },

    async list(options = {}) {
      const where: string[] = []
      const params: unknown[] = []
      if (options.moderation) {
        where.push('moderation = ?')
        params.push(options.moderation)
      }
      if (options.noteId !== undefined) {
        where.push('note_id = ?')
        params.push(options.noteId)
      }
      const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 50)), 500)
      const offset = Math.max(0, Math.floor(options.offset ?? 0))
      const rows = await db.all<MentionRow>(
        `SELECT * FROM webmentions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
        [...params, limit, offset],
      )
      return rows.map(toMention)
    },

    async get(id) {
      const row = await db.get<MentionRow>('SELECT * FROM webmentions WHERE id = ?', [id])
      return row ? toMention(row) : null
    },

    async counts() {
      const row = await db.get<MentionCounts>(
        `SELECT (SELECT count(*) FROM webmention_requests WHERE state = 'queued') AS queued,
                (SELECT count(*) FROM webmentions WHERE moderation = 'held') AS held,
                (SELECT count(*) FROM webmentions WHERE moderation = 'approved') AS approved`,
      )
      return row ?? { queued: 0, held: 0, approved: 0 }
    },

    async approve(id) {
      const row = await db.write((conn) => {
        const updated = conn.prepare("UPDATE webmentions SET moderation = 'approved', updated_at = ? WHERE id = ? AND moderation <> 'approved'").run(now(), id)
        const current = conn.prepare('SELECT * FROM webmentions WHERE id = ?').get(id) as MentionRow | undefined
        return current ? { current, changed: updated.changes > 0 } : null
      })
      if (!row) return null
      if (row.changed) deps.onChange?.(row.current.note_id)
      return toMention(row.current)
    },

    async remove(id) {
      const row = await db.write((conn) => {
        const current = conn.prepare('SELECT * FROM webmentions WHERE id = ?').get(id) as MentionRow | undefined
        if (current) conn.prepare('DELETE FROM webmentions WHERE id = ?').run(id)
        return current
      })
      if (!row) return false
      if (row.moderation === 'approved') deps.onChange?.(row.note_id)
      return true
    },

    async blockDomain(input) {
      const domain = normalizeDomain(input)
      if (!domain) throw invalid('the domain to block is not a host name.')
      const changed: Changes = []
      const removed = await db.write((conn) => {
        conn.prepare('INSERT INTO webmention_blocked_domains (domain, created_at) VALUES (?, ?) ON CONFLICT (domain) DO NOTHING').run(domain, now())
        const rows = (conn.prepare('SELECT * FROM webmentions').all() as MentionRow[]).filter((row) => hostInDomain(row.source_host, domain))
        for (const row of rows) {
          conn.prepare('DELETE FROM webmentions WHERE id = ?').run(row.id)
          changed.push({ noteId: row.note_id, shown: row.moderation === 'approved', mention: toMention(row), change: 'removed' })
        }
        const queued = (conn.prepare("SELECT id, source_host FROM webmention_requests WHERE state = 'queued'").all() as Array<{ id: string; source_host: string }>).filter((r) =>
          hostInDomain(r.source_host, domain),
        )
        for (const request of queued) setState(conn, request.id, 'rejected', `Webmentions from ${domain} are not accepted here.`)
        return rows.length
      })
      notify(changed)
      return { domain, removed }
    },

    async unblockDomain(input) {
      const domain = normalizeDomain(input)
      if (!domain) return false
      return db.write((conn) => conn.prepare('DELETE FROM webmention_blocked_domains WHERE domain = ?').run(domain).changes > 0)
    },

    async blockedDomains() {
      const rows = await db.all<{ domain: string }>('SELECT domain FROM webmention_blocked_domains ORDER BY domain')
      return rows.map((row) => row.domain)
    },
  }
}
