import { afterEach, describe, expect, it } from 'vitest'
import { loginAsAdmin, manualClock, sessionCookieFrom, startAuthTestServer } from '../../../../test/helpers/admin'
import { parsedLogs, startTestServer, type TestServer } from '../../../../test/helpers/server'
import { sha256Hex } from './crypto'

let ts: TestServer | null = null
afterEach(async () => {
  await ts?.close()
  ts = null
})

const html = { accept: 'text/html' }

async function get(path: string, cookie?: string, headers: Record<string, string> = html): Promise<Response> {
  if (!ts) throw new Error('no server')
  return fetch(`${ts.url}${path}`, { redirect: 'manual', headers: { ...headers, ...(cookie ? { cookie } : {}) } })
}

function tokenOf(cookie: string): string {
  return cookie.slice('starpunk_session='.length)
}

describe('one-time login link', () => {
  it('signs in once, sets a hardened cookie and stores only a hash of the session token', async () => {
    ts = await startTestServer({ STARPUNK_ADMIN_ME: 'https://me.example/' })
    const link = await ts.server.context.auth.issueLoginLink()
    expect(link).toMatch(/\/admin\/login\/link\?token=[A-Za-z0-9_-]{43}$/)
    const path = new URL(link).pathname + new URL(link).search
    const first = await get(path)
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe('/admin')
    const setCookie = first.headers.getSetCookie().find((c) => c.startsWith('starpunk_session='))
    expect(setCookie).toBeDefined()
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Lax/i)
    expect(setCookie).toMatch(/Path=\//)
    expect(setCookie).not.toMatch(/Secure/i)
    const cookie = sessionCookieFrom(first)!
    const rows = ts.server.context.db.writer.prepare('SELECT token_hash, me FROM sessions').all() as Array<{ token_hash: string; me: string }>
    expect(rows).toHaveLength(1)
    expect(rows[0]!.token_hash).toBe(sha256Hex(tokenOf(cookie)))
    expect(rows[0]!.token_hash).not.toContain(tokenOf(cookie))
    expect(rows[0]!.me).toBe('https://me.example/')
    const links = ts.server.context.db.writer.prepare('SELECT token_hash FROM login_links').all() as Array<{ token_hash: string }>
    expect(links[0]!.token_hash).toBe(sha256Hex(new URL(link).searchParams.get('token')!))

    const again = await get(path)
    expect(again.status).toBe(400)
    expect(sessionCookieFrom(again)).toBeNull()
    const body = await again.text()
    expect(body).toContain('already used')
    expect(body).toContain(again.headers.get('x-request-id'))

    // The secret never reaches the log.
    const token = new URL(link).searchParams.get('token')!
    expect(ts.lines.join('\n')).not.toContain(token)
    expect(ts.lines.join('\n')).not.toContain(tokenOf(cookie))
  })

  it('rejects an unknown token and an expired link', async () => {
    const clock = manualClock()
    ts = await startAuthTestServer({}, { clock: clock.now, loginLinkTtlMs: 5 * 60_000 })
    const unknown = await get('/admin/login/link?token=nope')
    expect(unknown.status).toBe(400)
    expect(await unknown.text()).toContain('not valid')
    const link = new URL(await ts.server.context.auth.issueLoginLink())
    clock.advance(5 * 60_000 + 1)
    const expired = await get(link.pathname + link.search)
    expect(expired.status).toBe(400)
    expect(await expired.text()).toContain('expired')
    expect(sessionCookieFrom(expired)).toBeNull()
    expect(await ts.server.context.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sessions')).toEqual({ n: 0 })
  })

  it('uses the listening URL when the site URL names port 0, and the site URL otherwise', async () => {
    ts = await startTestServer()
    expect((await ts.server.context.auth.issueLoginLink()).startsWith(`${ts.url}/admin/login/link?token=`)).toBe(true)
    await ts.close()
    ts = await startTestServer({ STARPUNK_SITE_URL: 'https://blog.example' })
    expect((await ts.server.context.auth.issueLoginLink()).startsWith('https://blog.example/admin/login/link?token=')).toBe(true)
  })

  it('marks the cookie Secure when the site URL is https', async () => {
    ts = await startTestServer({ STARPUNK_SITE_URL: 'https://blog.example' })
    const link = new URL(await ts.server.context.auth.issueLoginLink())
    const res = await get(link.pathname + link.search)
    expect(res.status).toBe(303)
    expect(res.headers.getSetCookie().find((c) => c.startsWith('starpunk_session='))).toMatch(/;\s*Secure/i)
  })

  it('issues a fresh token at every login and ends the session the browser had', async () => {
    ts = await startTestServer()
    const first = await loginAsAdmin(ts)
    const link = new URL(await ts.server.context.auth.issueLoginLink())
    const res = await get(link.pathname + link.search, first.cookie)
    const second = sessionCookieFrom(res)!
    expect(second).not.toBe(first.cookie)
    expect(await ts.server.context.auth.sessionForToken(tokenOf(first.cookie))).toBeNull()
    expect(await ts.server.context.auth.sessionForToken(tokenOf(second))).not.toBeNull()
  })
})

describe('guards', () => {
  it('redirects pages to the login page with next, answers API-style requests with 401 JSON, and lets a session in', async () => {
    ts = await startTestServer()
    const page = await get('/admin/notes/new')
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toBe('/admin/login?next=%2Fadmin%2Fnotes%2Fnew')
    const api = await get('/admin', undefined, { accept: 'application/json' })
    expect(api.status).toBe(401)
    const body = (await api.json()) as { error: { code: string; request_id: string } }
    expect(body.error.code).toBe('UNAUTHORIZED')
    expect(body.error.request_id).toBe(api.headers.get('x-request-id'))

    const { cookie, csrfToken } = await loginAsAdmin(ts)
    const dashboard = await get('/admin', cookie)
    expect(dashboard.status).toBe(200)
    const text = await dashboard.text()
    expect(text).toContain(`name="_csrf" value="${csrfToken}"`)
    expect(dashboard.headers.get('cache-control')).toBe('no-store')
  })

  it('drops a cookie that names no live session', async () => {
    ts = await startTestServer()
    const res = await get('/admin', 'starpunk_session=forged-token-value')
    expect(res.status).toBe(303)
    expect(res.headers.getSetCookie().some((c) => /^starpunk_session=;/.test(c) && /Max-Age=0/i.test(c))).toBe(true)
  })

  it('loads the session before health routes (res.locals.session is set for everyone)', async () => {
    ts = await startTestServer()
    const { cookie } = await loginAsAdmin(ts)
    // Public pages mark the admin link differently for a signed-in admin.
    const home = await (await get('/', cookie)).text()
    expect(home).toContain('Dashboard')
    const visitor = await (await get('/')).text()
    expect(visitor).not.toContain('>Dashboard<')
  })
})

describe('session timeouts', () => {
  it('times out when idle, slides on use (with throttled writes), and ends at the absolute maximum', async () => {
    const clock = manualClock()
    ts = await startAuthTestServer({ STARPUNK_SESSION_TIMEOUT: '600', STARPUNK_SESSION_MAX_AGE: '1800' }, { clock: clock.now })
    const { config } = ts.server.context
    expect(config.session.timeoutSeconds).toBe(600)
    expect(config.session.maxAgeSeconds).toBe(1800)
    const { cookie } = await loginAsAdmin(ts)
    const lastUsed = () => (ts!.server.context.db.writer.prepare('SELECT last_used_at FROM sessions').get() as { last_used_at: number }).last_used_at
    const loginAt = clock.now()
    expect(lastUsed()).toBe(loginAt)

    // Within the throttle interval (a tenth of the timeout, ≤ 60 s): no write.
    clock.advance(30_000)
    expect((await get('/admin', cookie)).status).toBe(200)
    expect(lastUsed()).toBe(loginAt)

    // Keep using it every 9 minutes: it slides past the 10-minute idle timeout.
    for (let i = 0; i < 3; i++) {
      clock.advance(9 * 60_000)
      expect((await get('/admin', cookie)).status).toBe(200)
    }
    expect(lastUsed()).toBe(clock.now())
    // 30.5 minutes after login, in use or not, the absolute maximum (30 min) ends it.
    clock.advance(3 * 60_000)
    const late = await get('/admin', cookie)
    expect(late.status).toBe(303)
    expect(late.headers.get('location')).toBe('/admin/login')

    // A fresh session left idle for the timeout is gone too.
    const second = await loginAsAdmin(ts)
    clock.advance(600_000 - 1)
    expect((await get('/admin', second.cookie)).status).toBe(200)
    clock.advance(600_000)
    expect((await get('/admin', second.cookie)).status).toBe(303)
  })

  it('cleans expired sessions up and logs how many', async () => {
    const clock = manualClock()
    ts = await startAuthTestServer({ STARPUNK_SESSION_TIMEOUT: '600' }, { clock: clock.now })
    await loginAsAdmin(ts)
    await loginAsAdmin(ts)
    clock.advance(300_000)
    const live = await loginAsAdmin(ts)
    clock.advance(400_000)
    const count = () => (ts!.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n
    expect(count()).toBe(3)
    expect(await ts.server.context.auth.cleanupExpired()).toBe(2)
    expect(count()).toBe(1)
    expect(await ts.server.context.auth.sessionForToken(tokenOf(live.cookie))).not.toBeNull()
    ts.server.context.logging.flush?.()
    const logged = parsedLogs(ts.lines).find((l) => l.msg === 'expired sessions cleaned up')
    expect(logged).toBeDefined()
    expect(JSON.stringify(logged)).toContain('"count":2')
  })

  it('runs cleanup on a timer and stops it on close', async () => {
    const clock = manualClock()
    ts = await startAuthTestServer({ STARPUNK_SESSION_TIMEOUT: '600' }, { clock: clock.now, cleanupIntervalMs: 20 })
    await loginAsAdmin(ts)
    clock.advance(700_000)
    const count = () => (ts!.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n
    // Wait (by polling, not asserting on time) until the periodic sweep has run.
    for (let i = 0; i < 500 && count() > 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(count()).toBe(0)
    // close() stops the sweep: an expired session now stays put however many intervals pass.
    ts.server.context.auth.close()
    await loginAsAdmin(ts)
    clock.advance(700_000)
    await new Promise((r) => setTimeout(r, 300))
    expect(count()).toBe(1)
  })
})
