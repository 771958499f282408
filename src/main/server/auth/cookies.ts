import { parse, serialize } from 'cookie'
import type { Request, Response } from 'express'

export const SESSION_COOKIE = 'starpunk_session'

export interface CookiePolicy {
  /** Secure flag: only when the site is served over https (a plain-http local site would never get the cookie back). */
  secure: boolean
  /** Cookie lifetime, seconds (the session's absolute maximum; the server enforces the idle timeout). */
  maxAgeSeconds: number
}

export function readSessionToken(req: Request): string | null {
  const header = req.headers.cookie
  if (!header) return null
  try {
    return parse(header)[SESSION_COOKIE] ?? null
  } catch {
    return null
  }
}

export function setSessionCookie(res: Response, token: string, policy: CookiePolicy): void {
  res.append(
    'Set-Cookie',
    serialize(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', path: '/', secure: policy.secure, maxAge: policy.maxAgeSeconds }),
  )
}

export function clearSessionCookie(res: Response, policy: CookiePolicy): void {
  res.append('Set-Cookie', serialize(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'lax', path: '/', secure: policy.secure, maxAge: 0, expires: new Date(0) }))
}

/** Binds an IndieAuth sign-in to the browser that started it; only the callback path ever receives it. */
export const LOGIN_STATE_COOKIE = 'starpunk_login'
const LOGIN_STATE_PATH = '/admin/login/callback'

export function readLoginStateCookie(req: Request): string | null {
  const header = req.headers.cookie
  if (!header) return null
  try {
    return parse(header)[LOGIN_STATE_COOKIE] ?? null
  } catch {
    return null
  }
}

/** Lax: the IndieAuth server sends the browser back with a top-level GET, which carries Lax cookies. */
export function setLoginStateCookie(res: Response, browserKey: string, policy: CookiePolicy, maxAgeSeconds: number): void {
  res.append('Set-Cookie', serialize(LOGIN_STATE_COOKIE, browserKey, { httpOnly: true, sameSite: 'lax', path: LOGIN_STATE_PATH, secure: policy.secure, maxAge: maxAgeSeconds }))
}

export function clearLoginStateCookie(res: Response, policy: CookiePolicy): void {
  res.append(
    'Set-Cookie',
    serialize(LOGIN_STATE_COOKIE, '', { httpOnly: true, sameSite: 'lax', path: LOGIN_STATE_PATH, secure: policy.secure, maxAge: 0, expires: new Date(0) }),
  )
}
