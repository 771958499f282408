import { createServer as createHttpServer, request as httpRequest } from 'node:http'
import express from 'express'
import type { Config } from './config'
import type { Db } from './db'
import { discoveryRoutes } from './discovery'
import { errorHandler, notFoundHandler } from './errors'
import { feedRoutes } from './feeds'
import type { Logger } from './logging'
import { mediaRoutes, type MediaService } from './media'
import type { NotesService } from './notes'
import { searchRoutes, type SearchService } from './search'
import { createSiteIcons, ICON_PATHS, siteIconRoutes } from './site-icon'
import {
  createSiteExportActions,
  createSiteExporter,
  createSiteMirror,
  siteInventory,
  SITE_FILES,
  type SiteExportActions,
  type SiteExporter,
  type SiteMirror,
  type SiteRenderer,
  type SiteResponse,
} from './site-export'
import { PageCache, PUBLIC_STATIC_PATHS, publicRoutes, type PublicRoutesDeps, renderErrorPage, renderGonePage, staticRoutes } from './web'

export interface SiteRendererDeps {
  /** The server's live configuration (the author profile is edited in place): copied at each export. */
  config: Config
  db: Db
  notes: NotesService
  media: MediaService
  search: SearchService
  /** What pages derive from (notes and the author profile): the page cache's version. */
  pages: { readonly version: number }
  logger: Logger
  /** The mentions shown under a note (set once Webmention is wired, which comes after the exporter). */
  responses?: { for?: PublicRoutesDeps['responsesFor'] }
}

/**
 * The public site as the live server renders it, for a static copy at `baseUrl`: the same routers (pages,
 * feeds, search, media, static assets, the error page) on a configuration whose site URL is the copy's and
 * which says it is a static copy (endpoint links only at the live URL, path-based pagination). It listens on
 * a free loopback port only while an export runs, and is asked through real HTTP like any visitor, so what
 * is exported cannot drift from what the server sends. No session is ever loaded: visitors' view only.
 */
export async function openSiteRenderer(deps: SiteRendererDeps, baseUrl: string): Promise<SiteRenderer> {
  const config: Config = { ...deps.config, siteUrl: baseUrl, staticCopy: true }
  const cache = new PageCache({ db: deps.db, source: deps.pages })
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  app.use(staticRoutes())
  const responsesFor = deps.responses?.for
  app.use(publicRoutes({ config, db: deps.db, notes: deps.notes, media: deps.media, cache, ...(responsesFor ? { responsesFor } : {}) }))
  app.use(feedRoutes({ config, db: deps.db, notes: deps.notes, media: deps.media, cache }))
  app.use(searchRoutes({ config, search: deps.search }))
  app.use(discoveryRoutes({ config, db: deps.db, notes: deps.notes, cache }))
  app.use(siteIconRoutes(createSiteIcons({ config, media: deps.media, logger: deps.logger.child({ component: 'site-icon' }) })))
  app.use(mediaRoutes(deps.media))
  app.use(notFoundHandler)
  // A static host has no request to name: the copy's 404 page carries no request ID.
  app.use(errorHandler({ logger: deps.logger, renderErrorPage: (info, status) => renderErrorPage(config, info, status, null) }))

  const server = createHttpServer(app)
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : 0)
    })
  })

  return {
    get: (path) => get(port, path),
    gonePage: (path) => renderGonePage(config, path),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** One GET on the loopback listener, the body collected whole (pages, feeds, a media file). */
function get(port: number, path: string): Promise<SiteResponse> {
  return new Promise<SiteResponse>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers: { accept: 'text/html', 'x-request-id': 'site-export' }, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The files every copy carries besides pages and media: feeds, OPML, sitemap, robots.txt, icons, the stylesheet. */
export const SITE_EXPORT_FILES: readonly string[] = [
  ...SITE_FILES,
  '/sitemap.xml',
  '/robots.txt',
  ICON_PATHS.favicon,
  ICON_PATHS.appleTouch,
  ICON_PATHS.appleTouchPrecomposed,
  ICON_PATHS.manifest,
  ...[32, 192, 512].map(ICON_PATHS.png),
  ...PUBLIC_STATIC_PATHS,
]

export interface SiteExportParts {
  exporter: SiteExporter
  actions: SiteExportActions
  /** Present when STARPUNK_MIRROR_DIR is set. */
  mirror: SiteMirror | null
  close(): Promise<void>
}

/**
 * The exporter on this server's own routes, the admin's "Export site" actions, and the mirror kept current
 * after every note write (the write hook only counts the change; the export runs later, in the background).
 */
export function createSiteExport(deps: SiteRendererDeps & { mirrorDebounceMs?: number }): SiteExportParts {
  const { config, notes, media, logger } = deps
  const exporter = createSiteExporter({
    inventory: siteInventory(notes, media),
    openRenderer: (baseUrl) => openSiteRenderer(deps, baseUrl),
    siteUrl: () => config.siteUrl,
    files: SITE_EXPORT_FILES,
    logger: logger.child({ component: 'site-export' }),
  })
  const actions = createSiteExportActions({ exporter, dataDir: config.dataDir, mirrorDir: config.publicSite.mirrorDir, baseUrl: () => config.siteUrl, logger: logger.child({ component: 'site-export' }) })
  let mirror: SiteMirror | null = null
  let unhook = () => {}
  if (config.publicSite.mirrorDir) {
    const created = createSiteMirror({
      exporter,
      dir: config.publicSite.mirrorDir,
      baseUrl: () => config.siteUrl,
      logger: logger.child({ component: 'mirror' }),
      ...(deps.mirrorDebounceMs !== undefined ? { debounceMs: deps.mirrorDebounceMs } : {}),
    })
    mirror = created
    unhook = notes.onWrite(() => created.changed())
    // The mirror starts from what the site is now (a change made while the server was down included).
    created.changed()
  }
  return {
    exporter,
    actions,
    mirror,
    async close() {
      unhook()
      await mirror?.close()
    },
  }
}
