import { Router } from 'express'
import type { MediaService } from './types'

/** GET /media/<uuid>[-<width>].<ext>: a cleaned variant with the type the pipeline wrote, cached for a year
 * (a name is written once and never changes), embeddable from any origin. */
export function mediaRoutes(media: MediaService): Router {
  const router = Router()
  router.get('/media/:file', async (req, res, next) => {
    const found = await media.find(req.params.file)
    if (!found) {
      next()
      return
    }
    res.type(found.mime)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    // Photos are meant to be shown elsewhere too (feed readers, syndication copies): helmet's same-origin
    // default would make browsers refuse to embed them on any other site.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin')
    res.sendFile(found.filename, { root: media.dir, dotfiles: 'deny', maxAge: 365 * 24 * 3600 * 1000, immutable: true, lastModified: true }, (err) => {
      if (err && !res.headersSent) next()
    })
  })
  return router
}
