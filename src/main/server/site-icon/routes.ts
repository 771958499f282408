import { Router } from 'express'
import { methodNotAllowed } from '../errors'
import { isNotModified } from '../web'
import type { SiteIcons } from './service'

/** Icons revalidate within an hour of a new photo; the ETag makes the check a 304. */
const ICON_CACHE_CONTROL = 'public, max-age=3600'

/** `/favicon.ico`, `/icons/icon-N.png`, `/apple-touch-icon.png`, `/manifest.webmanifest`, with ETag/304. */
export function siteIconRoutes(icons: SiteIcons): Router {
  const router = Router()
  router.get(icons.paths as string[], async (req, res, next) => {
    const file = await icons.file(req.path)
    if (!file) return next()
    res.setHeader('Content-Type', file.type)
    res.setHeader('ETag', file.etag)
    res.setHeader('Cache-Control', ICON_CACHE_CONTROL)
    if (isNotModified(req, file.etag)) return void res.status(304).end()
    res.setHeader('Content-Length', file.body.length)
    res.end(req.method === 'HEAD' ? undefined : file.body)
  })
  router.all(icons.paths as string[], methodNotAllowed(['GET', 'HEAD']))
  return router
}
