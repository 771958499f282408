import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

describe('/admin/tokens: personal tokens', () => {
  let ts: TestServer
  let admin: AdminLogin
  const count = () => (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM tokens').get() as { n: number }).n

  beforeAll(async () => {
    ts = await startTestServer()
    admin = await loginAsAdmin(ts)
  })
  afterAll(async () => {
    await ts.close()
  })

  it('sends visitors to the login page', async () => {
    const res = await fetch(`${ts.url}/admin/tokens`, { headers: { accept: 'text/html' }, redirect: 'manual' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toContain('/admin/login')
  })

  it('refuses a create without the CSRF token, creating nothing', async () => {
    const before = count()
    const res = await fetch(`${ts.url}/admin/tokens`, {
      method: 'POST',
      headers: { cookie: admin.cookie, accept: 'text/html' },
      body: new URLSearchParams({ name: 'forged', scope: 'create' }),
    })
    expect(res.status).toBe(403)
    expect(count()).toBe(before)
  })

  it('creates a token shown once, stored hashed, listed, usable, then revocable', async () => {
    const body = new URLSearchParams({ _csrf: admin.csrfToken, name: 'iA Writer', expires_in_days: '30' })
    body.append('scope', 'create')
    body.append('scope', 'media')
    const res = await fetch(`${ts.url}/admin/tokens`, { method: 'POST', headers: { cookie: admin.cookie, accept: 'text/html' }, body })
    expect(res.status).toBe(201)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const page = await res.text()
    const token = /class="token-value" readOnly="" value="([^"]+)"/i.exec(page)?.[1] ?? /value="(spp_[^"]+)"/.exec(page)?.[1]
    expect(token).toMatch(/^spp_/)
    const row = ts.server.context.db.writer.prepare('SELECT token_hash, scope, expires_at FROM tokens WHERE name = ?').get('iA Writer') as { token_hash: string; scope: string; expires_at: number }
    expect(row.token_hash).not.toContain(token!)
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(row.scope).toBe('create media')
    expect(row.expires_at).toBeGreaterThan(Date.now() + 29 * 86_400_000)

    const post = await fetch(`${ts.url}/micropub`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams({ content: 'via personal token' }) })
    expect(post.status).toBe(201)

    const list = await (await fetch(`${ts.url}/admin/tokens`, { headers: { cookie: admin.cookie, accept: 'text/html' } })).text()
    expect(list).toContain('iA Writer')
    expect(list).toContain('create media')
    expect(list).not.toContain(token!)
    const id = /data-token-id="(\d+)"/.exec(list)![1]

    const noCsrf = await fetch(`${ts.url}/admin/tokens/${id}/revoke`, { method: 'POST', headers: { cookie: admin.cookie, accept: 'text/html' }, redirect: 'manual' })
    expect(noCsrf.status).toBe(403)
    const revoke = await fetch(`${ts.url}/admin/tokens/${id}/revoke`, {
      method: 'POST',
      headers: { cookie: admin.cookie, accept: 'text/html' },
      body: new URLSearchParams({ _csrf: admin.csrfToken }),
      redirect: 'manual',
    })
    expect(revoke.status).toBe(303)
    const refused = await fetch(`${ts.url}/micropub`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams({ content: 'after revoke' }) })
    expect(refused.status).toBe(401)
    const after = await (await fetch(`${ts.url}/admin/tokens`, { headers: { cookie: admin.cookie, accept: 'text/html' } })).text()
    expect(after).toContain('revoked')
    expect(ts.lines.join('\n')).not.toContain(token!)
  })

  it('explains bad input without creating anything', async () => {
    const before = count()
    const bad: Array<Record<string, string>> = [{ name: '', scope: 'create' }, { name: 'no scopes' }, { name: 'x', scope: 'create', expires_in_days: 'soon' }]
    for (const fields of bad) {
      const res = await fetch(`${ts.url}/admin/tokens`, {
        method: 'POST',
        headers: { cookie: admin.cookie, accept: 'text/html' },
        body: new URLSearchParams({ _csrf: admin.csrfToken, ...fields }),
      })
      expect(res.status).toBe(400)
      expect(await res.text()).toContain('role="alert"')
    }
    expect(count()).toBe(before)
  })
})
