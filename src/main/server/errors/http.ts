import { randomUUID } from 'node:crypto'
import { STATUS_CODES, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express'
import type { ErrorInfo } from '../../../shared/errors'
import { escapeHtml } from '../html'
import type { Logger, Logging } from '../logging'
import { AppError, appError } from './app-error'

/**
 * How errors on a router's paths are answered. 'json': its clients are programs, they always get JSON,
 * whatever they Accept. 'html': pages, HTML for browsers unless the client asks for JSON (the default).
 * (OAuth endpoints answer their own shape with their own error handler.)
 */
export type ErrorFormat = 'json' | 'html'

/**
 * Each router states the format of its own paths, so the error handler knows no capability's URLs:
 * `router.use('/micropub', errorFormat('json'))`.
 */
export function errorFormat(format: ErrorFormat): RequestHandler {
  return (_req, res, next) => {
    res.locals.errorFormat = format
    next()
  }
}

/** JSON for the paths a router declared 'json', and for clients that ask for it (or send no Accept); else HTML. */
export function wantsJson(req: Request, res: Response): boolean {
  if (res.locals.errorFormat === 'json') return true
  const accept = req.headers.accept ?? ''
  if (!accept) return true
  return req.accepts(['html', 'json']) === 'json'
}

export interface ErrorHandlerDeps {
  logger: Logger
  /** Renders a whole HTML error page (web/ owns the layout). */
  renderErrorPage: (info: ErrorInfo, status: number, requestId: string) => string
}

/** Map anything thrown into an AppError without leaking its text (SQL, paths, stacks stay in the log). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  // body-parser / raw-body / http-errors carry a `type` and a 4xx `status`.
  const e = err as { type?: string; status?: number; statusCode?: number; limit?: number; expose?: boolean }
  const status = e?.status ?? e?.statusCode
  if (e?.type === 'entity.too.large' || status === 413) return appError('PAYLOAD_TOO_LARGE', { vars: { limit: formatBytes(e.limit) }, cause: err })
  if (e?.type === 'entity.parse.failed') return appError('BAD_REQUEST', { vars: { detail: 'the body is not valid JSON.' }, cause: err })
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported' || status === 415) {
    return appError('UNSUPPORTED_MEDIA_TYPE', { vars: { type: 'this encoding' }, cause: err })
  }
  if (e?.type === 'request.aborted') return appError('BAD_REQUEST', { vars: { detail: 'the client stopped sending the body.' }, cause: err })
  if (err instanceof URIError) return appError('BAD_REQUEST', { vars: { detail: 'the address contains an invalid percent-encoding.' }, cause: err })
  if (status === 404) return appError('NOT_FOUND', { cause: err })
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return appError('BAD_REQUEST', { status, vars: { detail: 'the request is malformed.' }, cause: err })
  }
  return appError('INTERNAL_ERROR', { cause: err })
}

function formatBytes(limit: number | undefined): string {
  if (typeof limit !== 'number' || !Number.isFinite(limit)) return 'size'
  if (limit >= 1024 * 1024 && limit % (1024 * 1024) === 0) return `${limit / (1024 * 1024)} MiB`
  if (limit >= 1024 && limit % 1024 === 0) return `${limit / 1024} KiB`
  return `${limit} bytes`
}

/** What a response carries: exactly these fields, never details (they may hold paths) or causes. */
export function errorBody(info: ErrorInfo, requestId: string): { error: { code: string; message: string; suggestion: string; troubleshooting: string[]; request_id: string } } {
  return { error: { code: info.code, message: info.message, suggestion: info.suggestion, troubleshooting: info.troubleshooting, request_id: requestId } }
}

/** Seconds a client should wait before retrying a 503 when the thrower did not say. */
const DEFAULT_RETRY_AFTER_SECONDS = '5'

export function errorHandler(deps: ErrorHandlerDeps): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toAppError(err)
    const requestId = res.locals.requestId ?? ''
    // The full story goes to the log (same request ID): cause message and stack, details, status.
    const logFields = {
      code: error.code,
      status: error.status,
      method: req.method,
      path: req.originalUrl.split('?', 1)[0],
      ...(error.info.details ? { details: error.info.details } : {}),
      ...(error.cause !== undefined ? { cause: error.cause } : {}),
    }
    if (error.kind === 'system') deps.logger.error(error.message, logFields)
    else deps.logger.info(`request rejected: ${error.code}`, logFields)
    if (res.headersSent) {
      // Too late for an error page: cut the connection so the client sees a truncated response, not a lie.
      res.destroy()
      return
    }
    // An error page names its request ID and says what was true at that moment: no cache may keep it.
    // (Browsers otherwise keep a 410 without Cache-Control as if it were permanent: a restored note would
    // stay gone for its readers.) An error's own headers may still say otherwise.
    res.setHeader('Cache-Control', 'no-store')
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value)
    if (error.status === 503 && !res.getHeader('retry-after')) res.setHeader('Retry-After', DEFAULT_RETRY_AFTER_SECONDS)
    res.status(error.status)
    if (wantsJson(req, res)) {
      res.json(errorBody(error.info, requestId))
    } else {
      let html: string
      try {
        html = deps.renderErrorPage(error.info, error.status, requestId)
      } catch (renderError) {
        // The error page itself failed: answer with plain escaped text rather than Express's stack page.
        deps.logger.error('error page failed to render', { cause: renderError })
        html = `<!doctype html><title>Error</title><p>${escapeHtml(error.info.message)}</p><p>Request ID: ${escapeHtml(requestId)}</p>`
      }
      res.type('html').send(html)
    }
  }
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(appError('NOT_FOUND'))
}

