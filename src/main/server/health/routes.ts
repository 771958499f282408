import { createHash, timingSafeEqual } from 'node:crypto'
import { Router, type Request, type Response } from 'express'
import type { HealthReport } from '../../../shared/contract'
import { errorFormat } from '../errors'
import type { HealthService } from './types'

export interface HealthRouteOptions {
  /** STARPUNK_HEALTH_TOKEN: a monitor presenting it as a bearer token gets the detailed report. */
  token: string | null
  /** STARPUNK_HEALTH_CHECK_DETAILED: everyone gets the detailed report. */
  detailed: boolean
  /** GET /health about to be answered, headers set (the fast path remembers them). */
  onLiveness?: (req: Request, res: Response) => void
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** Constant-time: compare fixed-length digests, so neither content nor length leaks through timing. */
function tokenMatches(req: Request, token: string | null): boolean {
  if (!token) return false
  const header = req.headers.authorization
  if (!header) return false
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match?.[1]) return false
  return timingSafeEqual(digest(match[1]), digest(token))
}

/** Headers set one by one and no ETag (a no-store probe is never revalidated): the fast path replays them. */
function send(res: Response, status: number, report: HealthReport, beforeSend?: () => void): void {
  const body = Buffer.from(JSON.stringify(report), 'utf8')
  res.status(status)
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('Content-Type', 'application/health+json; charset=utf-8')
  res.setHeader('Content-Length', body.length)
  beforeSend?.()
  res.end(body)
}

/** GET /health (liveness) and GET /health/ready (readiness; detailed only when authorised). */
export function healthRoutes(health: HealthService, options: HealthRouteOptions = { token: null, detailed: false }): Router {
  const router = Router()
  router.use('/health', errorFormat('json'))
  router.get('/health', (req, res) => {
    send(res, 200, health.liveness(), options.onLiveness ? () => options.onLiveness?.(req, res) : undefined)
  })
  router.get('/health/ready', async (req, res) => {
    // An admin session (set by the auth guards' loadSession), the monitor token, or configuration.
    const detailed = options.detailed || res.locals.session != null || tokenMatches(req, options.token)
    const report = await health.readiness(detailed)
    send(res, report.status === 'fail' ? 503 : 200, report)
  })
  return router
}
