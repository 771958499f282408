/**
 * Answers the hottest requests before Express: GET and HEAD of public pages and feeds already in a page
 * cache (200, or 304 when fresh), and GET /health, for requests without a session cookie. It is a memo of
 * what the full stack answered: the first request for a URL goes through Express, and sendCacheable hands
 * the cache entry and the response's headers (helmet's, the CSP, Vary, Cache-Control, Last-Modified...) to
 * remember(); later requests for that URL and Accept get the same headers and bytes here, while the entry is
 * still the cache's current one. Per request it adds only what the full stack adds per request: the request
 * ID, the ETag, Content-Encoding and Content-Length of the negotiated representation, the access line and
 * the request metrics. Anything else, or any doubt, falls through to Express unchanged.
 */
import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http'
import type { Request, Response } from 'express'
import { chooseCoding, type ChosenCoding, type Coding } from '../http'
import { elapsedMs, pathOf, requestIdsOf, writeAccessLine, type Logging, type RequestContext } from '../logging'
import type { ObservedRequest } from '../metrics'
import { isNotModified, type CachedBody, type PageCache } from '../web'

export interface FastPathDeps {
  logging: Logging
  /** Request metrics, counted like the middleware counts them (while collecting() is true). */
  metrics: { observeRequest(request: ObservedRequest): void; collecting(): boolean }
  /** GET /health's body, made per request (it carries the time). */
  liveness(): unknown
  /** The session cookie's name: a request carrying it always goes to Express. */
  sessionCookie: string
  /** Start switched on (STARPUNK_FAST_PATH). */
  enabled: boolean
  /** Most remembered URL variants (oldest out first). */
  maxEntries?: number
}

export interface FastPathStats {
  /** Requests answered here since start. */
  served: number
  /** URL variants remembered now. */
  remembered: number
}

export interface FastPath {
  /** Answer req here and return true, or return false (nothing written) for Express to answer. */
  handle: (req: IncomingMessage, res: ServerResponse) => boolean
  /** PageCache's onServed: a visitor response of a cache entry, headers set, about to be sent by Express. */
  remember: (req: Request, res: Response, cache: PageCache, key: string, entry: CachedBody) => void
  /** The health route's hook: GET /health, headers set, about to be sent by Express. */
  rememberLiveness: (req: Request, res: Response) => void
  /** Switch at run time (tests compare both ways on one server; benches measure both). */
  enabled: boolean
  stats: () => FastPathStats
}

type RawHeaders = string[]

/**
 * A flat name/value list for writeHead whose first pair is X-Request-ID (as the logging middleware sets it
 * first): send() writes the request's ID into slot 1 just before writeHead, which reads the list at once and
 * keeps nothing of it, so one list serves every request without a copy.
 */
type HeadList = RawHeaders

/** One representation's ready header lists: 200 (with body length) and 304. */
interface Prepared {
  etag: string
  body: Buffer
  ok: HeadList
  notModified: HeadList
}

interface Memo {
  cache: PageCache
  key: string
  entry: CachedBody
  lastModified: Date | undefined
  /** The codings entry exists in besides identity, and their names joined: the negotiation memo's key. */
  codings: Coding[]
  codingsKey: string
  identity: Prepared
  br?: Prepared
  gzip?: Prepared
}

/** Distinct Accept-Encoding values (per set of available codings) whose choice is remembered. */
const MAX_NEGOTIATIONS = 256

/** What finish() needs once the response is done, kept on the response (one shared listener, no closures). */
interface InFlight {
  ids: RequestContext
  method: string
  url: string
  status: number
  bytes: number
  start: number
}
const IN_FLIGHT = Symbol('fastPathInFlight')
type TrackedResponse = ServerResponse & { [IN_FLIGHT]?: InFlight }

/** Set per request or per representation, never copied from the remembered response. */
const PER_REQUEST = new Set(['x-request-id', 'etag', 'content-encoding', 'content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding'])

function hasSessionCookie(req: IncomingMessage, name: string): boolean {
  const cookie = req.headers.cookie
  return cookie !== undefined && cookie.includes(`${name}=`)
}

