export type { HealthService, ComponentCheck, NamedCheck } from './types'
export { createHealthService, databaseCheck, filesystemCheck, memoryCheck, type HealthDeps, type TimedHealthReport } from './service'
export { healthRoutes, type HealthRouteOptions } from './routes'
