import './locals'
export { renderPage } from './render'
export { Layout, type LayoutProps } from './layout'
export { renderErrorPage } from './error-page'
