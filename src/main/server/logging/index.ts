export type { Logger, LogFields, RequestContext, LogBuffer } from './types'
export { createLogging, RingBuffer, LEVELS, LOG_FILE_NAME, DEFAULT_BUFFER_CAPACITY, type Logging, type LoggingOptions } from './logging'
export { requestLogging, acceptRequestId, parseTraceparent } from './http'
export { createRedactor, formatHuman, formatJson, escapeControl, isSecretName, REDACTED } from './format'
