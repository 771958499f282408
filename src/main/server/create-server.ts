import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import express, { type Express } from 'express'
import helmet from 'helmet'
import type { Config } from './config'
import { createCore, type Core, type CoreObservers } from './core'
import { appError, clientErrorHandler, errorHandler, notFoundHandler } from './errors'
import { createHealthService, healthRoutes } from './health'
import { requestLogging, type LoggingOptions } from './logging'
import { feedRoutes } from './feeds'
import { authRoutes, createAuthService, SESSION_COOKIE, type AuthInternals, type AuthServiceOptions } from './auth'
import { adminRoutes, createAdminParts, siteExportAdminRoutes } from './admin'
import { searchRoutes } from './search'
import { createClientRedirectLookup, createTokensService, indieauthRoutes, tokensAdminRoutes, type TokensServiceDeps } from './tokens'
import { mediaRoutes, openMedia, type MediaService } from './media'
import { createMicropubService, micropubRoutes } from './micropub'
import type { ServerContext } from './context'
import { consoleRoutes, createConsoleService, createFixedHost, type ConsolePort, type ConsoleService, type ConsoleTransport } from './console'
import { listeningUrlOf, siteBaseFor } from './site'
import { combinedVersion, describeNote, PageCache, publicRoutes, renderErrorPage, staticRoutes, type PublicRoutesDeps } from './web'
import { renderNotePage } from './web/pages'
import { createWebmentionService, noteConversation, webmentionAdminRoutes, webmentionLinkHeader, webmentionRoutes, WEBMENTION_PATH, WEBMENTION_STATUS_PATH, type WebmentionService } from './webmention'
import type { WebmentionEvent } from '../../shared/contract'
import { createWebSubPublisher, discoveryRoutes, publishNoteChanges, type WebSubPublisher } from './discovery'
import { createSiteIcons, siteIconRoutes } from './site-icon'
import { VERSION } from './version'
import { createOutbound, outboundUserAgent, type Resolver } from './outbound'
import { createBackupService, type BackupService } from './backup'
import { createRemoteMedia } from './remote-media'
import { responseTargets } from './notes'
import { createReplyContexts } from './reply-contexts'
import { createSourceParser } from './webmention'
import { createFastPath, type FastPath } from './fast-path'
import { createSiteExport, type SiteExportParts } from './site-export-app'
import { createMetricsService, metricsAccess, metricsMiddleware, metricsRoutes, type MetricsService, type MetricsServiceDeps } from './metrics'

export interface CreateServerOptions {
  logging?: LoggingOptions
  /** The console service of a supervisor that outlives this server (desktop app); default: one of its own. */
  console?: ConsoleService
  /** Auth knobs for tests: an injectable clock, rate-limit budget, link lifetime, outbound timeout. */
  auth?: Pick<AuthServiceOptions, 'clock' | 'loginFailures' | 'loginLinkTtlMs' | 'cleanupIntervalMs' | 'fetchTimeoutMs'>
  /** Token knobs for tests: a clock, the external verification timeout and cache lifetime. */
  tokens?: Pick<TokensServiceDeps, 'now' | 'external'>
  /** Outbound knobs for tests: a resolver, so host names can point at loopback servers without DNS. */
  outbound?: { resolver?: Resolver }
  /** WebSub knobs for tests: shorter waits between retries of a failed ping. */
  websub?: { retryDelaysMs?: readonly number[] }
  /** Readiness held a new status for STARPUNK_ALERT_SAMPLES samples (the desktop's native notification). */
  onAlert?: MetricsServiceDeps['onAlert']
  /** Mirror knob for tests: the wait after a note change before the mirror is exported again. */
  mirrorDebounceMs?: number
  /**
   * Awaited before each Webmention is sent for a note (a static mirror publishing the page first, so the
   * receiver can fetch it). Default: none.
   */
  webmention?: { beforeSend?: (noteId: number) => Promise<void> }
}

export interface StarpunkServer {
  readonly app: Express
  readonly context: ServerContext
  /** What the console reads from this server (status, stats, readiness, logs, login links). */
  readonly consolePort: ConsolePort
  /** The URL it listens on (bound before wiring, so final from the start). */
  readonly url: string
  /** The listening URL. createServer already bound the socket (it rejects with PORT_IN_USE itself). */
  listen(): Promise<string>
  /** Stop accepting, finish in-flight requests (bounded), close the pool and the logs. */
  close(): Promise<void>
  /** The fast path in front of Express (switchable at run time; `stats()` counts what it answered). */
  readonly fastPath: FastPath
  /** Note a console action in the monitoring history (with the request ID of the call, if any). */
  recordEvent(event: { type: 'config_saved' | 'server_restart'; message: string }): void
}

