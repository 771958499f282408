export type { HealthService, ComponentCheck } from './types'
export { createHealthService, type HealthDeps } from './service'
export { healthRoutes } from './routes'
