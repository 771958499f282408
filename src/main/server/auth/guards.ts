import type { RequestHandler } from 'express'
import { appError, wantsJson } from '../errors'
import type { Logger } from '../logging'
import { clearSessionCookie, readSessionToken, type CookiePolicy } from './cookies'
import { safeEqual } from './crypto'
import { loginUrl } from './redirect'
import type { SessionStore } from './sessions'
import type { AuthGuards } from './types'

export interface GuardDeps {
  sessions: SessionStore
  cookie: CookiePolicy
  logger: Logger
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function createGuards(deps: GuardDeps): AuthGuards {
  const loadSession: RequestHandler = async (req, res, next) => {
    res.locals.session = null
    const token = readSessionToken(req)
    if (!token) return next()
    try {
      const session = await deps.sessions.validate(token)
      if (session) res.locals.session = session
      // A stale cookie (expired, logged out elsewhere): drop it so the browser stops sending it.
      else clearSessionCookie(res, deps.cookie)
      next()
    } catch (err) {
      // Public pages still answer when the session store is unreadable; admin pages report the failure.
      deps.logger.warn('session lookup failed', { err })
      if (req.path.startsWith('/admin')) next(err)
      else next()
    }
  }

  const requireAdmin: RequestHandler = (req, res, next) => {
    if (res.locals.session) return next()
    // API paths (their router said 'json') and JSON clients get a 401; pages redirect to the login page.
    if (wantsJson(req, res)) return next(appError('UNAUTHORIZED'))
    // After login, come back here (GET only: a replayed POST would lose its form anyway).
    const back = req.method === 'GET' ? req.originalUrl : '/admin'
    res.redirect(303, loginUrl(back))
  }

  const verifyCsrf: RequestHandler = (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next()
    const session = res.locals.session
    const body = req.body as Record<string, unknown> | undefined
    const fromBody = body && typeof body === 'object' && typeof body._csrf === 'string' ? body._csrf : undefined
    const header = req.headers['x-csrf-token']
    const sent = fromBody ?? (typeof header === 'string' ? header : undefined)
    if (!session || !sent || !safeEqual(sent, session.csrfToken)) {
      return next(
        appError('FORBIDDEN', {
          message: 'This form has expired or did not come from this site, so nothing was changed.',
          details: 'State-changing requests must carry the CSRF token of the current session (form field _csrf or header X-CSRF-Token).',
        }),
      )
    }
    next()
  }

  return { loadSession, requireAdmin, verifyCsrf }
}
