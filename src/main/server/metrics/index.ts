export { createMetricsCollector, type MetricsCollector, type MetricsCollectorDeps, type MetricsWindow, type ObservedRequest, type SeriesWindow } from './collector'
export { ROUTE_GROUPS, routeGroup, statusClass, methodLabel, type RouteGroup } from './route-group'
export { LATENCY_BUCKETS_SECONDS, quantileFromBuckets } from './buckets'
export { metricsMiddleware } from './express'
export { metricsRoutes, type MetricsGuard } from './routes'
export { metricsAccess } from './guard'
export { measureDisk, diskCheck, diskStatus, type DiskPaths, type DiskUsage } from './disk'
export {
  OVERALL,
  componentStatuses,
  computeUptime,
  decideAlert,
  incidentAction,
  trayText,
  formatPercent,
  INITIAL_ALERT_STATE,
  type Alert,
  type AlertState,
  type ComponentStatus,
  type OpenIncident,
  type Uptime,
} from './health-history'
export {
  openMetricsHistory,
  EVENT_TYPES,
  RAW_RESOLUTION_S,
  ROLLUP_RESOLUTION_S,
  RAW_RETENTION_MS,
  type EventType,
  type HistoryEvent,
  type HistoryStatus,
  type Incident,
  type MetricsHistory,
  type MetricsHistoryOptions,
  type TrafficBucket,
  type TrafficResult,
  type SeriesStats,
  type HeartbeatSample,
} from './history/store'
export { createMetricsScheduler, type MetricsScheduler, type MetricsSchedulerDeps } from './sampler'
export { createMetricsService, METRICS_DB_FILE, type MetricsService, type MetricsServiceDeps, type MonitoringReader } from './service'
