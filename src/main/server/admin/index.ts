export { adminRoutes, type AdminRoutesDeps } from './routes'
export { adminNotePath } from './pages'
export { createAuthorProfile, PROFILE_SETTINGS, type AuthorProfile, type ProfileField, type ProfileSetting } from './profile'
export { createAdminParts, type AdminParts } from './parts'
