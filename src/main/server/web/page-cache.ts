import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Request, Response } from 'express'
import type { Config } from '../config'
import type { Db } from '../db'
import { appError } from '../errors'
import { chooseCoding, compressBody, type ChosenCoding, type Coding } from '../http'
import { changeKey, changeKeyThisTurn } from '../notes/change-key'

/** One body in one content coding, with the ETag of that representation. */
export interface EncodedBody {
  body: Buffer
  etag: string
}

export interface CachedBody {
  /** The body as built (identity coding). */
  body: Buffer
  etag: string
  /** The same body compressed once, when it was cached: only the codings worth sending (often none). */
  encoded: Partial<Record<Coding, EncodedBody>>
}

/** What the cache tells whoever watches visitor responses (the fast path in front of Express). */
export type ServedListener = (req: Request, res: Response, cache: PageCache, key: string, entry: CachedBody) => void

export interface PageCacheOptions {
  db: Db
  /** What the cached content derives from: its version counts this process's writes to it. */
  source: { readonly version: number }
  /** Most entries kept for one version (query-string variants are bounded by this). */
  maxEntries?: number
  /** Most body bytes kept (compressed copies included): the oldest entries go first; a larger entry is served, not kept. */
  maxBytes?: number
  /** Called for every visitor response sendCacheable is about to send from this cache, headers all set. */
  onServed?: ServedListener
}

/** Room for the hot pages (home, feeds, recent notes) of any blog, not for every page of a large one. */
export const PAGE_CACHE_MAX_BYTES = 16 * 1024 * 1024

function entryBytes(entry: CachedBody): number {
  return entry.body.length + (entry.encoded.br?.body.length ?? 0) + (entry.encoded.gzip?.body.length ?? 0)
}

/** A body with its ETag, and its compressed copies when the type is text and the body is not tiny. */
export async function cachedBody(body: Buffer, contentType?: string): Promise<CachedBody> {
  const etag = etagOf(body)
  const encoded: CachedBody['encoded'] = {}
  if (contentType !== undefined) {
    const compressed = await compressBody(body, contentType)
    // Each representation has its own ETag (RFC 9110 §8.8.3): a cache must not hand a gzip body to a
    // client that revalidated a brotli one.
    for (const coding of ['br', 'gzip'] as const) {
      const bytes = compressed[coding]
      if (bytes) encoded[coding] = { body: bytes, etag: `${etag.slice(0, -1)}-${coding}"` }
    }
  }
  return { body, etag, encoded }
}

export class PageCache {
  private version = ''
  private entries = new Map<string, CachedBody>()
  /** Builds under way for the current version: requests that arrive meanwhile wait for the same one. */
  private building = new Map<string, Promise<CachedBody>>()
  private readonly maxEntries: number
  private readonly maxBytes: number
  private bytes = 0
  private lastModifiedMs: number
  private readonly db: Db
  private readonly source: { readonly version: number }
  /** Per key, how often it was invalidated in this version: a build that overlapped one is not kept. */
  private invalidations = new Map<string, number>()
  readonly onServed: ServedListener | undefined

  constructor(options: PageCacheOptions) {
    this.db = options.db
    this.source = options.source
    this.onServed = options.onServed
    this.maxEntries = options.maxEntries ?? 500
    this.maxBytes = options.maxBytes ?? PAGE_CACHE_MAX_BYTES
    this.lastModifiedMs = wholeSecond(Date.now())
  }

  private key(): string {
    return changeKey(this.db, this.source.version)
  }

  /** Last-Modified for the current content (checks for changes first). */
  get lastModified(): Date {
    this.refresh()
    return new Date(this.lastModifiedMs)
  }

  private refresh(version: string = this.key()): string {
    if (version !== this.version) {
      if (this.version !== '') this.lastModifiedMs = wholeSecond(Date.now())
      this.version = version
      this.entries.clear()
      this.bytes = 0
      this.building.clear()
      this.invalidations.clear()
    }
    return version
  }

  /** The current content version (checks for changes first): it moves on every write that empties the cache. */
  get generation(): string {
    return this.refresh()
  }

