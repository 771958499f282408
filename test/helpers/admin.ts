import type { CreateServerOptions } from '../../src/main/server'
import { startTestServer, type TestServer } from './server'

export interface AdminLogin {
  /** `starpunk_session=<token>`, ready for a Cookie header. */
  cookie: string
  /** The session's CSRF token, for `_csrf` form fields or the X-CSRF-Token header. */
  csrfToken: string
}

/** The session cookie (name=value) from a response's Set-Cookie headers, or null. */
export function sessionCookieFrom(res: Response): string | null {
  for (const line of res.headers.getSetCookie()) {
    const match = /^starpunk_session=([^;]*)/.exec(line)
    if (match && match[1]) return `starpunk_session=${match[1]}`
  }
  return null
}

/**
 * Sign in as the admin the way the owner does: ask the server for a one-time link, follow it over real
 * HTTP, and keep the session cookie it sets. The CSRF token is the one the server holds for that session.
 */
export async function loginAsAdmin(ts: TestServer): Promise<AdminLogin> {
  const link = new URL(await ts.server.context.auth.issueLoginLink())
  // The link names the site URL; the test server listens on its own loopback port.
  const res = await fetch(`${ts.url}${link.pathname}${link.search}`, { redirect: 'manual', headers: { accept: 'text/html' } })
  if (res.status !== 303) throw new Error(`one-time login link answered ${res.status}, expected 303: ${await res.text()}`)
  const cookie = sessionCookieFrom(res)
  if (!cookie) throw new Error('one-time login link set no starpunk_session cookie')
  const session = await ts.server.context.auth.sessionForToken(cookie.slice('starpunk_session='.length))
  if (!session) throw new Error('the session cookie from the login link is not a live session')
  return { cookie, csrfToken: session.csrfToken }
}

/**
 * Like startTestServer, with auth options (an injectable clock, a rate-limit budget...), so tests drive
 * timeouts without sleeping.
 */
export function startAuthTestServer(env: Record<string, string> = {}, auth: CreateServerOptions['auth'] = {}): Promise<TestServer> {
  return startTestServer(env, { auth })
}

/** A clock tests move by hand. */
export function manualClock(start = Date.UTC(2026, 0, 1)): { now: () => number; advance: (ms: number) => void } {
  let current = start
  return { now: () => current, advance: (ms) => (current += ms) }
}
