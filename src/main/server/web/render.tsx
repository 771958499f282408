import type { ReactElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'

/** Server-side pages are React components rendered to static HTML: escaping is automatic. */
export function renderPage(element: ReactElement): string {
  return '<!doctype html>' + renderToStaticMarkup(element)
}
