import { afterEach, describe, expect, it } from 'vitest'
import { loginAsAdmin, manualClock, sessionCookieFrom, startAuthTestServer } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { loginUrl, safeNext } from './redirect'

let ts: TestServer | null = null
afterEach(async () => {
  await ts?.close()
  ts = null
})

function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${ts!.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
    body: new URLSearchParams(form).toString(),
  })
}

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${ts!.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html', ...headers } })
}

async function noteCount(): Promise<number> {
  return (await ts!.server.context.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM notes'))?.n ?? -1
}

describe('CSRF', () => {
  it('refuses state-changing requests without the session token, and changes nothing', async () => {
    ts = await startTestServer()
    const admin = await loginAsAdmin(ts)
    const other = await loginAsAdmin(ts)
    const note = await ts.server.context.notes.create({ content: 'Keep me as I am' })

    const attempts: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['/admin/notes', { content: 'Sneaky new note' }, {}],
      ['/admin/notes', { content: 'Sneaky new note', _csrf: 'wrong' }, {}],
      // Another session's token is not this session's token.
      ['/admin/notes', { content: 'Sneaky new note', _csrf: other.csrfToken }, {}],
      ['/admin/notes', { content: 'Sneaky new note' }, { 'x-csrf-token': `${admin.csrfToken}x` }],
      [`/admin/notes/${note.slug}`, { content: 'Overwritten' }, {}],
      [`/admin/notes/${note.slug}/publish`, { published: '0' }, {}],
      [`/admin/notes/${note.slug}/delete`, {}, {}],
    ]
    for (const [path, form, headers] of attempts) {
      const res = await post(path, form, { cookie: admin.cookie, ...headers })
      expect(res.status, path).toBe(403)
      const body = await res.text()
      expect(body).toContain('nothing was changed')
      expect(body).toContain(res.headers.get('x-request-id'))
    }
    expect(await noteCount()).toBe(1)
    const after = await ts.server.context.notes.get(note.slug, { includeDrafts: true, includeDeleted: true })
    expect(after?.content).toBe('Keep me as I am')
    expect(after?.published).toBe(true)
    expect(after?.deletedAt).toBeNull()

    // With the token (field or header) the same requests work.
    expect((await post('/admin/notes', { content: 'Real note', _csrf: admin.csrfToken, published: '1' }, { cookie: admin.cookie })).status).toBe(303)
    expect((await post(`/admin/notes/${note.slug}/delete`, {}, { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken })).status).toBe(303)
    expect(await noteCount()).toBe(2)
  })

  it('sends visitors without a session to the login page instead of acting', async () => {
    ts = await startTestServer()
    const res = await post('/admin/notes', { content: 'From nowhere', _csrf: 'x' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin/login')
    expect(await noteCount()).toBe(0)
  })
})

describe('logout', () => {
  it('needs the CSRF token, then destroys the session and clears the cookie', async () => {
    ts = await startTestServer()
    const admin = await loginAsAdmin(ts)
    const refused = await post('/admin/logout', {}, { cookie: admin.cookie })
    expect(refused.status).toBe(403)
    expect((await get('/admin', { cookie: admin.cookie })).status).toBe(200)

    const res = await post('/admin/logout', { _csrf: admin.csrfToken }, { cookie: admin.cookie })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin/login')
    expect(res.headers.getSetCookie().some((c) => /^starpunk_session=;/.test(c) && /Max-Age=0/i.test(c))).toBe(true)
    expect(await ts.server.context.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sessions')).toEqual({ n: 0 })
    // The old cookie is worthless now.
    expect((await get('/admin', { cookie: admin.cookie })).status).toBe(303)
  })

  it('offers a sign-out form with the CSRF token on admin pages', async () => {
    ts = await startTestServer()
    const admin = await loginAsAdmin(ts)
    const page = await (await get('/admin', { cookie: admin.cookie })).text()
    expect(page).toMatch(new RegExp(`<form[^>]*action="/admin/logout"[^>]*><input type="hidden" name="_csrf" value="${admin.csrfToken}"`))
    expect(page).toContain(`Signed in as <strong>${ts.url}/</strong>`)
  })
})

describe('login rate limit', () => {
  it('counts failed attempts per address, answers 429 with Retry-After, ignores successes, and lifts after the window', async () => {
    const clock = manualClock()
    ts = await startAuthTestServer({}, { clock: clock.now, loginFailures: { max: 3, windowMs: 15 * 60_000 }, loginLinkTtlMs: 60 * 60_000 })
    // Successes do not count.
    for (let i = 0; i < 5; i++) await loginAsAdmin(ts)
    for (let i = 0; i < 3; i++) expect((await get(`/admin/login/link?token=guess-${i}`)).status).toBe(400)
    const good = new URL(await ts.server.context.auth.issueLoginLink())
    // Over budget, a failing attempt is refused with 429 (a valid link still works: see proxy-limit.test.ts).
    const limited = await get('/admin/login/link?token=guess-again')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBe(15 * 60)
    const body = await limited.text()
    expect(body).toContain('Too many failed sign-in attempts')
    expect(body).toContain(limited.headers.get('x-request-id'))
    expect(sessionCookieFrom(limited)).toBeNull()
    // The callback is limited too.
    expect((await get('/admin/login/callback?state=x&code=y')).status).toBe(429)

    clock.advance(15 * 60_000 + 1)
    expect((await get('/admin/login/link?token=guess-after')).status).toBe(400)
    const after = await get(good.pathname + good.search)
    expect(after.status).toBe(303)
    expect(sessionCookieFrom(after)).not.toBeNull()
  })
})

describe('redirect after login', () => {
  it('accepts only same-site relative paths', () => {
    expect(safeNext('/admin/notes/new')).toBe('/admin/notes/new')
    expect(safeNext('/admin?view=trash')).toBe('/admin?view=trash')
    for (const hostile of [
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      '/admin\r\nLocation: https://evil.example',
      'evil.example',
      '',
      undefined,
      ['/admin'],
    ]) {
      expect(safeNext(hostile), String(hostile)).toBe('/admin')
    }
    // Encoded characters stay encoded in a same-site path: harmless.
    expect(safeNext('/%0d%0aSet-Cookie:x=1')).toBe('/%0d%0aSet-Cookie:x=1')
    expect(safeNext('https://evil.example/')).toBe('/admin')
    expect(safeNext('//evil.example/')).toBe('/admin')
    expect(loginUrl('/admin/notes/x/edit')).toBe('/admin/login?next=%2Fadmin%2Fnotes%2Fx%2Fedit')
  })

  it('never redirects off-site after a link login or from the login form', async () => {
    ts = await startTestServer({ STARPUNK_ADMIN_ME: 'https://me.example' })
    const link = new URL(await ts.server.context.auth.issueLoginLink())
    const res = await get(`${link.pathname}${link.search}&next=${encodeURIComponent('//evil.example/phish')}`)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin')
    const page = await (await get(`/admin/login?next=${encodeURIComponent('https://evil.example/')}`)).text()
    expect(page).toContain('name="next" value="/admin"')
    expect(page).not.toContain('evil.example')
    const kept = await (await get(`/admin/login?next=${encodeURIComponent('/admin/notes/new')}`)).text()
    expect(kept).toContain('name="next" value="/admin/notes/new"')
  })
})
