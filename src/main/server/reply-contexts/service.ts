import type { Db } from '../db'
import type { Logger } from '../logging'
import { isHttpUrl } from '../notes'
import { isOutboundError, type Outbound } from '../outbound'
import type { RemoteMediaService } from '../remote-media'
import type { mf2 } from 'microformats-parser'
import { contextFields, type ContextFields } from './parse'
import type { ReplyContext, ReplyContextsService } from './types'

/** A page's mf2, parsed off the event loop (the Webmention parse thread's `parse` fits). */
export type HtmlParse = (html: string, pageUrl: string, target: string) => Promise<{ doc: ReturnType<typeof mf2> }>

export interface ReplyContextsDeps {
  db: Db
  outbound: Outbound
  logger: Logger
  /** mf2 of a fetched page, off the event loop (the parse thread); closed with the service. */
  parser: { parse: HtmlParse; close(): Promise<void> }
  /** Origins never fetched (this site: its own pages are not fetched over HTTP). */
  refuseOrigins?: () => readonly string[]
  /** Copies the authors' photos into our own media (pages never hotlink them); absent: no photos shown. */
  remoteMedia?: Pick<RemoteMediaService, 'localize'>
  /** Injectable clock (ms). */
  now?: () => number
  /** A stored context is fetched again after this long (default 30 days). */
  refreshAfterMs?: number
  /** A failed fetch is tried again after this long (default 1 day). */
  retryAfterMs?: number
  /** Largest page read (default 1 MiB) and time allowed (default 10 s). */
  maxBodyBytes?: number
  timeoutMs?: number
}

/** More URLs than this waiting are not queued (asked again on the next write or page build). */
const MAX_QUEUE = 200
const DAY_MS = 24 * 60 * 60 * 1000

interface Row {
  url: string
  state: 'ok' | 'failed'
  title: string | null
  text: string | null
  author_name: string | null
  author_url: string | null
  author_photo: string | null
  published: string | null
  fetched_at: number
}

function toContext(row: Row): ReplyContext {
  return {
    url: row.url,
    title: row.title,
    text: row.text,
    authorName: row.author_name,
    authorUrl: row.author_url,
    authorPhoto: row.author_photo,
    published: row.published,
    fetchedAt: new Date(row.fetched_at).toISOString(),
  }
}

/**
 * Fetches the posts our responses point at, one at a time in the background, through the one bounded
 * outbound fetch; keeps what they say (mf2 first, then `<title>` and OpenGraph) in `reply_contexts`.
 */
