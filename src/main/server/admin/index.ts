export { adminRoutes, type AdminRoutesDeps } from './routes'
export { adminNotePath } from './pages'