/** The response's headers as set, in order and case, without the per-request ones; null if one must not be replayed. */
function snapshot(res: ServerResponse): RawHeaders | null {
  const out: RawHeaders = []
  // getRawHeaderNames (Node ≥ 15.13, missing from this @types/node) keeps the case the stack set them in.
  const names = (res as ServerResponse & { getRawHeaderNames(): string[] }).getRawHeaderNames()
  for (const name of names) {
    const lower = name.toLowerCase()
    if (lower === 'set-cookie') return null
    if (PER_REQUEST.has(lower)) continue
    const value: OutgoingHttpHeader | undefined = res.getHeader(name)
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) out.push(name, item)
    else out.push(name, String(value))
  }
  return out
}

function prepare(base: RawHeaders, etag: string, body: Buffer, coding: string | null): Prepared {
  const withTag = ['X-Request-ID', '', ...base, 'ETag', etag]
  const ok = coding ? [...withTag, 'Content-Encoding', coding] : [...withTag]
  ok.push('Content-Length', String(body.length))
  return { etag, body, ok, notModified: withTag }
}

/** RFC 9110's weak comparison when If-None-Match is exactly the tag (what a cache sends back) skips the parse. */
function notModified(req: IncomingMessage, etag: string, lastModified: Date | undefined): boolean {
  return req.headers['if-none-match'] === etag || isNotModified(req, etag, lastModified)
}

