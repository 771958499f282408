import { Router } from 'express'
import type { HealthService } from './types'

export function healthRoutes(health: HealthService): Router {
  const router = Router()
  router.get('/health', (_req, res) => {
    res.type('application/health+json').json(health.liveness())
  })
  router.get('/health/ready', async (_req, res) => {
    const report = await health.readiness(false)
    res.status(report.status === 'fail' ? 503 : 200).type('application/health+json').json(report)
  })
  return router
}