export function createReplyContexts(deps: ReplyContextsDeps): ReplyContextsService {
  const { db, outbound } = deps
  const parse = deps.parser.parse
  const log = deps.logger
  const now = deps.now ?? Date.now
  const refreshAfterMs = deps.refreshAfterMs ?? 30 * DAY_MS
  const retryAfterMs = deps.retryAfterMs ?? DAY_MS
  const queue: string[] = []
  const queued = new Set<string>()
  let running: Promise<void> | null = null
  let closed = false
  let version = 0

  function due(url: string): boolean {
    const row = db.writer.prepare('SELECT state, fetched_at FROM reply_contexts WHERE url = ?').get(url) as Pick<Row, 'state' | 'fetched_at'> | undefined
    if (!row) return true
    return now() - row.fetched_at >= (row.state === 'ok' ? refreshAfterMs : retryAfterMs)
  }

  function store(url: string, fields: ContextFields | null, finalUrl: string | null, reason: string | null): void {
    db.writer
      .prepare(
        `INSERT INTO reply_contexts (url, state, title, text, author_name, author_url, author_photo, published, final_url, reason, fetched_at)
         VALUES (@url, @state, @title, @text, @authorName, @authorUrl, @authorPhoto, @published, @finalUrl, @reason, @fetchedAt)
         ON CONFLICT(url) DO UPDATE SET state = excluded.state, title = excluded.title, text = excluded.text,
           author_name = excluded.author_name, author_url = excluded.author_url, author_photo = excluded.author_photo,
           published = excluded.published, final_url = excluded.final_url, reason = excluded.reason, fetched_at = excluded.fetched_at`,
      )
      .run({
        url,
        state: fields ? 'ok' : 'failed',
        title: fields?.title ?? null,
        text: fields?.text ?? null,
        authorName: fields?.authorName ?? null,
        authorUrl: fields?.authorUrl ?? null,
        authorPhoto: fields?.authorPhoto ?? null,
        published: fields?.published ?? null,
        finalUrl,
        reason,
        fetchedAt: now(),
      })
  }

  async function fetchOne(url: string): Promise<void> {
    let fields: ContextFields | null = null
    let finalUrl: string | null = null
    let reason: string | null = null
    try {
      const page = await outbound.fetchText(url, {
        timeoutMs: deps.timeoutMs ?? 10_000,
        maxBodyBytes: deps.maxBodyBytes ?? 1024 * 1024,
        maxRedirects: 5,
        headers: { accept: 'text/html, application/xhtml+xml;q=0.9, */*;q=0.1' },
        purpose: 'the post this note responds to',
        ...(deps.refuseOrigins ? { refuseOrigins: deps.refuseOrigins() } : {}),
      })
      finalUrl = page.url
      const type = (page.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
      if (page.status < 200 || page.status >= 300) reason = `answered ${page.status}`
      else if (type !== 'text/html' && type !== 'application/xhtml+xml') reason = `not an HTML page (${type.slice(0, 60) || 'no type'})`
      else {
        let doc: Awaited<ReturnType<HtmlParse>>['doc'] | null = null
        try {
          doc = (await parse(page.text, page.url, url)).doc
        } catch (err) {
          log.warn('reply context: the page could not be parsed for microformats', { url, err })
        }
        fields = contextFields(doc, page.text, [page.url, url])
      }
    } catch (err) {
      if (!isOutboundError(err)) log.warn('reply context fetch failed', { url, err })
      reason = isOutboundError(err) ? err.reason : 'failed'
    }
    if (closed) return
    // A failure never replaces a context that was fetched before: the old one is still better than a bare link.
    const previous = db.writer.prepare('SELECT state FROM reply_contexts WHERE url = ?').get(url) as { state: string } | undefined
    if (!fields && previous?.state === 'ok') {
      db.writer.prepare('UPDATE reply_contexts SET fetched_at = ?, reason = ? WHERE url = ?').run(now(), reason, url)
      return
    }
    // The author's photo becomes our own copy before the context is shown (a failure: no photo, nothing else lost).
    if (fields?.authorPhoto && deps.remoteMedia) await deps.remoteMedia.localize(fields.authorPhoto)
    if (closed) return
    store(url, fields, finalUrl, reason)
    if (fields) {
      version++
      log.info('reply context stored', { url })
    } else {
      log.info('reply context not available', { url, reason })
    }
  }

  async function drain(): Promise<void> {
    while (!closed && queue.length > 0) {
      const url = queue.shift()!
      try {
        await fetchOne(url)
      } catch (err) {
        // A database failure (closing, locked): the link stays plain; asked again on the next request.
        log.warn('reply context could not be stored', { url, err })
      } finally {
        queued.delete(url)
      }
    }
  }

  function kick(): void {
    if (running || closed) return
    running = drain().finally(() => {
      running = null
      if (queue.length > 0) kick()
    })
  }

  return {
    get version() {
      return version
    },

    async get(urls) {
      const wanted = [...new Set(urls)].filter(isHttpUrl).slice(0, 100)
      if (wanted.length === 0) return new Map()
      const rows = await db.all<Row>(`SELECT * FROM reply_contexts WHERE state = 'ok' AND url IN (${wanted.map(() => '?').join(',')})`, wanted)
      return new Map(rows.map((row) => [row.url, toContext(row)]))
    },

    request(urls) {
      if (closed || !outbound.enabled) return
      for (const url of urls) {
        if (queued.has(url) || queue.length >= MAX_QUEUE || !isHttpUrl(url)) continue
        try {
          if (!due(url)) continue
        } catch {
          continue
        }
        queued.add(url)
        queue.push(url)
      }
      kick()
    },

    async idle() {
      while (running) await running
    },

    async close() {
      closed = true
      queue.length = 0
      await running
      await deps.parser.close()
    },
  }
}