export function createFastPath(deps: FastPathDeps): FastPath {
  const { logging, metrics, sessionCookie } = deps
  const maxEntries = deps.maxEntries ?? 1000
  const memos = new Map<string, Memo>()
  /** Each cache's generation when last remembered from: a new one drops that cache's older memos at once. */
  const generations = new Map<PageCache, string>()
  let liveness: HeadList | null = null
  let served = 0
  /** chooseCoding's answer per available codings and Accept-Encoding: a pure function, asked per request. */
  const negotiated = new Map<string, ChosenCoding | null>()

  // The liveness body carries the time to the millisecond: made at most once per millisecond.
  let livenessMs = -1
  let livenessBuffer: Buffer | null = null
  const livenessBody = (): Buffer => {
    const now = Date.now()
    if (now !== livenessMs || !livenessBuffer) {
      livenessMs = now
      livenessBuffer = Buffer.from(JSON.stringify(deps.liveness()), 'utf8')
    }
    return livenessBuffer
  }

  const memoKey = (url: string, req: IncomingMessage): string => `${url}\n${req.headers.accept ?? ''}`
  const eligible = (req: IncomingMessage): boolean => (req.method === 'GET' || req.method === 'HEAD') && !hasSessionCookie(req, sessionCookie)

  /**
   * The access line and metrics of a finished (or aborted) response. 'close' follows 'finish' on every
   * response (node:http emits it a tick after), and an aborted one gets 'close' only: one listener sees both.
   */
  function finished(this: TrackedResponse): void {
    const flight = this[IN_FLIGHT]
    if (!flight) return
    this[IN_FLIGHT] = undefined
    done(flight, !this.writableFinished)
  }

  function done(flight: InFlight, aborted: boolean): void {
    const { ids, method, url, status, bytes, start } = flight
    writeAccessLine(logging, ids, aborted ? { method, path: pathOf(url), status, durationMs: elapsedMs(start), bytes, aborted: true } : { method, path: pathOf(url), status, durationMs: elapsedMs(start), bytes })
    // The middleware's rule: a client that went away before the answer was complete counts as 499.
    if (metrics.collecting()) metrics.observeRequest({ path: url, method, status: aborted ? 499 : status, seconds: (performance.now() - start) / 1000, bytes })
  }

  /**
   * Request ID header first (as the logging middleware sets it), the access line and metrics once the
   * response is done. Usually that is at once: end() hands headers and body to the socket in one write,
   * and when the kernel took all of it there is nothing left to wait for (node:http's 'finish' follows a
   * tick later). Only a response still buffered (a slow reader of a big feed) or a gone client waits for
   * 'close', which also tells an aborted one.
   */
  function send(req: IncomingMessage, res: TrackedResponse, status: number, headers: HeadList, body: Buffer | undefined, start: number): void {
    const ids = requestIdsOf(req.headers)
    served++
    headers[1] = ids.requestId
    res.writeHead(status, headers)
    res.end(body)
    const flight: InFlight = { ids, method: req.method ?? 'GET', url: req.url ?? '/', status, bytes: body?.length ?? 0, start }
    const socket = res.socket
    if (socket && !socket.destroyed && socket.writableLength === 0 && res.writableLength === 0) done(flight, false)
    else {
      res[IN_FLIGHT] = flight
      res.on('close', finished)
    }
  }

  function codingFor(memo: Memo, acceptEncoding: string | undefined): ChosenCoding | null {
    if (acceptEncoding === undefined || memo.codings.length === 0) return chooseCoding(acceptEncoding, memo.codings)
    const key = `${memo.codingsKey}\n${acceptEncoding}`
    let coding = negotiated.get(key)
    if (coding === undefined) {
      coding = chooseCoding(acceptEncoding, memo.codings)
      // Bounded: a client sending a new value on every request empties the memo rather than growing it.
      if (negotiated.size >= MAX_NEGOTIATIONS) negotiated.clear()
      negotiated.set(key, coding)
    }
    return coding
  }

  function servePage(req: IncomingMessage, res: ServerResponse, memo: Memo, start: number): boolean {
    const coding = codingFor(memo, req.headers['accept-encoding'])
    if (!coding) return false // 406: Express renders the catalog error
    const prepared = coding === 'identity' ? memo.identity : memo[coding]
    if (!prepared) return false
    if (notModified(req, prepared.etag, memo.lastModified)) send(req, res, 304, prepared.notModified, undefined, start)
    else send(req, res, 200, prepared.ok, req.method === 'HEAD' ? undefined : prepared.body, start)
    return true
  }

  const fastPath: FastPath = {
    enabled: deps.enabled,

    handle(req, res) {
      if (!fastPath.enabled || !eligible(req)) return false
      const start = performance.now()
      if (req.url === '/health' && req.method === 'GET') {
        if (!liveness) return false
        const body = livenessBody()
        liveness[liveness.length - 1] = String(body.length)
        send(req, res, 200, liveness, body, start)
        return true
      }
      const key = memoKey(req.url ?? '', req)
      const memo = memos.get(key)
      if (!memo) return false
      // Still the cache's entry for its key: no note write, no invalidation of that key, not evicted.
      if (memo.cache.peekThisTurn(memo.key) !== memo.entry) {
        memos.delete(key)
        return false
      }
      return servePage(req, res, memo, start)
    },

    remember(req, res, cache, key, entry) {
      if (!eligible(req)) return
      const base = snapshot(res)
      if (!base) return
      const generation = cache.generation
      if (generations.get(cache) !== generation) {
        generations.set(cache, generation)
        for (const [k, memo] of memos) if (memo.cache === cache) memos.delete(k)
      }
      const lastModifiedText = res.getHeader('Last-Modified')
      const lastModified = typeof lastModifiedText === 'string' ? new Date(lastModifiedText) : undefined
      const codings = Object.keys(entry.encoded) as Coding[]
      const memo: Memo = { cache, key, entry, lastModified, codings, codingsKey: codings.join(','), identity: prepare(base, entry.etag, entry.body, null) }
      if (entry.encoded.br) memo.br = prepare(base, entry.encoded.br.etag, entry.encoded.br.body, 'br')
      if (entry.encoded.gzip) memo.gzip = prepare(base, entry.encoded.gzip.etag, entry.encoded.gzip.body, 'gzip')
      // originalUrl: routers mounted under a path rewrite req.url.
      const k = memoKey(req.originalUrl, req)
      memos.delete(k)
      while (memos.size >= maxEntries) {
        const oldest = memos.keys().next().value as string
        memos.delete(oldest)
      }
      memos.set(k, memo)
    },

    rememberLiveness(req, res) {
      if (liveness || !eligible(req) || req.originalUrl !== '/health') return
      const base = snapshot(res)
      // Content-Length last: its value is the body's, written per request.
      if (base) liveness = ['X-Request-ID', '', ...base, 'Content-Length', '']
    },

    stats: () => ({ served, remembered: memos.size }),
  }
  return fastPath
}
