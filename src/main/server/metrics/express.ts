import type { RequestHandler } from 'express'
import type { MetricsCollector } from './collector'

const CLIENT_CLOSED = 499

/**
 * Counts every request into the collector when it finishes (or is aborted): route group, method,
 * status, time and body bytes written. Thin: all decisions live in the collector.
 */
export function metricsMiddleware(collector: Pick<MetricsCollector, 'observeRequest'>): RequestHandler {
  return (req, res, next) => {
    const start = performance.now()
    const path = req.originalUrl
    let bytes = 0
    const write = res.write.bind(res) as (...args: unknown[]) => boolean
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res
    const count = (chunk: unknown, encoding: unknown): void => {
      if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      else if (chunk instanceof Uint8Array) bytes += chunk.byteLength
    }
    // Only the first two arguments are looked at; everything is passed through unchanged.
    res.write = function (chunk: unknown, encoding?: unknown, cb?: unknown) {
      count(chunk, encoding)
      return write(chunk, encoding, cb)
    } as typeof res.write
    res.end = function (chunk?: unknown, encoding?: unknown, cb?: unknown) {
      if (typeof chunk !== 'function') count(chunk, encoding)
      return end(chunk, encoding, cb)
    } as typeof res.end
    let done = false
    const finish = (aborted: boolean): void => {
      if (done) return
      done = true
      // A request the client gave up on before the answer was complete counts as 499 (nginx's "client closed
      // request"), not as the 200 Express had not sent yet.
      const status = aborted ? CLIENT_CLOSED : res.statusCode
      collector.observeRequest({ path, method: req.method, status, seconds: (performance.now() - start) / 1000, bytes })
    }
    res.once('finish', () => finish(false))
    res.once('close', () => finish(!res.writableFinished))
    next()
  }
}
