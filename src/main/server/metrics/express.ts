import type { RequestHandler } from 'express'
import type { MetricsCollector } from './collector'
import { responseBytes } from '../http/response-bytes'

const CLIENT_CLOSED = 499

/**
 * Counts every request into the collector when it finishes (or is aborted): route group, method,
 * status, time and body bytes written. Thin: all decisions live in the collector. While `collecting()`
 * is false a request passes straight through (one call).
 */
export function metricsMiddleware(collector: Pick<MetricsCollector, 'observeRequest'>, collecting: () => boolean = () => true): RequestHandler {
  return (req, res, next) => {
    if (!collecting()) {
      next()
      return
    }
    const start = performance.now()
    const path = req.originalUrl
    const bytesWritten = responseBytes(res)
    let done = false
    const finish = (aborted: boolean): void => {
      if (done) return
      done = true
      // A request the client gave up on before the answer was complete counts as 499 (nginx's "client closed
      // request"), not as the 200 Express had not sent yet.
      const status = aborted ? CLIENT_CLOSED : res.statusCode
      collector.observeRequest({ path, method: req.method, status, seconds: (performance.now() - start) / 1000, bytes: bytesWritten() })
    }
    res.once('finish', () => finish(false))
    res.once('close', () => finish(!res.writableFinished))
    next()
  }
}
