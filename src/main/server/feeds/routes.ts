import { Router, type Request, type Response } from 'express'
import type { Config } from '../config'
import type { Db } from '../db'
import { appError, methodNotAllowed } from '../errors'
import type { NotesService } from '../notes'
import { addWebSubLinks, PageCache, publicCacheControl, sendCacheable } from '../web'
import { photoInfoFor, type PhotoSource } from '../web/photos'
import { buildAtom, buildJsonFeed, buildOpml, buildRss, FEED_TYPES, type FeedData, type FeedFormat } from './build'

export interface FeedRoutesDeps {
  config: Config
  db: Db
  notes: NotesService
  /** Our uploads' variants: enclosures with their real size and type (absent: photos without enclosures). */
  media?: PhotoSource
  cache?: PageCache
}

const CONTENT_TYPES: Record<FeedFormat | 'opml', string> = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
  opml: 'text/x-opml; charset=utf-8',
}

/**
 * What `/feed` offers, in order of preference when the client has none (no Accept or `*\/*` → RSS).
 * Generic XML/JSON types map to the feed in that syntax.
 */
const NEGOTIABLE: Array<[string, FeedFormat]> = [
  ['application/rss+xml', 'rss'],
  ['application/atom+xml', 'atom'],
  ['application/feed+json', 'json'],
  ['application/json', 'json'],
  ['application/xml', 'rss'],
  ['text/xml', 'rss'],
]

/** Pick a feed format from Accept (q-values honoured by Express's negotiator); null when nothing fits. */
export function chooseFeedFormat(req: Request): FeedFormat | null {
  if (!req.headers.accept) return 'rss'
  const best = req.accepts(NEGOTIABLE.map(([type]) => type))
  if (!best) return null
  return NEGOTIABLE.find(([type]) => type === best)![1]
}

/** `/feed.rss`, `/feed.atom`, `/feed.json`, `/feed` (by Accept) and `/opml.xml`. */
export function feedRoutes({ config, db, notes, media, cache = new PageCache({ db, source: notes }) }: FeedRoutesDeps): Router {
  const router = Router()
  const builders: Record<FeedFormat | 'opml', (data: FeedData) => string> = {
    rss: buildRss,
    atom: buildAtom,
    json: buildJsonFeed,
    opml: buildOpml,
  }

  // The pages' family; the deprecated STARPUNK_FEED_CACHE_SECONDS, when set, is still the feeds' max-age.
  const cacheControl = publicCacheControl({ ...config.cache, maxAge: config.feed.cacheSeconds ?? config.cache.maxAge })

  async function feedData(): Promise<FeedData> {
    // Feeds never show drafts or deleted notes, whoever asks.
    const { notes: items } = await notes.list({ limit: config.feed.maxItems, offset: 0, maxHtmlBytes: config.feed.maxBytes, withTotal: false })
    const updated = items.reduce((latest, note) => (note.updatedAt > latest ? note.updatedAt : latest), items[0]?.createdAt ?? '')
    return { config, notes: items, updated: updated || new Date().toISOString(), photos: await photoInfoFor(media, config, items) }
  }

  async function send(req: Request, res: Response, format: FeedFormat | 'opml') {
    if (format !== 'opml') addWebSubLinks(res, config, `${config.siteUrl}${FEED_TYPES[format].path}`)
    await sendCacheable(req, res, cache, `feed:${format}`, async () => builders[format](await feedData()), {
      contentType: CONTENT_TYPES[format],
      cacheControl,
    })
  }

  router.get('/feed.rss', (req, res) => send(req, res, 'rss'))
  router.get('/feed.atom', (req, res) => send(req, res, 'atom'))
  router.get('/feed.json', (req, res) => send(req, res, 'json'))
  router.get('/opml.xml', (req, res) => send(req, res, 'opml'))
  router.get('/feed', async (req, res) => {
    const format = chooseFeedFormat(req)
    if (!format) {
      const formats = Object.values(FEED_TYPES)
      throw appError('NOT_ACCEPTABLE', {
        vars: {
          available: formats.map((f) => `${f.mediaType} (${f.label})`).join(', '),
          links: formats.map((f) => `${config.siteUrl}${f.path}`).join(', '),
        },
      })
    }
    res.setHeader('Content-Location', FEED_TYPES[format].path)
    await send(req, res, format)
  })
  router.all(['/feed', '/feed.rss', '/feed.atom', '/feed.json', '/opml.xml'], methodNotAllowed(['GET', 'HEAD']))
  return router
}
