export type { Logger, LogFields, RequestContext, LogBuffer } from './types'
export { createLogging, type Logging, type LoggingOptions } from './logging'
export { requestLogging } from './http'
