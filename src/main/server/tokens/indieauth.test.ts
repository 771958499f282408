import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { mf2 } from 'microformats-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { hiddenFields } from '../../../../test/helpers/consent'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port
      probe.close(() => resolve(port))
    })
  })
}

/** A Quill-like client on loopback: its client_id page, and a callback that records what it receives. */
async function startClient(): Promise<{ url: string; callbacks: URLSearchParams[]; close: () => Promise<void> }> {
  const callbacks: URLSearchParams[] = []
  const server: Server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/callback') {
      callbacks.push(url.searchParams)
      res.end('signed in')
      return
    }
    res.setHeader('content-type', 'text/html')
    res.end('<!doctype html><title>Quill-ish</title><div class="h-app"><a class="u-url p-name" href="/">Quill-ish</a></div>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { url: `http://127.0.0.1:${port}/`, callbacks, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

describe('built-in IndieAuth provider: a Quill-like client signs in and posts', () => {
  let ts: TestServer
  let site: string
  let client: Awaited<ReturnType<typeof startClient>>
  let admin: AdminLogin
  let metadata: Record<string, unknown>

  beforeAll(async () => {
    const port = await freePort()
    site = `http://127.0.0.1:${port}`
    ts = await startTestServer({ STARPUNK_PORT: String(port), STARPUNK_SITE_URL: site })
    client = await startClient()
    admin = await loginAsAdmin(ts)
  })
  afterAll(async () => {
    await client.close()
    await ts.close()
  })

  function authorizeUrl(params: Record<string, string>): string {
    const url = new URL(String(metadata.authorization_endpoint))
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    return url.href
  }

  /** Consent as the signed-in admin, posting back the page's own hidden fields as a browser would; returns the redirect it would follow. */
  async function consent(params: Record<string, string>, decision: 'approve' | 'deny', scopes: string[]): Promise<URL> {
    const page = await fetch(authorizeUrl({ state: 'st', ...params }), { headers: { cookie: admin.cookie, accept: 'text/html' }, redirect: 'manual' })
    expect(page.status).toBe(200)
    const body = hiddenFields(await page.text())
    body.set('decision', decision)
    for (const s of scopes) body.append('scope', s)
    const res = await fetch(`${site}/indieauth/auth/consent`, { method: 'POST', headers: { cookie: admin.cookie }, body, redirect: 'manual' })
    expect(res.status).toBe(302)
    return new URL(res.headers.get('location')!)
  }

  it('is discoverable from the home page (rel links) and publishes metadata', async () => {
    const home = await (await fetch(`${site}/`, { headers: { accept: 'text/html' } })).text()
    const rels = mf2(home, { baseUrl: `${site}/` }).rels
    expect(rels['indieauth-metadata']).toEqual([`${site}/.well-known/oauth-authorization-server`])
    expect(rels.authorization_endpoint).toEqual([`${site}/indieauth/auth`])
    expect(rels.token_endpoint).toEqual([`${site}/indieauth/token`])
    expect(rels.micropub).toEqual([`${site}/micropub`])
    const res = await fetch(rels['indieauth-metadata']![0]!)
    metadata = (await res.json()) as Record<string, unknown>
    expect(metadata.issuer).toBe(`${site}/`)
    expect(metadata.authorization_endpoint).toBe(`${site}/indieauth/auth`)
    expect(metadata.token_endpoint).toBe(`${site}/indieauth/token`)
    expect(metadata.revocation_endpoint).toBe(`${site}/indieauth/revoke`)
    expect(metadata.code_challenge_methods_supported).toEqual(['S256'])
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['create', 'update', 'delete', 'undelete', 'media', 'profile']))
  })

  it('sends a visitor to the login page first, then shows the admin a consent page', async () => {
    const { challenge } = pkce()
    const url = authorizeUrl({ response_type: 'code', client_id: client.url, redirect_uri: `${client.url}callback`, state: 's1', code_challenge: challenge, code_challenge_method: 'S256', scope: 'create media' })
    const anon = await fetch(url, { headers: { accept: 'text/html' }, redirect: 'manual' })
    expect(anon.status).toBe(303)
    const login = new URL(anon.headers.get('location')!, site)
    expect(login.pathname).toBe('/admin/login')
    expect(login.searchParams.get('next')).toContain('/indieauth/auth?')
    const page = await (await fetch(url, { headers: { cookie: admin.cookie, accept: 'text/html' } })).text()
    expect(page).toContain(client.url)
    expect(page).toContain(`${client.url}callback`)
    const offered = [...page.matchAll(/<input type="checkbox" name="scope"[^>]*value="([^"]+)"/g)].map((m) => m[1])
    expect(offered).toEqual(['create', 'media'])
  })

  it('completes the flow: consent → code with state and iss → token → Micropub post → revoke', async () => {
    const { verifier, challenge } = pkce()
    const params = { response_type: 'code', client_id: client.url, redirect_uri: `${client.url}callback`, state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256', scope: 'create update profile' }
    // The admin unticks "update": only create and profile are granted.
    const back = await consent(params, 'approve', ['create', 'profile'])
    expect(`${back.origin}${back.pathname}`).toBe(`${client.url}callback`)
    expect(back.searchParams.get('state')).toBe('xyz')
    expect(back.searchParams.get('iss')).toBe(`${site}/`)
    await fetch(back.href)
    expect(client.callbacks.at(-1)?.get('code')).toBe(back.searchParams.get('code'))
    const code = back.searchParams.get('code')!
    const stored = ts.server.context.db.writer.prepare('SELECT code_hash FROM authorization_codes').all() as Array<{ code_hash: string }>
    expect(stored.some((r) => r.code_hash === code)).toBe(false)

    const exchange = (c: string, v: string) =>
      fetch(String(metadata.token_endpoint), {
        method: 'POST',
        headers: { accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: c, client_id: client.url, redirect_uri: `${client.url}callback`, code_verifier: v }),
      })
    const res = await exchange(code, verifier)
    expect(res.status).toBe(200)
    const grant = (await res.json()) as { me: string; access_token: string; scope: string; token_type: string; profile?: { url: string } }
    expect(grant.me).toBe(`${site}/`)
    expect(grant.scope).toBe('create profile')
    expect(grant.token_type).toBe('Bearer')
    expect(grant.profile?.url).toBe(`${site}/`)
    // Single use (and a replay revokes the token: token-lifecycle.test.ts).

    const post = await fetch(`${site}/micropub`, { method: 'POST', headers: { authorization: `Bearer ${grant.access_token}` }, body: new URLSearchParams({ h: 'entry', content: 'Posted from a signed-in client' }) })
    expect(post.status).toBe(201)
    const update = await fetch(`${site}/micropub`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grant.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'update', url: post.headers.get('location'), replace: { content: ['no'] } }),
    })
    expect(update.status).toBe(403)

    const verify = await fetch(String(metadata.token_endpoint), { headers: { authorization: `Bearer ${grant.access_token}` } })
    expect(await verify.json()).toEqual({ me: `${site}/`, client_id: client.url, scope: 'create profile' })

    // Quill signs out with the legacy action=revoke.
    const revoke = await fetch(String(metadata.token_endpoint), { method: 'POST', body: new URLSearchParams({ action: 'revoke', token: grant.access_token }) })
    expect(revoke.status).toBe(200)
    const after = await fetch(`${site}/micropub?q=config`, { headers: { authorization: `Bearer ${grant.access_token}` } })
    expect(after.status).toBe(401)
    expect(ts.lines.join('\n')).not.toContain(grant.access_token)
    expect(ts.lines.join('\n')).not.toContain(code)
  })

  it('revokes at the RFC 7009 revocation endpoint', async () => {
    const { verifier, challenge } = pkce()
    const back = await consent({ client_id: client.url, redirect_uri: `${client.url}callback`, code_challenge: challenge, code_challenge_method: 'S256', scope: 'create' }, 'approve', ['create'])
    const res = await fetch(`${site}/indieauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, client_id: client.url, redirect_uri: `${client.url}callback`, code_verifier: verifier }),
    })
    const { access_token } = (await res.json()) as { access_token: string }
    expect((await fetch(`${site}/micropub?q=config`, { headers: { authorization: `Bearer ${access_token}` } })).status).toBe(200)
    expect((await fetch(`${site}/indieauth/revoke`, { method: 'POST', body: new URLSearchParams({ token: access_token }) })).status).toBe(200)
    expect((await fetch(`${site}/micropub?q=config`, { headers: { authorization: `Bearer ${access_token}` } })).status).toBe(401)
  })

  it('refuses a wrong code_verifier, a wrong redirect_uri and an expired code', async () => {
    const send = (code: string, verifier: string, redirect = `${client.url}callback`) =>
      fetch(`${site}/indieauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: client.url, redirect_uri: redirect, code_verifier: verifier }) })
    const a = pkce()
    const codeA = (await consent({ client_id: client.url, redirect_uri: `${client.url}callback`, code_challenge: a.challenge, code_challenge_method: 'S256', scope: 'create' }, 'approve', ['create'])).searchParams.get('code')!
    expect((await send(codeA, pkce().verifier)).status).toBe(400)
    const b = pkce()
    const codeB = (await consent({ client_id: client.url, redirect_uri: `${client.url}callback`, code_challenge: b.challenge, code_challenge_method: 'S256', scope: 'create' }, 'approve', ['create'])).searchParams.get('code')!
    expect((await send(codeB, b.verifier, `${client.url}other`)).status).toBe(400)
    const c = pkce()
    const codeC = (await consent({ client_id: client.url, redirect_uri: `${client.url}callback`, code_challenge: c.challenge, code_challenge_method: 'S256', scope: 'create' }, 'approve', ['create'])).searchParams.get('code')!
    ts.server.context.db.writer.prepare('UPDATE authorization_codes SET expires_at = 1 WHERE used_at IS NULL').run()
    const expired = await send(codeC, c.verifier)
    expect(expired.status).toBe(400)
    expect(((await expired.json()) as { error: string }).error).toBe('invalid_grant')
  })

  it('requires PKCE S256 on an error page (never a redirect); a denial after consent goes back with state and iss', async () => {
    const noPkce = await fetch(authorizeUrl({ response_type: 'code', client_id: client.url, redirect_uri: `${client.url}callback`, state: 'p', scope: 'create' }), {
      headers: { cookie: admin.cookie, accept: 'text/html' },
      redirect: 'manual',
    })
    expect(noPkce.status).toBe(400)
    expect(noPkce.headers.get('location')).toBeNull()
    expect(await noPkce.text()).toContain('PKCE')
    const plain = await fetch(authorizeUrl({ client_id: client.url, redirect_uri: `${client.url}callback`, state: 'p', code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }), { headers: { cookie: admin.cookie }, redirect: 'manual' })
    expect(plain.status).toBe(400)
    expect(plain.headers.get('location')).toBeNull()
    const { challenge } = pkce()
    const denied = await consent({ client_id: client.url, redirect_uri: `${client.url}callback`, state: 'd', code_challenge: challenge, code_challenge_method: 'S256', scope: 'create' }, 'deny', ['create'])
    expect(denied.searchParams.get('error')).toBe('access_denied')
    expect(denied.searchParams.get('state')).toBe('d')
    expect(denied.searchParams.get('iss')).toBe(`${site}/`)
    expect(denied.searchParams.get('code')).toBeNull()
  })

  it('never redirects to a redirect_uri on another host, and refuses consent without the CSRF token', async () => {
    const { challenge } = pkce()
    const evil = await fetch(authorizeUrl({ client_id: client.url, redirect_uri: 'https://evil.example/steal', state: 'e', code_challenge: challenge, code_challenge_method: 'S256' }), {
      headers: { cookie: admin.cookie, accept: 'text/html' },
      redirect: 'manual',
    })
    expect(evil.status).toBe(400)
    expect(evil.headers.get('location')).toBeNull()
    const codesBefore = (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM authorization_codes').get() as { n: number }).n
    const forged = await fetch(`${site}/indieauth/auth/consent`, {
      method: 'POST',
      headers: { cookie: admin.cookie, accept: 'text/html' },
      body: new URLSearchParams({ client_id: client.url, redirect_uri: `${client.url}callback`, state: 'f', code_challenge: challenge, code_challenge_method: 'S256', requested_scope: 'create', scope: 'create', decision: 'approve' }),
      redirect: 'manual',
    })
    expect(forged.status).toBe(403)
    expect((ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM authorization_codes').get() as { n: number }).n).toBe(codesBefore)
  })

  it('redeems a profile-only code at the authorization endpoint (me only), and issues no access token for it', async () => {
    const { verifier, challenge } = pkce()
    const back = await consent({ client_id: client.url, redirect_uri: `${client.url}callback`, code_challenge: challenge, code_challenge_method: 'S256', scope: 'profile' }, 'approve', ['profile'])
    const res = await fetch(`${site}/indieauth/auth`, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, client_id: client.url, redirect_uri: `${client.url}callback`, code_verifier: verifier }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { me: string; access_token?: string; profile?: { name: string } }
    expect(body.me).toBe(`${site}/`)
    expect(body.access_token).toBeUndefined()
    expect(body.profile?.name).toBe(ts.server.context.config.authorName)
    const second = pkce()
    const back2 = await consent({ client_id: client.url, redirect_uri: `${client.url}callback`, code_challenge: second.challenge, code_challenge_method: 'S256', scope: 'profile' }, 'approve', ['profile'])
    const token = await fetch(`${site}/indieauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: back2.searchParams.get('code')!, client_id: client.url, redirect_uri: `${client.url}callback`, code_verifier: second.verifier }),
    })
    expect(token.status).toBe(400)
  })

  it('answers bad token-endpoint requests in the OAuth shape', async () => {
    const missing = await fetch(`${site}/indieauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code' }) })
    expect(missing.status).toBe(400)
    const body = (await missing.json()) as Record<string, string>
    expect(body.error).toBe('invalid_request')
    expect(body.request_id).toBe(missing.headers.get('x-request-id'))
    const wrongGrant = await fetch(`${site}/indieauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: 'x' }) })
    expect(wrongGrant.status).toBe(400)
    const badJson = await fetch(`${site}/indieauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })
    expect(badJson.status).toBe(400)
    expect(((await badJson.json()) as Record<string, string>).error).toBe('invalid_request')
  })
})
