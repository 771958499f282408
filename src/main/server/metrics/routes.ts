import { Router, type Request, type Response } from 'express'
import { appError, errorFormat } from '../errors'
import type { MetricsCollector } from './collector'

/**
 * Who may read /metrics. Supplied by the wiring, like detailed health: the health token as a bearer, an
 * admin session, or a setting that opens it. Return true to serve.
 */
export type MetricsGuard = (req: Request, res: Response) => boolean

/** GET /metrics: the registry in the Prometheus text format, for whoever the guard lets in. */
export function metricsRoutes(options: { collector: Pick<MetricsCollector, 'metricsText' | 'contentType'>; allowed: MetricsGuard }): Router {
  const router = Router()
  // A scraper, not a browser: a refusal is the JSON error body (with the request ID), never the HTML page.
  router.use('/metrics', errorFormat('json'))
  router.get('/metrics', async (req, res) => {
    if (!options.allowed(req, res)) {
      throw appError('UNAUTHORIZED', {
        message: 'The metrics need the health token or a signed-in session.',
        suggestion: 'Have the scraper send STARPUNK_HEALTH_TOKEN as a bearer token (Authorization: Bearer …).',
        troubleshooting: ['Set STARPUNK_HEALTH_TOKEN, and the same value as the bearer token in the Prometheus scrape config.', 'To open /metrics to everyone (e.g. behind a private network), set STARPUNK_METRICS_PUBLIC=true.'],
        headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      })
    }
    const text = await options.collector.metricsText()
    res.status(200).set('Cache-Control', 'no-store').type(options.collector.contentType).send(text)
  })
  return router
}
