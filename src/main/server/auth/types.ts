import type { RequestHandler } from 'express'

export interface AdminSession {
  id: number
  me: string
  /** Per-session CSRF token to embed in every state-changing form (`_csrf`) or send as X-CSRF-Token. */
  csrfToken: string
  /** Epoch ms when the session times out if idle. */
  expiresAt: number
  /** Received Webmentions waiting for approval: set per admin request, for the badge in the admin navigation. */
  heldMentions?: number
}

/** Authentication as routes see it. */
export interface AuthGuards {
  /** Sets res.locals.session on every request (null for visitors). */
  loadSession: RequestHandler
  /** Pages: redirect to the login page; API paths: 401 JSON. */
  requireAdmin: RequestHandler
  /** Rejects (403 FORBIDDEN, nothing changed) a state-changing request without the session's CSRF token. */
  verifyCsrf: RequestHandler
}

/** The auth capability on ServerContext: guards for every router, plus the one-time login link. */
export interface AuthService {
  guards: AuthGuards
  /** A new absolute one-time login URL (single use, expires in minutes). */
  issueLoginLink(): Promise<string>
  /** The live session for a raw session-cookie value (tests and the console use it), or null. */
  sessionForToken(token: string): Promise<AdminSession | null>
  /** Delete expired sessions, login links and login states now; resolves with how many sessions went. */
  cleanupExpired(): Promise<number>
  /** Stop the periodic cleanup (server close). */
  close(): void
}
