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
