export { buildRobots, buildSitemap, DISALLOWED_PATHS, SITEMAP_MAX_NOTES, SITEMAP_MAX_TAGS, SITEMAP_NAMESPACE } from './sitemap'
export { discoveryRoutes, type DiscoveryRoutesDeps } from './routes'
export { createWebSubPublisher, publishNoteChanges, topicsOf, WEBSUB_RETRY_DELAYS_MS, type WebSubPublisher, type WebSubPublisherDeps } from './websub'
