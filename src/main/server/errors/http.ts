import type { ErrorRequestHandler, Request, RequestHandler } from 'express'
import type { ErrorInfo } from '../../../shared/errors'
import type { Logger } from '../logging'
import { AppError, appError } from './app-error'

/** API clients get JSON; browsers get HTML. */
export function wantsJson(req: Request): boolean {
  if (req.path.startsWith('/api/') || req.path.startsWith('/micropub') || req.path.startsWith('/admin/console/api')) return true
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
  // body-parser / raw-body errors carry a `type` and a 4xx `status`.
  const e = err as { type?: string; status?: number; statusCode?: number; limit?: number }
  const status = e?.status ?? e?.statusCode
  if (e?.type === 'entity.too.large') return appError('PAYLOAD_TOO_LARGE', { vars: { limit: `${e.limit ?? '?'} bytes` }, cause: err })
  if (e?.type === 'entity.parse.failed') return appError('BAD_REQUEST', { vars: { detail: 'the body is not valid JSON.' }, cause: err })
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return appError('BAD_REQUEST', { status, vars: { detail: 'the request is malformed.' }, cause: err })
  }
  return appError('INTERNAL_ERROR', { cause: err })
}

export function errorHandler(deps: ErrorHandlerDeps): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toAppError(err)
    const requestId = String(res.locals.requestId ?? '')
    const logFields = {
      code: error.code,
      status: error.status,
      method: req.method,
      path: req.path,
      ...(error.cause instanceof Error ? { cause: error.cause.message, stack: error.cause.stack } : {}),
    }
    if (error.kind === 'system') deps.logger.error(error.message, logFields)
    else deps.logger.info(`request rejected: ${error.code}`, logFields)
    if (res.headersSent) {
      res.destroy()
      return
    }
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value)
    res.status(error.status)
    if (wantsJson(req)) {
      res.json({ error: { ...error.info, request_id: requestId } })
    } else {
      let html: string
      try {
        html = deps.renderErrorPage(error.info, error.status, requestId)
      } catch (renderError) {
        // The error page itself failed: answer with plain escaped text rather than Express's stack page.
        deps.logger.error('error page failed to render', { cause: String(renderError) })
        html = `<!doctype html><title>Error</title><p>${escapeText(error.info.message)}</p><p>Request ID: ${escapeText(requestId)}</p>`
      }
      res.type('html').send(html)
    }
  }
}

function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(appError('NOT_FOUND'))
}