  /** The entry kept for key at the current version, without building one (undefined: none, or invalidated). */
  peek(key: string): CachedBody | undefined {
    this.refresh()
    return this.entries.get(key)
  }

  /**
   * peek() for a request off the network (the fast path, per request): another process's commit is read at
   * most once per event-loop turn (changeKeyThisTurn), this process's writes at once.
   */
  peekThisTurn(key: string): CachedBody | undefined {
    this.refresh(changeKeyThisTurn(this.db, this.source.version))
    return this.entries.get(key)
  }

  /**
   * Drop one page (its next request rebuilds it), for a change to something the change key does not
   * follow (a Webmention shown on one note's page). Every other entry stays. Last-Modified moves on, so a
   * client asking with If-Modified-Since only gets the new page, not a 304.
   */
  invalidate(key: string): void {
    const entry = this.entries.get(key)
    if (entry) {
      this.entries.delete(key)
      this.bytes -= entryBytes(entry)
    }
    this.building.delete(key)
    this.invalidations.set(key, (this.invalidations.get(key) ?? 0) + 1)
    this.lastModifiedMs = Math.max(this.lastModifiedMs, wholeSecond(Date.now()))
  }

  /**
   * The cached body for key at the current version, or a freshly built one (then cached). With a content
   * type, text bodies are compressed once here, for every later request. Concurrent misses
   * for one key share one build: after a write, a burst of readers of a large feed would otherwise each
   * build (and hold) their own copy at the same moment.
   */
  async get(key: string, build: () => Promise<string>, contentType?: string): Promise<CachedBody> {
    const version = this.refresh()
    const hit = this.entries.get(key)
    if (hit) return hit
    const pending = this.building.get(key)
    if (pending) return pending
    const built: Promise<CachedBody> = this.build(key, version, build, contentType).finally(() => {
      // Only this build's own slot: a newer version may have started another for the same key.
      if (this.building.get(key) === built) this.building.delete(key)
    })
    this.building.set(key, built)
    return built
  }

  private async build(key: string, version: string, build: () => Promise<string>, contentType?: string): Promise<CachedBody> {
    const invalidated = this.invalidations.get(key) ?? 0
    const entry = await cachedBody(Buffer.from(await build(), 'utf8'), contentType)
    const size = entryBytes(entry)
    // Only keep it if nothing changed (or was invalidated) while building; otherwise the next request rebuilds.
    if (this.key() === version && (this.invalidations.get(key) ?? 0) === invalidated && size <= this.maxBytes) {
      while (this.entries.size > 0 && (this.entries.size >= this.maxEntries || this.bytes + size > this.maxBytes)) {
        const [oldestKey, oldest] = this.entries.entries().next().value as [string, CachedBody]
        this.entries.delete(oldestKey)
        this.bytes -= entryBytes(oldest)
      }
      this.entries.set(key, entry)
      this.bytes += size
    }
    return entry
  }
}

/** HTTP dates have one-second resolution: round down so If-Modified-Since compares correctly. */
function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000
}

