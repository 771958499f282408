import { createServer as createHttpServer, type Server } from 'node:http'
import { mkdirSync } from 'node:fs'
import express, { type Express } from 'express'
import helmet from 'helmet'
import type { Config } from './config'
import { openDb } from './db'
import { appError, clientErrorHandler, errorHandler, notFoundHandler } from './errors'
import { createHealthService, healthRoutes } from './health'
import { createLogging, logFileCheck, requestLogging, type LoggingOptions } from './logging'
import { feedRoutes } from './feeds'
import { authRoutes, createAuthService, type AuthServiceOptions } from './auth'
import { adminRoutes } from './admin'
import { createNoteRenderer, createNotesService, renderCheck } from './notes'
import { createSearchService, searchRoutes } from './search'
import { createClientRedirectLookup, createTokensService, indieauthRoutes, publicBase, tokensAdminRoutes, type TokensServiceDeps } from './tokens'
import { createMediaService, mediaDirCheck, mediaRoutes } from './media'
import { createMicropubService, micropubRoutes } from './micropub'
import type { ServerContext } from './context'
import { consoleRoutes, createConsoleService, createFixedHost, type ConsoleService } from './console'
import { publicRoutes, renderErrorPage, staticRoutes } from './web'
import { VERSION } from './version'
import { createOutbound, outboundUserAgent, type Resolver } from './outbound'

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
}

export interface StarpunkServer {
  readonly app: Express
  readonly context: ServerContext
  /** The URL it listens on, once listening. */
  readonly url: string | null
  /** Start listening on config.host:config.port (port 0 picks a free one). Rejects with PORT_IN_USE. */
  listen(): Promise<string>
  /** Stop accepting, finish in-flight requests (bounded), close the pool and the logs. */
  close(): Promise<void>
}

/** Wire every capability once. The Electron main process and the headless CLI both call this. */
export async function createServer(config: Config, options: CreateServerOptions = {}): Promise<StarpunkServer> {
  mkdirSync(config.dataDir, { recursive: true })
  const startedAt = Date.now()
  const logging = createLogging(config, options.logging)
  const logger = logging.logger
  const db = await openDb({ path: config.databasePath, db: config.db, logger: logger.child({ component: 'db' }) })
  const health = createHealthService({
    version: VERSION,
    startedAt,
    db,
    dataDir: config.dataDir,
    memoryThresholdMb: config.health.memoryThresholdMb,
    logger: logger.child({ component: 'health' }),
  })
  // Optional components: readers are served without a log file or a media dir, so these warn, not fail.
  if (logging.fileStatus().enabled) health.register('logs', logFileCheck(logging), { required: false })
  health.register('media', mediaDirCheck(config.mediaDir, logger.child({ component: 'media' })), { required: false })
  // Services, in dependency order; each capability's service joins the context below.
  const renderer = createNoteRenderer({ logger })
  health.register('render', renderCheck(renderer), { required: false })
  const notes = createNotesService({ db, logger, config, renderer })
  let search: ReturnType<typeof createSearchService>
  try {
    search = createSearchService({ db, notes, config, logger, health })
  } catch (err) {
    // e.g. STARPUNK_SEARCH_ENGINE=fts5 on an SQLite without FTS5: refuse to start without leaving the database open.
    await renderer.close()
    await db.close()
    await logging.close()
    throw err
  }
  const siteBase = publicBase(config.siteUrl, () => url)
  // The one way this server talks to other sites; every capability that fetches gets this instance.
  const outbound = createOutbound({
    enabled: config.fetch.enabled,
    allowPrivate: config.fetch.allowPrivate,
    userAgent: () => outboundUserAgent(VERSION, siteBase()),
    logger: logger.child({ component: 'outbound' }),
    ...(options.outbound?.resolver ? { resolver: options.outbound.resolver } : {}),
  })
  const auth = createAuthService({ ...options.auth, config, db, logger, outbound, listeningUrl: () => url })
  const tokens = createTokensService({ db, config, logger: logger.child({ component: 'tokens' }), siteBase, outbound, listeningUrl: () => url, ...options.tokens })
  const media = createMediaService({ db, mediaDir: config.mediaDir, logger: logger.child({ component: 'media' }), siteBase })
  const micropub = createMicropubService({ notes, media, siteBase })

  const consoleService = options.console ?? createConsoleService(createFixedHost({ config, context: () => context, url: () => url }))
  const context: ServerContext = { config, version: VERSION, startedAt, logging, logger, db, health, notes, search, console: consoleService, auth, tokens, micropub, outbound }

  const app = express()
  app.disable('x-powered-by')
  // X-Forwarded-* are believed only from the proxies named in STARPUNK_TRUSTED_PROXIES (none by default).
  app.set('trust proxy', config.trustedProxies.length > 0 ? config.trustedProxies : false)
  app.use(requestLogging(logging))
  app.use(helmet())
  // Request-wide middleware (static files, session loading); body parsers stay scoped to the routes that read bodies.
  app.use(staticRoutes())
  app.use(auth.guards.loadSession)

  app.use(healthRoutes(health, { token: config.health.token, detailed: config.health.detailed }))
  // Routers: one line per capability.
  app.use(publicRoutes({ config, db, notes }))
  app.use(feedRoutes({ config, db, notes }))
  app.use(searchRoutes({ config, search }))
  app.use(authRoutes(auth))
  app.use(adminRoutes({ config, notes, guards: auth.guards }))
  app.use(mediaRoutes(media))
  app.use(micropubRoutes({ config, logger, tokens, micropub, media }))
  const clientRedirectUris = createClientRedirectLookup({ outbound, ownOrigins: () => [config.siteUrl, siteBase(), url ?? ''].filter(Boolean) })
  app.use(indieauthRoutes({ config, logger, tokens, guards: auth.guards, siteBase, clientRedirectUris }))
  app.use(tokensAdminRoutes({ config, tokens, guards: auth.guards }))
  const consoleTransport = consoleRoutes({ console: consoleService, config, guards: auth.guards, logger: logger.child({ component: 'console' }) })
  app.use(consoleTransport.router)

  app.use(notFoundHandler)
  app.use(errorHandler({ logger, renderErrorPage: (info, status, requestId) => renderErrorPage(config, info, status, requestId) }))

  let httpServer: Server | null = null
  let url: string | null = null

  return {
    app,
    context,
    get url() {
      return url
    },
    listen() {
      return new Promise<string>((resolve, reject) => {
        const server = createHttpServer(app)
        // Requests Node's HTTP parser rejects get the same JSON error (with a logged request ID) as the rest.
        server.on('clientError', clientErrorHandler(logging))
        server.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'EADDRINUSE') reject(appError('PORT_IN_USE', { vars: { port: config.port, host: config.host }, cause: err }))
          else reject(err)
        })
        server.listen(config.port, config.host, () => {
          const address = server.address()
          const port = typeof address === 'object' && address ? address.port : config.port
          httpServer = server
          url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
          logger.info('listening', { url, dataDir: config.dataDir })
          resolve(url)
        })
      })
    },
    async close() {
      // Event streams never finish on their own: end them so closing does not wait out the grace period.
      consoleTransport.closeStreams()
      if (!options.console) consoleService.close()
      if (httpServer) {
        const server = httpServer
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeIdleConnections()
          // Bounded: in-flight requests get a few seconds, then the rest are cut.
          setTimeout(() => server.closeAllConnections(), 5_000).unref()
        })
        httpServer = null
      }
      auth.close()
      await renderer.close()
      await db.close()
      logger.info('shutdown complete')
      await logging.close()
    },
  }
}
