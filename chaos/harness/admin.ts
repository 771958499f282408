/** The admin over real HTTP: follow the one-time link, keep the session cookie, read the CSRF token from a form. */
import { request } from './http'

export interface AdminSession {
  cookie: string
  csrf: string
}

export async function signInWithLink(baseUrl: string, loginLink: string): Promise<AdminSession> {
  const link = new URL(loginLink)
  const reply = await request(baseUrl, link.pathname + link.search, { headers: { accept: 'text/html' } })
  if (reply.status !== 303 && reply.status !== 302) throw new Error(`login link answered ${reply.status}`)
  const setCookie = ([] as string[]).concat(reply.headers['set-cookie'] ?? [])
  const session = setCookie.map((c) => /^starpunk_session=([^;]+)/.exec(c)?.[0]).find(Boolean)
  if (!session) throw new Error('login link set no starpunk_session cookie')
  return { cookie: session, csrf: await csrfFor(baseUrl, session) }
}

/** The session's CSRF token, as embedded in the new-note form. */
export async function csrfFor(baseUrl: string, cookie: string): Promise<string> {
  const form = await request(baseUrl, '/admin/notes/new', { headers: { cookie, accept: 'text/html' } })
  const m = /name="_csrf"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="_csrf"/.exec(form.text)
  if (form.status !== 200 || !m) throw new Error(`no CSRF token in the admin form (status ${form.status})`)
  return (m[1] ?? m[2])!
}