/**
 * For a known path hit with a method it does not serve: 405 with an Allow header. Mount it last on a route:
 * `router.route('/notes').get(list).post(create).all(methodNotAllowed(['GET', 'POST']))`.
 * HEAD is allowed wherever GET is (Express answers it), and OPTIONS gets a 204 with the same Allow header.
 */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  const methods = new Set(allowed.map((m) => m.toUpperCase()))
  if (methods.has('GET')) methods.add('HEAD')
  methods.add('OPTIONS')
  const allow = [...methods].join(', ')
  return (req, res, next) => {
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', allow)
      res.status(204).end()
      return
    }
    // `method` is shown in the message: keep it to a token so odd input cannot shape the text.
    const method = /^[A-Z]{1,16}$/.test(req.method) ? req.method : 'this'
    next(appError('METHOD_NOT_ALLOWED', { vars: { method }, headers: { Allow: allow } }))
  }
}

/**
 * For `server.on('clientError', ...)`: a request so malformed that Node's HTTP parser rejects it never
 * reaches Express. Node would answer a bare 400; this answers the same JSON error shape as everything else,
 * with a request ID that is also on the log line.
 */
export function clientErrorHandler(logging: Pick<Logging, 'logger' | 'runWithRequest'>): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const inFlight = inFlightResponse(socket)
    if (inFlight && !inFlight.req.complete) {
      // The request being answered never arrived whole (the client hung up inside its body: Node reports
      // the early end as a parse error). Nothing more will come: close, so the request is seen as aborted
      // and its handler cleans up, instead of waiting for a body until the server's request timeout.
      socket.destroy()
      return
    }
    if (inFlight) {
      // The bytes that failed to parse came after a valid request that is being answered (Node's own
      // client, for one, sends an OPTIONS body without Content-Length). A second response on this socket
      // would corrupt the connection for the client: let that request get its answer, then close.
      logging.logger.info('request rejected: bytes after a request on the same connection are not valid HTTP; closing it after the answer', {
        parserError: err.code ?? 'unknown',
      })
      if (inFlight.writableFinished) socket.end()
      else inFlight.once('finish', () => socket.end()).once('close', () => socket.end())
      return
    }
    const requestId = randomUUID()
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
    const detail = status === 431 ? 'the request headers are too large.' : status === 408 ? 'the request took too long to arrive.' : 'it is not valid HTTP.'
    const error = appError('BAD_REQUEST', { status, vars: { detail } })
    logging.runWithRequest({ requestId }, () => logging.logger.info(`request rejected: ${error.code}`, { status, parserError: err.code ?? 'unknown' }))
    const body = JSON.stringify(errorBody(error.info, requestId))
    // A response to HEAD has no body: a client that sent HEAD would read the body as garbage after the
    // response. The request ID is still in the header.
    const head = isHeadRequest(err)
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-ID: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        (head ? '' : body),
    )
  }
}

/**
 * The response Node is writing on this socket for an earlier request, if any. `_httpMessage` is Node's
 * internal link from a socket to its current ServerResponse; Node's own clientError handling reads it
 * for the same reason (never answer twice on one connection).
 */
function inFlightResponse(socket: Duplex): ServerResponse | null {
  const message = (socket as Duplex & { _httpMessage?: unknown })._httpMessage
  return message instanceof ServerResponse ? message : null
}

/**
 * Whether the request the parser rejected was a HEAD. Node hands the rejected bytes over as `rawPacket`
 * (documented for 'clientError'); they start with the request line unless a huge request arrived in
 * several reads, in which case we cannot know and answer with a body, as for any other method.
 */
function isHeadRequest(err: NodeJS.ErrnoException): boolean {
  const raw = (err as NodeJS.ErrnoException & { rawPacket?: unknown }).rawPacket
  return Buffer.isBuffer(raw) && raw.subarray(0, 5).toString('latin1') === 'HEAD '
}
