/**
 * Request-scoped logging: a request ID for every request (a sane inbound X-Request-ID, else a new UUID),
 * echoed in the response; a valid W3C traceparent's trace id; one access line per request.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { RequestHandler } from 'express'
import type { Logging } from './logging'
import type { AccessLineFields } from './format'
import type { RequestContext } from './types'
import { responseBytes } from '../http/response-bytes'

/** Bounded length, characters safe in a header, a log line and a URL. */
const REQUEST_ID = /^[A-Za-z0-9._~:+=/-]{1,128}$/

export function acceptRequestId(inbound: string | undefined): string | null {
  return inbound !== undefined && REQUEST_ID.test(inbound) ? inbound : null
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/

/** The trace id of a valid W3C traceparent (version 00, or a later one read as 00), else null. */
export function parseTraceparent(header: string | undefined): string | null {
  if (!header || header.length > 512) return null
  const match = TRACEPARENT.exec(header.trim())
  if (!match) return null
  const [, version, traceId, parentId, , rest] = match as unknown as [string, string, string, string, string, string | undefined]
  if (version === 'ff') return null
  // Version 00 has exactly four parts; later versions may append more after a dash.
  if (version === '00' && rest !== undefined) return null
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return null
  return traceId
}

/** The IDs a request is logged under: its accepted (or a new) request ID, and a valid traceparent's trace id. */
export function requestIdsOf(headers: IncomingHttpHeaders): RequestContext {
  const inbound = headers['x-request-id']
  const requestId = acceptRequestId(typeof inbound === 'string' ? inbound : undefined) ?? randomUUID()
  const traceparent = headers.traceparent
  const traceId = parseTraceparent(typeof traceparent === 'string' ? traceparent : undefined)
  return traceId ? { requestId, traceId } : { requestId }
}

/** What a request's access line says (the trace id is added from the request's IDs). */
export type AccessFields = Omit<AccessLineFields, 'traceId'>

/** The path of a request URL, never its query. */
export function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/**
 * The one access line of a request (WARNING for 5xx), under its IDs: Express's and the fast path's alike.
 * `fields` is handed over (a fresh object per request), not copied.
 */
export function writeAccessLine(logging: Pick<Logging, 'logAccess'>, ids: RequestContext, fields: AccessFields): void {
  logging.logAccess(ids, fields.status >= 500 ? 'WARNING' : 'INFO', fields)
}

/** Milliseconds since start, to two decimals, as the access line carries them. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100
}

export function requestLogging(logging: Logging): RequestHandler {
  return (req, res, next) => {
    const ids = requestIdsOf(req.headers)
    res.locals.requestId = ids.requestId
    res.setHeader('X-Request-ID', ids.requestId)
    const start = performance.now()

    const bytesWritten = responseBytes(res)

    let logged = false
    const done = (aborted: boolean): void => {
      if (logged) return
      logged = true
      writeAccessLine(logging, ids, {
        method: req.method,
        path: pathOf(req.originalUrl),
        status: res.statusCode,
        durationMs: elapsedMs(start),
        bytes: bytesWritten(),
        ...(aborted ? { aborted: true as const } : {}),
      })
    }
    res.once('finish', () => done(false))
    res.once('close', () => done(!res.writableFinished))

    logging.runWithRequest(ids, () => next())
  }
}
