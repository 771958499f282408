export type { ConsoleHost, ConsoleService, CallHandlers, CallHandler, PushedEvent } from './types'
export { createConsoleService, type ConsoleServiceOptions } from './service'
export { createFixedHost, createSupervisor, type ServerSupervisor, type SupervisorOptions } from './host'
export { consoleRoutes, findRendererDir, CONSOLE_PATH, CONSOLE_CSP, type ConsoleRoutesDeps, type ConsoleTransport } from './http'
