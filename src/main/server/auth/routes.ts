import express, { Router, type Request, type RequestHandler } from 'express'
import { AppError, appError } from '../errors'
import { allowFormActionTo } from './csp'
import { clearLoginStateCookie, clearSessionCookie, readLoginStateCookie, readSessionToken, setLoginStateCookie, setSessionCookie } from './cookies'
import { normalizeMe } from './discovery'
import { STATE_TTL_MS } from './indieauth-client'
import { createLoginFormTarget } from './login-form-target'
import { renderLoginPage } from './pages'
import { safeNext } from './redirect'
import type { AuthInternals } from './service'

function clientKey(req: Request): string {
  // The socket peer; only when that is a trusted proxy (STARPUNK_TRUSTED_PROXIES, Express `trust proxy`) the
  // client it names in X-Forwarded-For. A client cannot pose as another one with headers of its own.
  return req.ip ?? req.socket.remoteAddress ?? 'unknown'
}

/** Login, one-time link, IndieAuth callback and logout under /admin. */
export function authRoutes(auth: AuthInternals): Router {
  const router = Router()
  const { config } = auth
  const form = express.urlencoded({ extended: false, limit: config.maxBodyBytes, parameterLimit: 100 })
  // Resolved per request: with port 0 the site URL is only known once listening.
  const clientId = () => `${auth.baseUrl()}/`
  const redirectUri = () => `${auth.baseUrl()}/admin/login/callback`

  /**
   * Refuse while the address is over its failure budget; count the attempt as failed if it throws a
   * user-facing error. With countEvery, every attempt spends the budget, successful or not.
   */
  const limited =
    (handler: RequestHandler, options: { countEvery?: boolean } = {}): RequestHandler =>
    async (req, res, next) => {
      const key = clientKey(req)
      const check = auth.limiter.check(key)
      if (!check.allowed) {
        return next(
          appError('TOO_MANY_LOGIN_ATTEMPTS', {
            vars: { seconds: check.retryAfterSeconds },
            headers: { 'Retry-After': String(check.retryAfterSeconds) },
          }),
        )
      }
      if (options.countEvery) auth.limiter.recordFailure(key)
      try {
        await handler(req, res, next)
      } catch (err) {
        if (!options.countEvery && err instanceof AppError && err.kind === 'user') auth.limiter.recordFailure(key)
        next(err)
      }
    }

  const tooMany = (retryAfterSeconds: number) =>
    appError('TOO_MANY_LOGIN_ATTEMPTS', { vars: { seconds: retryAfterSeconds }, headers: { 'Retry-After': String(retryAfterSeconds) } })

  /**
   * For requests that carry their own proof (a one-time link, an IndieAuth callback): the proof is checked
   * first, so a valid one signs in even while the address is over its budget — behind a shared proxy, or
   * while someone keeps renewing the lockout. A failure still counts, and answers 429 while over budget.
   */
  const limitedProof =
    (handler: RequestHandler): RequestHandler =>
    async (req, res, next) => {
      const key = clientKey(req)
      try {
        await handler(req, res, next)
      } catch (err) {
        if (err instanceof AppError && err.kind === 'user') {
          const check = auth.limiter.check(key)
          auth.limiter.recordFailure(key)
          if (!check.allowed) return next(tooMany(check.retryAfterSeconds))
        }
        next(err)
      }
    }

  const startSession = async (res: Parameters<RequestHandler>[1], req: Request, me: string): Promise<void> => {
    // A fresh token at every login; any session the browser already had is ended (no fixation).
    const previous = readSessionToken(req)
    if (previous) await auth.sessions.destroy(previous)
    const { token } = await auth.sessions.create(me)
    setSessionCookie(res, token, auth.cookie)
  }

  // The login form's POST is redirected to the IndieAuth server, and browsers check that redirect against the
  // login page's own form-action: the page names the server's origin, discovered once and remembered.
  const loginTarget = createLoginFormTarget({ discover: (me) => auth.indieauth.discover(me), clock: auth.clock })

  router.get('/admin/login', async (req, res) => {
    const next = safeNext(req.query.next)
    const target = config.adminMe ? await loginTarget.target(config.adminMe) : null
    if (target) allowFormActionTo(res, target)
    res.set('Cache-Control', 'no-store')
    res.type('html').send(renderLoginPage({ config, next, signedInAs: res.locals.session?.me ?? null }))
  })

  router.post(
    '/admin/login',
    form,
    limited(async (req, res) => {
      if (!config.adminMe) {
        throw appError('LOGIN_FAILED', {
          vars: { detail: 'IndieAuth sign-in needs STARPUNK_ADMIN_ME, which is not set.', siteUrl: config.siteUrl },
        })
      }
      const body = (req.body ?? {}) as Record<string, unknown>
      const { url, browserKey } = await auth.indieauth.start({ me: config.adminMe, clientId: clientId(), redirectUri: redirectUri(), next: safeNext(body.next) })
      setLoginStateCookie(res, browserKey, auth.cookie, Math.ceil(STATE_TTL_MS / 1000))
      loginTarget.remember(config.adminMe, url)
      res.redirect(303, url)
      // Each start is an outbound request and a stored attempt: all of them count, not only failures.
    }, { countEvery: true }),
  )

  router.get(
    '/admin/login/link',
    limitedProof(async (req, res) => {
      const token = typeof req.query.token === 'string' ? req.query.token : ''
      const result = await auth.links.consume(token)
      if (!result.ok) {
        const reason = { unknown: 'is not valid', used: 'was already used', expired: 'has expired' }[result.reason]
        throw appError('LOGIN_LINK_INVALID', { vars: { reason } })
      }
      // The local owner is the admin; without ADMIN_ME configured the session names the site itself.
      await startSession(res, req, (config.adminMe && normalizeMe(config.adminMe)) || `${auth.baseUrl()}/`)
      res.set('Cache-Control', 'no-store')
      res.redirect(303, safeNext(req.query.next))
    }),
  )

  router.get(
    '/admin/login/callback',
    limitedProof(async (req, res) => {
      if (!config.adminMe) {
        throw appError('LOGIN_FAILED', { vars: { detail: 'IndieAuth sign-in needs STARPUNK_ADMIN_ME, which is not set.', siteUrl: config.siteUrl } })
      }
      const browserKey = readLoginStateCookie(req)
      // Spent whatever the outcome: a sign-in attempt is single use.
      if (browserKey) clearLoginStateCookie(res, auth.cookie)
      const { me, next } = await auth.indieauth.finish({
        query: req.query,
        browserKey,
        clientId: clientId(),
        redirectUri: redirectUri(),
        adminMe: config.adminMe,
        siteUrl: auth.baseUrl(),
      })
      await startSession(res, req, me)
      res.set('Cache-Control', 'no-store')
      res.redirect(303, safeNext(next))
    }),
  )

  // Without a live session there is nothing to destroy: just drop the cookie (no CSRF token exists to check).
  const csrfWhenSignedIn: RequestHandler = (req, res, next) => (res.locals.session ? auth.guards.verifyCsrf(req, res, next) : next())
  router.post('/admin/logout', form, csrfWhenSignedIn, async (req, res) => {
    const token = readSessionToken(req)
    if (token) await auth.sessions.destroy(token)
    clearSessionCookie(res, auth.cookie)
    res.redirect(303, '/admin/login')
  })

  return router
}
