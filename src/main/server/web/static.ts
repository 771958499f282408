import { createHash } from 'node:crypto'
import { Router } from 'express'
import { isNotModified } from './page-cache'
import { ADMIN_EDITOR_JS } from './static/admin-editor'
import { ADMIN_CSS } from './static/admin-style'
import { STYLE_CSS } from './static/style'

interface StaticAsset {
  body: Buffer
  type: string
  etag: string
}

function asset(body: string, type: string): StaticAsset {
  const buffer = Buffer.from(body, 'utf8')
  return { body: buffer, type, etag: `"${createHash('sha256').update(buffer).digest('base64url').slice(0, 22)}"` }
}

const ASSETS = new Map<string, StaticAsset>([
  ['/style.css', asset(STYLE_CSS, 'text/css; charset=utf-8')],
  ['/admin-editor.js', asset(ADMIN_EDITOR_JS, 'text/javascript; charset=utf-8')],
  ['/admin.css', asset(ADMIN_CSS, 'text/css; charset=utf-8')],
])

/** The assets public pages use (a static copy of the site carries these; the admin's stay on the server). */
export const PUBLIC_STATIC_PATHS: readonly string[] = ['/static/style.css']

/** /static/...: the site's own assets, with ETag revalidation (they change only with a new release). */
export function staticRoutes(): Router {
  const router = Router()
  router.get('/static/{*path}', (req, res, next) => {
    const found = ASSETS.get(req.path.slice('/static'.length))
    if (!found) return next()
    res.setHeader('Content-Type', found.type)
    res.setHeader('ETag', found.etag)
    res.setHeader('Cache-Control', 'public, max-age=3600, must-revalidate')
    if (isNotModified(req, found.etag)) return void res.status(304).end()
    res.send(found.body)
  })
  return router
}
