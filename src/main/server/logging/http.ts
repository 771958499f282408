// PLACEHOLDER implementation (skeleton): the logging helper completes X-Request-ID validation,
// traceparent, redaction and the access-line fields.
import { randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'
import type { Logging } from './logging'

export function requestLogging(logging: Logging): RequestHandler {
  return (req, res, next) => {
    const inbound = req.get('x-request-id')
    const requestId = inbound && /^[A-Za-z0-9._-]{1,64}$/.test(inbound) ? inbound : randomUUID()
    res.locals.requestId = requestId
    res.setHeader('X-Request-ID', requestId)
    const start = performance.now()
    logging.runWithRequest({ requestId }, () => {
      res.on('finish', () => {
        logging.logger.info('request', {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          durationMs: Math.round((performance.now() - start) * 100) / 100,
        })
      })
      next()
    })
  }
}
