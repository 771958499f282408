import './locals'
export { renderPage } from './render'
export { Layout, AuthorCard, DiscoveryLinks, endpointBase, IconLinks, siteHref, type LayoutProps } from './layout'
export { notePreview, sitePreview, siteImage, PREVIEW_ICON_PATH, type PagePreview, type PreviewImage } from './preview'
export { renderErrorPage, renderGonePage } from './error-page'
export {
  PageCache,
  combinedVersion,
  sendCacheable,
  sendEntry,
  cachedBody,
  etagOf,
  isNotModified,
  publicCacheControl,
  selectRepresentation,
  varyFor,
  type CachedBody,
  type EncodedBody,
  type SendOptions,
  type ServedListener,
} from './page-cache'
export { publicRoutes, parsePage, describeNote, contextsFor, typePath, TYPE_ARCHIVE_LABELS, type PublicRoutesDeps } from './public-routes'
export { noteUrl, tagPath, NO_RESPONSES, type ResponseData } from './pages'
export { staticRoutes, PUBLIC_STATIC_PATHS } from './static'
export { entryExtras, safeUrl, responseTitle, type EntryExtras, type ResponseTarget, type LocationView } from './entry-extras'
export { addWebSubLinks } from './websub-links'
