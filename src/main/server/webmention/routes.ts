import express, { Router } from 'express'
import { appError, methodNotAllowed } from '../errors'
import type { WebmentionReceiver } from './receiver'

export interface WebmentionRoutesDeps {
  receiver: WebmentionReceiver
  /** The absolute status URL of a request id (the site's public base + the status path). */
  statusUrl: (id: string) => string
}

/** Where the routes live, for the Link header, the <link> and the status URLs. */
export const WEBMENTION_PATH = '/webmention'
export const WEBMENTION_STATUS_PATH = '/webmention/status'

/** The `Link` header value advertising the endpoint (W3C Webmention §3.1.2). */
export function webmentionLinkHeader(endpointUrl: string): string {
  return `<${endpointUrl}>; rel="webmention"`
}

/** A form with a source and a target is a few hundred bytes; this bounds what is read of anything else. */
const MAX_FORM_BYTES = 8 * 1024

/**
 * POST /webmention (W3C Webmention §3.2): the synchronous checks, then 202 with a Location status URL.
 * GET /webmention/status/:id shows queued, verified or rejected and why. Thin: the receiver does the work.
 */
export function webmentionRoutes(deps: WebmentionRoutesDeps): Router {
  const router = Router()
  const form = express.urlencoded({ extended: false, limit: MAX_FORM_BYTES, parameterLimit: 20 })

  router
    .route(WEBMENTION_PATH)
    .post(form, async (req, res) => {
      if (!req.is('application/x-www-form-urlencoded')) throw appError('WEBMENTION_INVALID', { vars: { detail: 'the body must be form-encoded (application/x-www-form-urlencoded).' } })
      const body = (req.body ?? {}) as Record<string, unknown>
      const result = await deps.receiver.accept({ source: body.source, target: body.target })
      const statusUrl = deps.statusUrl(result.id)
      res.status(202).location(statusUrl).set('Cache-Control', 'no-store')
      if (req.accepts(['text', 'json']) === 'json') res.json({ id: result.id, state: result.state, status: statusUrl })
      else res.type('text/plain').send(`Accepted for verification. Status: ${statusUrl}\n`)
    })
    .all(methodNotAllowed(['POST']))

  router
    .route(`${WEBMENTION_STATUS_PATH}/:id`)
    .get(async (req, res) => {
      const status = await deps.receiver.status(req.params.id)
      if (!status) throw appError('NOT_FOUND')
      res.set('Cache-Control', 'no-store').json(status)
    })
    .all(methodNotAllowed(['GET']))

  return router
}
