export type { ConsoleHost, ConsolePort, ConsoleService, CallHandlers, CallHandler, PushedEvent } from './types'
export { createConsoleService, type ConsoleServiceOptions } from './service'
export { createFixedHost } from './host'
export { consoleRoutes, findRendererDir, CONSOLE_PATH, CONSOLE_CSP, type ConsoleRoutesDeps, type ConsoleTransport } from './http'
