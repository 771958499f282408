/**
 * Request-scoped logging: a request ID for every request (a sane inbound X-Request-ID, else a new UUID),
 * echoed in the response; a valid W3C traceparent's trace id; one access line per request.
 */
import { randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'
import type { Logging } from './logging'
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

export function requestLogging(logging: Logging): RequestHandler {
  const access = logging.logger
  return (req, res, next) => {
    const requestId = acceptRequestId(req.get('x-request-id')) ?? randomUUID()
    const traceId = parseTraceparent(req.get('traceparent')) ?? undefined
    res.locals.requestId = requestId
    res.setHeader('X-Request-ID', requestId)
    const start = performance.now()

    const bytesWritten = responseBytes(res)

    let logged = false
    const done = (aborted: boolean): void => {
      if (logged) return
      logged = true
      const fields = {
        method: req.method,
        // The path only: query strings carry one-time tokens and search terms.
        path: req.originalUrl.split('?', 1)[0],
        status: res.statusCode,
        durationMs: Math.round((performance.now() - start) * 100) / 100,
        bytes: bytesWritten(),
        ...(aborted ? { aborted: true } : {}),
      }
      logging.runWithRequest({ requestId, ...(traceId ? { traceId } : {}) }, () => {
        if (res.statusCode >= 500) access.warn('request', fields)
        else access.info('request', fields)
      })
    }
    res.once('finish', () => done(false))
    res.once('close', () => done(!res.writableFinished))

    logging.runWithRequest({ requestId, ...(traceId ? { traceId } : {}) }, () => next())
  }
}