export function etagOf(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`
}

/**
 * RFC 9110 §13.1: If-None-Match (weak comparison, lists and `*`) decides when present; otherwise
 * If-Modified-Since against Last-Modified. Unlike Express's req.fresh, a request `Cache-Control: no-cache`
 * does not force a full body: that directive is for caches, and an origin may answer 304 (fetch() adds it
 * to every conditional request).
 */
export function isNotModified(req: Pick<IncomingMessage, 'method' | 'headers'>, etag: string, lastModified?: Date): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  const ifNoneMatch = req.headers['if-none-match']
  if (ifNoneMatch !== undefined) {
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '')
    const wanted = opaque(etag)
    return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === wanted)
  }
  const ifModifiedSince = req.headers['if-modified-since']
  if (ifModifiedSince !== undefined && lastModified) {
    const since = Date.parse(ifModifiedSince)
    return !Number.isNaN(since) && lastModified.getTime() <= since
  }
  return false
}

/** The Cache-Control of public pages and feeds: one family, from the STARPUNK_CACHE_* settings. */
export function publicCacheControl(cache: Config['cache']): string {
  const directives = ['public', `max-age=${cache.maxAge}`, `s-maxage=${cache.sMaxAge}`]
  if (cache.staleWhileRevalidate > 0) directives.push(`stale-while-revalidate=${cache.staleWhileRevalidate}`)
  if (cache.staleIfError > 0) directives.push(`stale-if-error=${cache.staleIfError}`)
  return directives.join(', ')
}

/** The representation of entry a request gets: its coding, body and ETag; null when it refuses them all. */
export function selectRepresentation(entry: CachedBody, acceptEncoding: string | undefined): { coding: ChosenCoding; body: Buffer; etag: string } | null {
  const coding = chooseCoding(acceptEncoding, Object.keys(entry.encoded) as Coding[])
  if (coding === null) return null
  if (coding === 'identity') return { coding, body: entry.body, etag: entry.etag }
  const encoded = entry.encoded[coding]!
  return { coding, body: encoded.body, etag: encoded.etag }
}

/** Vary for a cached entry: Accept-Encoding is added only when the entry exists in more than one coding. */
export function varyFor(base: string, entry: CachedBody): string {
  return Object.keys(entry.encoded).length > 0 ? `${base}, Accept-Encoding` : base
}

/**
 * Send a cached entry, negotiated: the representation for the client's Accept-Encoding (406 when it refuses
 * every one), its ETag, 304 when fresh, Content-Length; HEAD gets the headers only. Range is not honoured:
 * the whole representation is the answer (RFC 9110 §14.2 lets a server ignore Range), and no Accept-Ranges
 * says otherwise. Content-Type, Cache-Control and Vary are the caller's.
 */
export function sendEntry(req: Request, res: Response, entry: CachedBody, lastModified?: Date, beforeSend?: () => void): void {
  const chosen = selectRepresentation(entry, req.headers['accept-encoding'])
  if (!chosen) throw appError('ENCODING_NOT_ACCEPTABLE')
  res.setHeader('ETag', chosen.etag)
  if (lastModified) res.setHeader('Last-Modified', lastModified.toUTCString())
  if (isNotModified(req, chosen.etag, lastModified)) {
    beforeSend?.()
    res.status(304).end()
    return
  }
  if (chosen.coding !== 'identity') res.setHeader('Content-Encoding', chosen.coding)
  res.setHeader('Content-Length', chosen.body.length)
  beforeSend?.()
  res.end(req.method === 'HEAD' ? undefined : chosen.body)
}

export interface SendOptions {
  contentType: string
  /** Cache-Control for visitors (publicCacheControl of the settings). */
  cacheControl: string
}

/**
 * Answer with a page or feed: visitors get the cached body (compressed when they accept it) with
 * ETag/Last-Modified and 304 when fresh; the admin (any session) gets a freshly built, uncompressed body
 * marked private/no-store, never a cached visitor copy (it may carry a CSRF token: no compression, BREACH).
 */
export async function sendCacheable(
  req: Request,
  res: Response,
  cache: PageCache,
  key: string,
  build: () => Promise<string>,
  options: SendOptions,
): Promise<void> {
  res.setHeader('Content-Type', options.contentType)
  res.setHeader('Vary', 'Cookie, Accept')
  if (res.locals.session) {
    res.setHeader('Cache-Control', 'private, no-store')
    const body = Buffer.from(await build(), 'utf8')
    res.setHeader('ETag', etagOf(body)) // set ourselves so Express does not answer 304 from a visitor ETag
    res.end(req.method === 'HEAD' ? undefined : body)
    return
  }
  const entry = await cache.get(key, build, options.contentType)
  res.setHeader('Vary', varyFor('Cookie, Accept', entry))
  res.setHeader('Cache-Control', options.cacheControl)
  sendEntry(req, res, entry, cache.lastModified, () => cache.onServed?.(req, res, cache, key, entry))
}

/** One version that moves when any of the sources' does (a page built from notes, the profile and reply contexts). */
export function combinedVersion(...sources: Array<{ readonly version: number }>): { readonly version: number } {
  return {
    get version() {
      let sum = 0
      for (const source of sources) sum += source.version
      return sum
    },
  }
}
