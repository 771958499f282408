// PLACEHOLDER implementation (skeleton): the health helper completes component checks (database,
// filesystem, memory), the IETF format details and authorisation of the detailed form.
import type { HealthCheck, HealthReport, HealthStatus } from '../../../shared/contract'
import type { ComponentCheck, HealthService } from './types'

export interface HealthDeps {
  version: string
  startedAt: number
}

const ORDER: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 }

export function createHealthService(deps: HealthDeps): HealthService {
  const checks = new Map<string, { check: ComponentCheck; required: boolean }>()
  let last: HealthReport | null = null
  return {
    liveness: () => ({ status: 'pass', version: deps.version }),
    async readiness(detailed) {
      let status: HealthStatus = 'pass'
      const all: Record<string, HealthCheck[]> = {}
      for (const [, { check, required }] of checks) {
        const result = await check()
        for (const [key, list] of Object.entries(result)) {
          all[key] = list
          for (const item of list) {
            const effective: HealthStatus = item.status === 'fail' && !required ? 'warn' : item.status
            if (ORDER[effective] > ORDER[status]) status = effective
          }
        }
      }
      last = { status, checks: all, version: deps.version, uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000) }
      return detailed ? last : { status }
    },
    register(name, check, options) {
      checks.set(name, { check, required: options?.required ?? true })
      return () => checks.delete(name)
    },
    last: () => last,
  }
}
