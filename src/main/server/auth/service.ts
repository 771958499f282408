import type { Config } from '../config'
import type { Db } from '../db'
import type { Logger } from '../logging'
import { systemClock, type Clock } from './clock'
import type { CookiePolicy } from './cookies'
import { createGuards } from './guards'
import type { Outbound } from '../outbound'
import { IndieAuthClient } from './indieauth-client'
import { LoginLinkStore } from './login-links'
import { FailureLimiter } from './rate-limit'
import { SessionStore } from './sessions'
import type { AuthGuards, AuthService } from './types'

export interface AuthServiceOptions {
  config: Config
  db: Db
  logger: Logger
  /** Injectable clock (tests drive timeouts with it). */
  clock?: Clock
  /** How long a one-time login link stays valid, ms (default 10 minutes). */
  loginLinkTtlMs?: number
  /** Failed login attempts allowed per client IP per window (default 10 per 15 minutes). */
  loginFailures?: { max: number; windowMs: number }
  /** How often expired sessions are swept, ms (default 10 minutes). */
  cleanupIntervalMs?: number
  /** The server's one bounded outbound fetch (IndieAuth discovery and code redemption). */
  outbound: Outbound
  /** Total time for each outbound IndieAuth request, ms (default 10 s). */
  fetchTimeoutMs?: number
}

/** Everything the auth and admin routers need; AuthService is the part other capabilities see. */
export interface AuthInternals extends AuthService {
  config: Config
  clock: Clock
  sessions: SessionStore
  links: LoginLinkStore
  limiter: FailureLimiter
  indieauth: IndieAuthClient
  cookie: CookiePolicy
  guards: AuthGuards
  /** The site's absolute base URL (no trailing slash): client_id, redirect_uri and link targets derive from it. */
  baseUrl(): string
}

export function createAuthService(options: AuthServiceOptions): AuthInternals {
  const { config, db } = options
  const logger = options.logger.child({ component: 'auth' })
  const clock = options.clock ?? systemClock
  const sessions = new SessionStore({
    db,
    logger,
    clock,
    secret: config.sessionSecret,
    timeoutSeconds: config.session.timeoutSeconds,
    maxAgeSeconds: config.session.maxAgeSeconds,
  })
  const links = new LoginLinkStore({ db, clock, ttlMs: options.loginLinkTtlMs ?? 10 * 60_000 })
  const limiter = new FailureLimiter({
    clock,
    maxFailures: options.loginFailures?.max ?? 10,
    windowMs: options.loginFailures?.windowMs ?? 15 * 60_000,
  })
  const cookie: CookiePolicy = { secure: config.siteUrl.startsWith('https:'), maxAgeSeconds: config.session.maxAgeSeconds }
  const guards = createGuards({ sessions, cookie, logger })
  const indieauth = new IndieAuthClient({
    db,
    clock,
    logger,
    outbound: options.outbound,
    timeoutMs: options.fetchTimeoutMs ?? 10_000,
  })

  const cleanupExpired = async (): Promise<number> => {
    const removed = await sessions.cleanup()
    await links.cleanup()
    await indieauth.cleanup()
    if (removed > 0) logger.info('expired sessions cleaned up', { count: removed })
    return removed
  }
  const timer = setInterval(() => {
    cleanupExpired().catch((err: unknown) => logger.warn('session cleanup failed', { err }))
  }, options.cleanupIntervalMs ?? 10 * 60_000)
  // Never keeps the process alive on its own; close() stops it before the database closes.
  timer.unref()

  return {
    config,
    clock,
    sessions,
    links,
    limiter,
    indieauth,
    cookie,
    guards,
    // config.siteUrl is final: createServer binds before wiring (see site.ts).
    baseUrl: () => config.siteUrl,
    async issueLoginLink() {
      const token = await links.issue()
      logger.info('one-time login link issued')
      return `${config.siteUrl}/admin/login/link?token=${encodeURIComponent(token)}`
    },
    sessionForToken: (token) => sessions.validate(token),
    cleanupExpired,
    close() {
      clearInterval(timer)
    },
  }
}
