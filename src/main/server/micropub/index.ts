export { createMicropubService, type MicropubService, type MicropubServiceDeps } from './service'
export { micropubRoutes, type MicropubRoutesDeps } from './routes'
