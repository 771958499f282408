import { Router } from 'express'
import type { Config } from '../config'
import type { Db } from '../db'
import { methodNotAllowed } from '../errors'
import type { NotesService } from '../notes'
import { PageCache, publicCacheControl, sendCacheable } from '../web'
import { buildRobots, buildSitemap, SITEMAP_MAX_NOTES, SITEMAP_MAX_TAGS } from './sitemap'

export interface DiscoveryRoutesDeps {
  config: Config
  db: Db
  notes: Pick<NotesService, 'publicIndex' | 'version'>
  /** Shared with pages and feeds so one write refreshes the sitemap with them. */
  cache?: PageCache
}

/** `/sitemap.xml` and `/robots.txt`, cached and revalidated like every other public route. */
export function discoveryRoutes({ config, db, notes, cache = new PageCache({ db, source: notes }) }: DiscoveryRoutesDeps): Router {
  const router = Router()
  const cacheControl = publicCacheControl(config.cache)
  router.get('/sitemap.xml', async (req, res) => {
    const build = async () => buildSitemap(config, await notes.publicIndex({ notes: SITEMAP_MAX_NOTES, tags: SITEMAP_MAX_TAGS }))
    await sendCacheable(req, res, cache, 'sitemap', build, { contentType: 'application/xml; charset=utf-8', cacheControl })
  })
  router.get('/robots.txt', async (req, res) => {
    await sendCacheable(req, res, cache, 'robots', () => Promise.resolve(buildRobots(config)), { contentType: 'text/plain; charset=utf-8', cacheControl })
  })
  router.all(['/sitemap.xml', '/robots.txt'], methodNotAllowed(['GET', 'HEAD']))
  return router
}
