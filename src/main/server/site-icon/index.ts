export { createSiteIcons, ICON_PATHS, type IconFile, type SiteIcons, type SiteIconsDeps } from './service'
export { siteIconRoutes } from './routes'
