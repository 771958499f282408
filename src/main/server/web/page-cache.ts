import { createHash } from 'node:crypto'
import type { Request, Response } from 'express'
import type { Db } from '../db'
import { changeKey } from '../notes/change-key'

export interface CachedBody {
  body: Buffer
  etag: string
}

export interface PageCacheOptions {
  db: Db
  /** What the cached content derives from: its version counts this process's writes to it. */
  source: { readonly version: number }
  /** Most entries kept for one version (query-string variants are bounded by this). */
  maxEntries?: number
  /** Most body bytes kept: the oldest entries go first; a body larger than this is served, not kept. */
  maxBytes?: number
}

/** Room for the hot pages (home, feeds, recent notes) of any blog, not for every page of a large one. */
export const PAGE_CACHE_MAX_BYTES = 16 * 1024 * 1024

/**
 * Rendered visitor responses, keyed by URL and valid for one change key: the notes' own write counter plus
 * SQLite's data_version (commits by other processes, e.g. the import CLI). Any note write invalidates every
 * page, feed and ETag at once; writes to other tables (sessions sliding, tokens used) do not. Last-Modified
 * is when this cache first saw the current version (never earlier than the change itself).
 */
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

  constructor(options: PageCacheOptions) {
    this.db = options.db
    this.source = options.source
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

  private refresh(): string {
    const version = this.key()
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

  /**
   * Drop one page (its next request rebuilds it), for a change to something the change key does not
   * follow (a Webmention shown on one note's page). Every other entry stays. Last-Modified moves on, so a
   * client asking with If-Modified-Since only gets the new page, not a 304.
   */
  invalidate(key: string): void {
    const entry = this.entries.get(key)
    if (entry) {
      this.entries.delete(key)
      this.bytes -= entry.body.length
    }
    this.building.delete(key)
    this.invalidations.set(key, (this.invalidations.get(key) ?? 0) + 1)
    this.lastModifiedMs = Math.max(this.lastModifiedMs, wholeSecond(Date.now()))
  }

  /**
   * The cached body for key at the current version, or a freshly built one (then cached). Concurrent misses
   * for one key share one build: after a write, a burst of readers of a large feed would otherwise each
   * build (and hold) their own copy at the same moment.
   */
  async get(key: string, build: () => Promise<string>): Promise<CachedBody> {
    const version = this.refresh()
    const hit = this.entries.get(key)
    if (hit) return hit
    const pending = this.building.get(key)
    if (pending) return pending
    const built: Promise<CachedBody> = this.build(key, version, build).finally(() => {
      // Only this build's own slot: a newer version may have started another for the same key.
      if (this.building.get(key) === built) this.building.delete(key)
    })
    this.building.set(key, built)
    return built
  }

  private async build(key: string, version: string, build: () => Promise<string>): Promise<CachedBody> {
    const invalidated = this.invalidations.get(key) ?? 0
    const body = Buffer.from(await build(), 'utf8')
    const entry = { body, etag: etagOf(body) }
    // Only keep it if nothing changed while building; otherwise the next request rebuilds.
    if (this.key() === version && (this.invalidations.get(key) ?? 0) === invalidated && body.length <= this.maxBytes) {
      while (this.entries.size > 0 && (this.entries.size >= this.maxEntries || this.bytes + body.length > this.maxBytes)) {
        const [oldestKey, oldest] = this.entries.entries().next().value as [string, CachedBody]
        this.entries.delete(oldestKey)
        this.bytes -= oldest.body.length
      }
      this.entries.set(key, entry)
      this.bytes += body.length
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
export function isNotModified(req: Request, etag: string, lastModified?: Date): boolean {
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

export interface SendOptions {
  contentType: string
  /** Cache-Control max-age for visitors, seconds (0: revalidate every time). */
  maxAgeSeconds?: number
}

/**
 * Answer with a page or feed: visitors get the cached body with ETag/Last-Modified and 304 when fresh;
 * the admin (any session) gets a freshly built body marked private/no-store, never a cached visitor copy.
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
  const entry = await cache.get(key, build)
  res.setHeader('ETag', entry.etag)
  res.setHeader('Last-Modified', cache.lastModified.toUTCString())
  res.setHeader('Cache-Control', `public, max-age=${options.maxAgeSeconds ?? 0}, must-revalidate`)
  if (isNotModified(req, entry.etag, cache.lastModified)) {
    res.status(304).end()
    return
  }
  res.setHeader('Content-Length', entry.body.length)
  res.end(req.method === 'HEAD' ? undefined : entry.body)
}
