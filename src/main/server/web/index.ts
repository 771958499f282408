import './locals'
export { renderPage } from './render'
export { Layout, AuthorCard, DiscoveryLinks, endpointBase, IconLinks, siteHref, type LayoutProps } from './layout'
export { notePreview, sitePreview, siteImage, PREVIEW_ICON_PATH, type PagePreview, type PreviewImage } from './preview'
export { renderErrorPage, renderGonePage } from './error-page'
export {
  PageCache,
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
export { publicRoutes, parsePage, describeNote, type PublicRoutesDeps } from './public-routes'
export { noteUrl, tagPath } from './pages'
export { staticRoutes, PUBLIC_STATIC_PATHS } from './static'
export { entryExtras, safeUrl, type EntryExtras } from './entry-extras'
export { addWebSubLinks } from './websub-links'
