import { Router } from 'express'
import { cachedBody, sendEntry, type CachedBody } from './page-cache'
import { ADMIN_EDITOR_JS } from './static/admin-editor'
import { ADMIN_CSS } from './static/admin-style'
import { STYLE_CSS } from './static/style'

interface StaticAsset {
  source: string
  type: string
  /** Built (ETag and compressed copies) on first request, once: starting the server compresses nothing. */
  entry?: Promise<CachedBody>
}

const ASSETS = new Map<string, StaticAsset>([
  ['/style.css', { source: STYLE_CSS, type: 'text/css; charset=utf-8' }],
  ['/admin-editor.js', { source: ADMIN_EDITOR_JS, type: 'text/javascript; charset=utf-8' }],
  ['/admin.css', { source: ADMIN_CSS, type: 'text/css; charset=utf-8' }],
])

/** The assets public pages use (a static copy of the site carries these; the admin's stay on the server). */
export const PUBLIC_STATIC_PATHS: readonly string[] = ['/static/style.css']

/**
 * /static/...: the site's own assets, with ETag revalidation (they change only with a new release), brotli or
 * gzip when the client takes it. They hold no secret, so they are compressed for the admin too.
 */
export function staticRoutes(): Router {
  const router = Router()
  router.get('/static/{*path}', async (req, res, next) => {
    const found = ASSETS.get(req.path.slice('/static'.length))
    if (!found) return next()
    found.entry ??= cachedBody(Buffer.from(found.source, 'utf8'), found.type)
    const entry = await found.entry
    res.setHeader('Content-Type', found.type)
    if (Object.keys(entry.encoded).length > 0) res.setHeader('Vary', 'Accept-Encoding')
    res.setHeader('Cache-Control', 'public, max-age=3600, must-revalidate')
    sendEntry(req, res, entry)
  })
  return router
}