/**
 * Bind the socket, then wire every capability once. Binding first makes the listening address, and so
 * the site's base URL, final before anything derives a link from it (port 0 included). The Electron
 * supervisor and the headless CLI both call this. Rejects with PORT_IN_USE before opening anything.
 */
export async function createServer(configured: Config, options: CreateServerOptions = {}): Promise<StarpunkServer> {
  // Requests that arrive in the moment between binding and wiring wait here, then go to the app.
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | null = null
  const early: Array<[IncomingMessage, ServerResponse]> = []
  const httpServer = createHttpServer((req, res) => {
    if (handle) handle(req, res)
    else early.push([req, res])
  })
  const url = await bind(httpServer, configured)
  let closed = false
  const closeHttp = async (): Promise<void> => {
    if (closed) return
    closed = true
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve())
      httpServer.closeIdleConnections()
      // Bounded: in-flight requests get a few seconds, then the rest are cut.
      setTimeout(() => httpServer.closeAllConnections(), 5_000).unref()
    })
  }

  let wired: Wired
  try {
    wired = await wire(configured, url, options)
  } catch (err) {
    httpServer.closeAllConnections()
    await closeHttp()
    throw err
  }
  const { app, context, consolePort, consoleTransport, core, auth, media, metrics, siteExport, webmention, backups, fastPath, websub } = wired
  const { logger, logging } = core
  // Requests Node's HTTP parser rejects get the same JSON error (with a logged request ID) as the rest.
  httpServer.on('clientError', clientErrorHandler(logging))
  // Cached public pages, feeds and /health are answered before Express; everything else goes to it.
  handle = (req, res) => {
    if (!fastPath.handle(req, res)) app(req, res)
  }
  for (const [req, res] of early.splice(0)) handle(req, res)
  logger.info('listening', { url, dataDir: configured.dataDir })
  // server_start, then the 10-s points and health samples (unref'd timers, stopped in close()).
  if (configured.metrics.enabled) metrics.start()
  // Verifies what a previous run left queued, then each Webmention as it arrives; sends what is due.
  webmention.start()

  return {
    app,
    context,
    consolePort,
    url,
    fastPath,
    listen: () => Promise.resolve(url),
    async close() {
      // Event streams never finish on their own: end them so closing does not wait out the grace period.
      consoleTransport.closeStreams()
      if (!options.console) context.console.close()
      await closeHttp()
      // The verification and the send in progress finish; whatever still waits stays queued in SQLite.
      await webmention.close()
      auth.close()
      // Pings still waiting to retry are dropped: the next start pings on the next change.
      websub.close()
      // After the last request, before the database: server_stop, the queued samples, then metrics.db closes.
      metrics.close()
      // A backup in progress reads the database files: it finishes before the database closes.
      await backups.close()
      // Before media and the database: an export under way reads both.
      await siteExport.close()
      await context.replyContexts.close()
      await media.close()
      await core.closeData()
      logger.info('shutdown complete')
      await logging.close()
    },
    recordEvent: (event) => metrics.recordEvent({ ...event, requestId: logging.context.getStore()?.requestId ?? null }),
  }
}

/** Listen on config.host:config.port (port 0 picks a free one); the URL it answers on. */
function bind(server: Server, config: Pick<Config, 'host' | 'port'>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(appError('PORT_IN_USE', { vars: { port: config.port, host: config.host }, cause: err }))
      else reject(err)
    })
    server.listen(config.port, config.host, () => {
      const address = server.address()
      resolve(listeningUrlOf(config.host, typeof address === 'object' && address ? address.port : config.port))
    })
  })
}

interface Wired {
  app: Express
  context: ServerContext
  consolePort: ConsolePort
  consoleTransport: ConsoleTransport
  core: Core
  auth: AuthInternals
  media: MediaService
  metrics: MetricsService
  siteExport: SiteExportParts
  webmention: WebmentionService
  backups: BackupService
  fastPath: FastPath
  websub: WebSubPublisher
}

/** Every capability, in dependency order, with the final listening URL. */
async function wire(configured: Config, url: string, options: CreateServerOptions): Promise<Wired> {
  const startedAt = Date.now()
  // One site base for every absolute URL (links, feeds, Micropub locations, the token issuer...).
  const siteBase = siteBaseFor(configured.siteUrl, url)
  const config: Config = { ...configured, siteUrl: siteBase }
  // The core's slow queries, locks and searches reach the metrics, which are created after it.
  const observers: CoreObservers = { db: {}, search: {} }
  const core = await createCore(config, { observers, ...(options.logging ? { logging: options.logging } : {}) })
  // Nothing stays half-open: when a capability fails to start, what was opened before it is closed again.
  const opened: Array<() => unknown> = []
  try {
    return await wireCapabilities(core, { configured, config, siteBase, url, startedAt, options, observers }, opened)
  } catch (err) {
    for (const close of opened.reverse()) await Promise.resolve().then(close).catch(() => undefined)
    await core.close().catch(() => undefined)
    throw err
  }
}

interface WireInputs {
  configured: Config
  /** The configuration with the final site URL. */
  config: Config
  siteBase: string
  url: string
  startedAt: number
  options: CreateServerOptions
  observers: CoreObservers
}

async function wireCapabilities(core: Core, inputs: WireInputs, opened: Array<() => unknown>): Promise<Wired> {
  const { configured, config, siteBase, url, startedAt, options, observers } = inputs
  const { logging, logger, db, notes, search } = core
  // The one way this server talks to other sites; every capability that fetches gets this instance.
  const outbound = createOutbound({
    enabled: config.fetch.enabled,
    allowPrivate: config.fetch.allowPrivate,
    userAgent: () => outboundUserAgent(VERSION, siteBase),
    logger: logger.child({ component: 'outbound' }),
    ...(options.outbound?.resolver ? { resolver: options.outbound.resolver } : {}),
  })
  // WebSub: the hub hears of every committed note change, in the background (never inside a request).
  const websub = createWebSubPublisher({ hub: config.websubHub, outbound, logger: logger.child({ component: 'websub' }), ...options.websub })
  opened.push(() => websub.close())
  if (config.websubHub) opened.push(publishNoteChanges({ siteUrl: siteBase, notes, db, publisher: websub }))
  const auth = createAuthService({ ...options.auth, config, db, logger, outbound })
  opened.push(() => auth.close())
  const tokens = createTokensService({ db, config, logger: logger.child({ component: 'tokens' }), siteBase: () => siteBase, outbound, listeningUrl: () => url, ...options.tokens })
  const media = openMedia({ config, db, logger, siteBase: () => siteBase })
  opened.push(() => media.close())
  // Cleans what a crash left, then reprocesses uploads from before the image pipeline in the background.
  await media.start()
  // Pictures from other sites become our own media: readers' browsers never call a third-party host.
  const remoteMedia = createRemoteMedia({ db, media, outbound, logger: logger.child({ component: 'remote-media' }), siteBase: () => siteBase, maxBytes: Math.min(config.media.maxUploadBytes, 5 * 1024 * 1024) })
  const micropub = createMicropubService({ notes, media, siteBase: () => siteBase })
  // Targets of replies, likes, reposts and bookmarks: fetched after the write commits, never while a page waits.
  const replyContexts = createReplyContexts({
    db,
    outbound,
    logger: logger.child({ component: 'reply-contexts' }),
    parser: createSourceParser({ logger: logger.child({ component: 'reply-contexts' }) }),
    refuseOrigins: () => [siteBase, url],
    remoteMedia,
  })
  opened.push(() => replyContexts.close())
  notes.onWrite((_conn, event) => {
    if (event.type === 'purged' || event.type === 'deleted') return
    const targets = responseTargets(event.note)
    if (targets.length) setImmediate(() => replyContexts.request(targets))
  })
  const requestId = (): string | null => logging.context.getStore()?.requestId ?? null
  // Reads readiness through callbacks: its disk check goes into the health service below.
  const metrics = createMetricsService({
    config,
    readiness: () => health.readiness(true),
    lastHealth: () => health.last(),
    pool: () => db.stats(),
    requestId,
    logFile: () => logging.fileStatus(),
    logger: logger.child({ component: 'metrics' }),
    ...(options.onAlert ? { onAlert: options.onAlert } : {}),
  })
  opened.push(() => metrics.close())
  observers.db.slowQuery = (info) => metrics.slowQuery(info)
  observers.db.locked = (info) => metrics.databaseLocked(info)
  observers.search.searched = (engine, seconds, failed) => metrics.collector.observeSearch(engine, seconds, failed)
  // "Back up now" (console and admin): one at a time, the database copied in a worker thread.
  const backups = createBackupService({
    layout: { dataDir: config.dataDir, databasePath: config.databasePath, mediaDir: config.mediaDir, nativeBinding: config.db.nativeBinding },
    keep: config.backup.keep,
    appVersion: VERSION,
    logger: logger.child({ component: 'backup' }),
  })
  await backups.start()
  opened.push(() => backups.close())
  const health = createHealthService({
    version: VERSION,
    startedAt,
    db,
    dataDir: config.dataDir,
    memoryThresholdMb: config.health.memoryThresholdMb,
    logger: logger.child({ component: 'health' }),
    // Each capability returns its own readiness components; they are registered here, and only here.
    checks: [...core.healthChecks, ...media.healthChecks, ...metrics.healthChecks],
  })

  // The author profile (edited in the admin) is part of every page and feed: their caches follow it too.
  const admin = createAdminParts({ config, db, notes, logger, siteBase: () => siteBase })
  // Static copies of the public site: the admin's "Export site" and the mirror, rendered by the same routers.
  // Mentions under a note are wired below (Webmention needs the mirror first); the copy asks at each export.
  const noteResponses: { for?: PublicRoutesDeps['responsesFor'] } = {}
  const siteExport = createSiteExport({ config, db, notes, media, search, pages: admin.pages, logger, responses: noteResponses, ...(options.mirrorDebounceMs !== undefined ? { mirrorDebounceMs: options.mirrorDebounceMs } : {}) })
  opened.push(() => siteExport.close())

  const consolePort: ConsolePort = {
    startedAt,
    siteUrl: config.siteUrl,
    searchEngine: () => search.engine ?? 'disabled',
    poolStats: () => db.stats(),
    readiness: () => health.readiness(true),
    lastHealth: () => health.last(),
    logs: logging.buffer,
    issueLoginLink: () => auth.issueLoginLink(),
    logger,
    monitoring: config.metrics.enabled ? metrics.monitoring : null,
    onAlert: (listener) => metrics.onAlert((alert) => listener(alert)),
    siteExport: siteExport.actions,
    backups,
  }
  const onSaved = () => metrics.recordEvent({ type: 'config_saved', message: 'Configuration saved from the console.', requestId: requestId() })
  const consoleService = options.console ?? createConsoleService(createFixedHost({ config, server: () => consolePort, url: () => url, onSaved }))

  const ownOrigins = () => [configured.siteUrl, siteBase, url].filter(Boolean)
  const mentionListeners = new Set<(event: WebmentionEvent) => void>()
  consolePort.onWebmention = (listener) => {
    mentionListeners.add(listener)
    return () => mentionListeners.delete(listener)
  }
  // Receivers fetch the source from the site URL: with a mirror, a Webmention waits until the mirror holds the post.
  const mirror = siteExport.mirror
  const beforeSend =
    options.webmention?.beforeSend ??
    (mirror
      ? async () => {
          await mirror.whenCurrent()
        }
      : undefined)
  const webmention = createWebmentionService({
    db,
    notes,
    outbound,
    logger,
    siteBase: () => siteBase,
    ownOrigins,
    moderationPolicy: () => config.webmention.moderation,
    // Mentions between our own posts are read from the page a visitor would get, without HTTP.
    renderOwnPage: async (slug) => {
      const note = await notes.get(slug, { includeDeleted: true })
      if (!note) return null
      if (note.deletedAt) return { status: 410, html: '' }
      return { status: 200, html: renderNotePage(config, null, note, describeNote(note.html)) }
    },
    avatars: remoteMedia,
    // Mention rows live beside the notes, but the page cache's change key does not follow them: drop that page.
    onPageChanged: (slug) => pageCache.invalidate(`note:${slug}`),
    onMention: (mention, change, slug) => {
      const event: WebmentionEvent = {
        change,
        type: mention.type,
        moderation: mention.moderation,
        source: mention.source,
        target: mention.target,
        slug,
        authorName: mention.author.name,
        time: Date.now(),
      }
      for (const listener of mentionListeners) listener(event)
    },
    ...(beforeSend ? { beforeSend } : {}),
  })
  opened.push(() => webmention.close())
  noteResponses.for = (note) => webmention.responsesFor(note)
  const siteExports = { actions: siteExport.actions, mirror: siteExport.mirror }
  const context: ServerContext = { config, version: VERSION, startedAt, logging, logger, db, health, notes, search, console: consoleService, auth, tokens, micropub, media, remoteMedia, replyContexts, outbound, metrics, webmention, websub, siteExport: siteExports }

  const app = express()
  app.disable('x-powered-by')
  // X-Forwarded-* are believed only from the proxies named in STARPUNK_TRUSTED_PROXIES (none by default).
  app.set('trust proxy', config.trustedProxies.length > 0 ? config.trustedProxies : false)
  app.use(requestLogging(logging))
  // Right after the access log, so both see every request (errors, 404s, refused ones too).
  app.use(metricsMiddleware(metrics.collector, () => metrics.collecting))
  app.use(helmet())
  // Every response names the Webmention endpoint (W3C Webmention §3.1.2), as every page's <link> does.
  const endpointLink = webmentionLinkHeader(`${siteBase}${WEBMENTION_PATH}`)
  app.use((_req, res, next) => {
    res.append('Link', endpointLink)
    next()
  })
  // Request-wide middleware (static files, session loading); body parsers stay scoped to their routes.
  app.use(staticRoutes())
  app.use(auth.guards.loadSession)

  // A memo of what the stack below answers: the page caches and /health hand it their visitor responses.
  const fastPath = createFastPath({
    logging,
    metrics: { observeRequest: (request) => metrics.collector.observeRequest(request), collecting: () => metrics.collecting },
    liveness: () => health.liveness(),
    sessionCookie: SESSION_COOKIE,
    enabled: config.fastPath,
  })
  app.use(healthRoutes(health, { token: config.health.token, detailed: config.health.detailed, onLiveness: fastPath.rememberLiveness }))
  if (config.metrics.enabled) app.use(metricsRoutes({ collector: metrics.collector, allowed: metricsAccess({ token: config.health.token, open: config.metrics.public }) }))
  // One line per capability; each router states its own error format for its paths.
  // The author profile (edited in the admin) is part of every page and feed: their caches follow it too.
  // The note pages' cache: a mention shown on one note drops that page from it (and so from the fast path).
  // Pages and feeds also show reply contexts: one arriving rebuilds them like a note write.
  const shown = combinedVersion(admin.pages, replyContexts)
  const pageCache = new PageCache({ db, source: shown, onServed: fastPath.remember })
  app.use(publicRoutes({ config, db, notes, media, contexts: replyContexts, remoteMedia, cache: pageCache, responsesFor: (note) => webmention.responsesFor(note) }))
  app.use(feedRoutes({ config, db, notes, media, contexts: replyContexts, cache: new PageCache({ db, source: shown, onServed: fastPath.remember }) }))
  app.use(discoveryRoutes({ config, db, notes, cache: new PageCache({ db, source: notes }) }))
  app.use(siteIconRoutes(createSiteIcons({ config, media, logger: logger.child({ component: 'site-icon' }) })))
  app.use(searchRoutes({ config, search }))
  app.use(authRoutes(auth))
  app.use(webmentionRoutes({ receiver: webmention.receiver, statusUrl: (id) => `${siteBase}${WEBMENTION_STATUS_PATH}/${id}` }))
  app.use(
    webmentionAdminRoutes({
      config,
      guards: auth.guards,
      receiver: webmention.receiver,
      slugsOf: async (ids) => {
        if (ids.length === 0) return new Map()
        const rows = await db.all<{ id: number; slug: string }>(`SELECT id, slug FROM notes WHERE id IN (${ids.map(() => '?').join(', ')})`, ids)
        return new Map(rows.map((row) => [row.id, row.slug]))
      },
    }),
  )
  app.use(adminRoutes({ config, notes, guards: auth.guards, media, library: admin.library, profile: admin.profile, conversation: noteConversation(webmention.receiver, webmention.sender), backups }))
  app.use(siteExportAdminRoutes({ config, guards: auth.guards, actions: siteExport.actions }))
  app.use(mediaRoutes(media))
  app.use(micropubRoutes({ config, logger, tokens, micropub, media }))
  const clientRedirectUris = createClientRedirectLookup({ outbound, ownOrigins })
  app.use(indieauthRoutes({ config, logger, tokens, guards: auth.guards, siteBase: () => siteBase, clientRedirectUris }))
  app.use(tokensAdminRoutes({ config, tokens, guards: auth.guards }))
  const consoleTransport = consoleRoutes({ console: consoleService, config, guards: auth.guards, logger: logger.child({ component: 'console' }) })
  app.use(consoleTransport.router)

  app.use(notFoundHandler)
  app.use(errorHandler({ logger, renderErrorPage: (info, status, requestId) => renderErrorPage(config, info, status, requestId) }))
  return { app, context, consolePort, consoleTransport, core, auth, media, metrics, siteExport, webmention, backups, fastPath, websub }
}
