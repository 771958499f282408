// IndieAuth sign-in against a REAL authorization server on loopback (node:http) playing the provider,
// which also serves the ADMIN_ME profile pages in each discovery style.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sessionCookieFrom, startAuthTestServer } from '../../../../test/helpers/admin'
import { OUTBOUND_TEST_ENV, type TestServer } from '../../../../test/helpers/server'

interface PendingCode {
  challenge: string
  method: string
  clientId: string
  redirectUri: string
}

/** Knobs a test turns to make the provider misbehave in one specific way. */
interface ProviderBehaviour {
  /** The `me` the provider vouches for at redemption. */
  me: string | null
  /** Override `iss` on the redirect (null: leave it out). */
  iss: string | undefined | null
  /** Replace the stored challenge, so the client's verifier cannot match (PKCE mismatch). */
  corruptChallenge: boolean
  /** Answer the redirect with an OAuth error instead of a code. */
  deny: boolean
}

let provider: Server
let base = ''
const codes = new Map<string, PendingCode>()
const redemptions: Array<Record<string, string>> = []
const authorizeRequests: URL[] = []
let behaviour: ProviderBehaviour

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, ...headers })
  res.end(body)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function profileHtml(head: string): string {
  return `<!doctype html><html><head><title>Me</title>${head}</head><body><p class="h-card">Me</p></body></html>`
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', base)
  const metadataUrl = `${base}/.well-known/oauth-authorization-server`
  switch (url.pathname) {
    case '/link-header':
      return send(res, 200, 'text/html', profileHtml(''), { link: `<${metadataUrl}>; rel="indieauth-metadata"` })
    case '/html':
      return send(res, 200, 'text/html; charset=utf-8', profileHtml(`<link rel="me authn" href="https://elsewhere.example/"><link rel="indieauth-metadata" href="/.well-known/oauth-authorization-server">`))
    case '/legacy':
      return send(res, 200, 'text/html', profileHtml(`<link rel="authorization_endpoint" href="/auth"><link rel="token_endpoint" href="/token">`))
    case '/nothing':
      return send(res, 200, 'text/html', profileHtml(''))
    case '/no-issuer':
      return send(res, 200, 'text/html', profileHtml(`<link rel="indieauth-metadata" href="/meta/no-issuer">`))
    case '/meta/no-issuer':
      return send(res, 200, 'application/json', JSON.stringify({ authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/token` }))
    case '/foreign-issuer':
      return send(res, 200, 'text/html', profileHtml(`<link rel="indieauth-metadata" href="/meta/foreign-issuer">`))
    case '/meta/foreign-issuer':
      // An issuer that is not a prefix of this metadata URL: a metadata document speaking for another server.
      return send(res, 200, 'application/json', JSON.stringify({ issuer: 'https://issuer.example/', authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/token` }))
    case '/slow':
      return // never answers: the client's timeout must end it
    case '/.well-known/oauth-authorization-server':
      return send(
        res,
        200,
        'application/json',
        JSON.stringify({ issuer: `${base}/`, authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/token`, code_challenge_methods_supported: ['S256'] }),
      )
    case '/auth':
      if (req.method === 'GET') {
        authorizeRequests.push(url)
        const redirectUri = url.searchParams.get('redirect_uri') ?? ''
        const back = new URL(redirectUri)
        back.searchParams.set('state', url.searchParams.get('state') ?? '')
        if (behaviour.deny) {
          back.searchParams.set('error', 'access_denied')
          back.searchParams.set('error_description', 'The user said no')
        } else {
          const code = `code-${authorizeRequests.length}`
          codes.set(code, {
            challenge: behaviour.corruptChallenge ? 'not-the-challenge' : (url.searchParams.get('code_challenge') ?? ''),
            method: url.searchParams.get('code_challenge_method') ?? '',
            clientId: url.searchParams.get('client_id') ?? '',
            redirectUri,
          })
          back.searchParams.set('code', code)
        }
        if (behaviour.iss !== null) back.searchParams.set('iss', behaviour.iss ?? `${base}/`)
        res.writeHead(302, { location: back.href })
        res.end()
        return
      }
      if (req.method === 'POST') {
        const form = Object.fromEntries(new URLSearchParams(await readBody(req)))
        redemptions.push(form)
        const pending = codes.get(form.code ?? '')
        codes.delete(form.code ?? '')
        const verifierOk = pending && createHash('sha256').update(form.code_verifier ?? '').digest('base64url') === pending.challenge
        if (!pending || !verifierOk || pending.clientId !== form.client_id || pending.redirectUri !== form.redirect_uri || form.grant_type !== 'authorization_code') {
          return send(res, 400, 'application/json', JSON.stringify({ error: 'invalid_grant' }))
        }
        return send(res, 200, 'application/json', JSON.stringify({ me: behaviour.me }))
      }
      return send(res, 405, 'text/plain', 'no')
    default:
      return send(res, 404, 'text/plain', 'not found')
  }
}

beforeAll(async () => {
  provider = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, 'text/plain', 'provider broke'))
  })
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve))
  const address = provider.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})

afterAll(async () => {
  provider.closeAllConnections()
  await new Promise<void>((resolve) => provider.close(() => resolve()))
})

let ts: TestServer | null = null
afterEach(async () => {
  await ts?.close()
  ts = null
})

function reset(me: string): void {
  behaviour = { me, iss: undefined, corruptChallenge: false, deny: false }
  codes.clear()
  redemptions.length = 0
  authorizeRequests.length = 0
}

async function startSite(profilePath: string, auth: Parameters<typeof startAuthTestServer>[1] = {}): Promise<TestServer> {
  const me = `${base}${profilePath}`
  reset(me)
  ts = await startAuthTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_ADMIN_ME: me }, { fetchTimeoutMs: 2_000, ...auth })
  return ts
}

/** POST the login form; returns the Location (the provider's authorization URL). */
async function beginLogin(site: TestServer, next = '/admin'): Promise<Response> {
  return fetch(`${site.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ next }).toString(),
  })
}

/** The login-state cookie (name=value) a login start set, for the callback; null when none. */
function loginCookieFrom(res: Response): string | null {
  for (const line of res.headers.getSetCookie()) {
    const match = /^starpunk_login=([^;]+)/.exec(line)
    if (match) return `starpunk_login=${match[1]}`
  }
  return null
}

/** Play the browser: login form → provider → callback, carrying the login cookie. Returns the callback response and its URL. */
async function browserLogin(site: TestServer, next = '/admin'): Promise<{ callback: Response; callbackUrl: string; cookie: string }> {
  const start = await beginLogin(site, next)
  expect(start.status).toBe(303)
  const cookie = loginCookieFrom(start)
  expect(cookie).not.toBeNull()
  const approve = await fetch(start.headers.get('location')!, { redirect: 'manual' })
  expect(approve.status).toBe(302)
  const callbackUrl = approve.headers.get('location')!
  const callback = await fetch(callbackUrl, { redirect: 'manual', headers: { accept: 'text/html', cookie: cookie! } })
  return { callback, callbackUrl, cookie: cookie! }
}

async function sessionCount(site: TestServer): Promise<number> {
  return (await site.server.context.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sessions'))?.n ?? -1
}

describe('IndieAuth sign-in for ADMIN_ME', () => {
  it('discovers metadata through the HTTP Link header and signs in with state + PKCE S256', async () => {
    const site = await startSite('/link-header')
    const { callback, callbackUrl } = await browserLogin(site, '/admin/notes/new')
    expect(callback.status).toBe(303)
    expect(callback.headers.get('location')).toBe('/admin/notes/new')
    const cookie = sessionCookieFrom(callback)
    expect(cookie).not.toBeNull()
    const session = await site.server.context.auth.sessionForToken(cookie!.slice('starpunk_session='.length))
    expect(session?.me).toBe(`${base}/link-header`)

    const authorize = authorizeRequests[0]!
    expect(authorize.searchParams.get('response_type')).toBe('code')
    expect(authorize.searchParams.get('client_id')).toBe(`${site.url}/`)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${site.url}/admin/login/callback`)
    expect(authorize.searchParams.get('me')).toBe(`${base}/link-header`)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('state')!.length).toBeGreaterThanOrEqual(32)
    expect(new URL(callbackUrl).searchParams.get('iss')).toBe(`${base}/`)
    // The verifier went to the provider at redemption, and it matched the challenge (else no session).
    expect(redemptions[0]!.code_verifier!.length).toBeGreaterThanOrEqual(43)
    // The state is stored hashed, and is gone after use.
    expect(await site.server.context.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM auth_state')).toEqual({ n: 0 })
  })

  it('discovers metadata through an HTML <link rel="indieauth-metadata">', async () => {
    const site = await startSite('/html')
    const { callback } = await browserLogin(site)
    expect(callback.status).toBe(303)
    expect(sessionCookieFrom(callback)).not.toBeNull()
    expect(authorizeRequests[0]!.pathname).toBe('/auth')
  })

  it('falls back to a legacy rel="authorization_endpoint" link (no issuer to check)', async () => {
    const site = await startSite('/legacy')
    behaviour.iss = null
    const { callback } = await browserLogin(site)
    expect(callback.status).toBe(303)
    expect(sessionCookieFrom(callback)).not.toBeNull()
  })

  it('accepts the admin me in another spelling of the same URL (scheme case)', async () => {
    const site = await startSite('/html')
    behaviour.me = `${base}/html`.replace('http://', 'HTTP://')
    const { callback } = await browserLogin(site)
    expect(callback.status).toBe(303)
  })

  it('refuses a wrong or replayed state, with no session', async () => {
    const site = await startSite('/html')
    const { callback, callbackUrl, cookie } = await browserLogin(site)
    expect(callback.status).toBe(303)
    const replay = await fetch(callbackUrl, { redirect: 'manual', headers: { accept: 'text/html', cookie } })
    expect(replay.status).toBe(400)
    expect(await replay.text()).toContain('unknown or was already used')
    expect(sessionCookieFrom(replay)).toBeNull()

    const forged = new URL(callbackUrl)
    forged.searchParams.set('state', 'forged-state')
    const res = await fetch(forged, { redirect: 'manual', headers: { accept: 'text/html', cookie } })
    expect(res.status).toBe(400)
    expect(sessionCookieFrom(res)).toBeNull()
    expect(await sessionCount(site)).toBe(1)
  })

  it('refuses an expired state', async () => {
    let now = Date.UTC(2026, 0, 1)
    const site = await startSite('/html', { clock: () => now })
    const start = await beginLogin(site)
    const approve = await fetch(start.headers.get('location')!, { redirect: 'manual' })
    now += 10 * 60_000 + 1
    const res = await fetch(approve.headers.get('location')!, { redirect: 'manual', headers: { accept: 'text/html', cookie: loginCookieFrom(start)! } })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('expired')
    expect(await sessionCount(site)).toBe(0)
  })

  it('refuses a different me than ADMIN_ME and says who is who', async () => {
    const site = await startSite('/html')
    behaviour.me = 'https://intruder.example/'
    const { callback } = await browserLogin(site)
    expect(callback.status).toBe(400)
    const body = await callback.text()
    expect(body).toContain('https://intruder.example/')
    expect(body).toContain(`${base}/html`)
    expect(body).toContain(callback.headers.get('x-request-id'))
    expect(sessionCookieFrom(callback)).toBeNull()
    expect(await sessionCount(site)).toBe(0)
  })

  it('refuses when the PKCE verifier does not match the challenge', async () => {
    const site = await startSite('/html')
    behaviour.corruptChallenge = true
    const { callback } = await browserLogin(site)
    expect(callback.status).toBe(400)
    expect(await callback.text()).toContain('invalid_grant')
    expect(redemptions).toHaveLength(1)
    expect(await sessionCount(site)).toBe(0)
  })

  it('refuses a response whose iss is not the issuer from the metadata', async () => {
    const site = await startSite('/html')
    behaviour.iss = 'https://evil-issuer.example/'
    const { callback } = await browserLogin(site)
    expect(callback.status).toBe(400)
    expect(await callback.text()).toContain('iss mismatch')
    // The code was never sent anywhere.
    expect(redemptions).toHaveLength(0)
    expect(await sessionCount(site)).toBe(0)
  })

  it('shows the provider refusal as a clear error', async () => {
    const site = await startSite('/html')
    behaviour.deny = true
    const { callback } = await browserLogin(site)
    expect(callback.status).toBe(400)
    expect(await callback.text()).toContain('access_denied')
    expect(await sessionCount(site)).toBe(0)
  })

  it('explains a profile that advertises no IndieAuth server, an unreachable one and a silent one, never a 500', async () => {
    let site = await startSite('/nothing')
    let res = await beginLogin(site)
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('advertises no IndieAuth server')
    await site.close()

    site = await startSite('/slow', { fetchTimeoutMs: 300 })
    res = await beginLogin(site)
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('did not answer within')
    await site.close()

    // A closed port: nothing listens there.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const address = closed.address()
    const deadPort = typeof address === 'object' && address ? address.port : 1
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    reset(`http://127.0.0.1:${deadPort}/`)
    ts = await startAuthTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_ADMIN_ME: `http://127.0.0.1:${deadPort}/` })
    res = await fetch(`${ts.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { accept: 'application/json' } })
    expect(res.status).toBe(502)
    const json = (await res.json()) as { error: { code: string; message: string; request_id: string } }
    expect(json.error.code).toBe('INDIEAUTH_UNAVAILABLE')
    expect(json.error.message).toContain('could not be reached')
    expect(json.error.request_id).toBe(res.headers.get('x-request-id'))
  })
})

describe('IndieAuth sign-in: issuer, browser binding and start budget', () => {
  it('refuses metadata that names no issuer, so every metadata sign-in can check iss', async () => {
    const site = await startSite('/no-issuer')
    behaviour.iss = null
    const res = await beginLogin(site)
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('names no valid issuer')
    expect(authorizeRequests).toHaveLength(0)
    expect(await site.server.context.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM auth_state')).toEqual({ n: 0 })
  })

  it('refuses an issuer that is not a prefix of the metadata URL, even when the response carries that iss', async () => {
    const site = await startSite('/foreign-issuer')
    behaviour.iss = 'https://issuer.example/'
    const res = await beginLogin(site)
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('prefix of the metadata URL')
    expect(authorizeRequests).toHaveLength(0)
  })

  it('refuses a callback without iss when the metadata named an issuer, before the code is sent anywhere', async () => {
    const site = await startSite('/html')
    behaviour.iss = null
    const { callback } = await browserLogin(site)
    expect(callback.status).toBe(400)
    expect(await callback.text()).toContain('iss missing')
    expect(redemptions).toHaveLength(0)
    expect(await sessionCount(site)).toBe(0)
  })

  it('sets a short-lived, HttpOnly login cookie that only the callback path receives', async () => {
    const site = await startSite('/html')
    const start = await beginLogin(site)
    const line = start.headers.getSetCookie().find((l) => l.startsWith('starpunk_login='))
    expect(line).toBeDefined()
    expect(line).toMatch(/; Max-Age=600(;|$)/)
    expect(line).toMatch(/; Path=\/admin\/login\/callback(;|$)/)
    expect(line).toMatch(/; HttpOnly(;|$)/)
    expect(line).toMatch(/; SameSite=Lax(;|$)/)
    // The state sent to the IndieAuth server does not reveal the cookie's value.
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!
    expect(line).not.toContain(state)
  })

  it('refuses a callback from another browser (no cookie, or the cookie of its own attempt); the right browser still signs in', async () => {
    const site = await startSite('/html')
    const victim = await beginLogin(site)
    const victimCookie = victim.headers.getSetCookie().find((l) => l.startsWith('starpunk_login='))!.split(';')[0]!
    const approve = await fetch(victim.headers.get('location')!, { redirect: 'manual' })
    const callbackUrl = approve.headers.get('location')!

    // The attacker has the callback URL (code and state) but not the victim's cookie.
    const bare = await fetch(callbackUrl, { redirect: 'manual', headers: { accept: 'text/html' } })
    expect(bare.status).toBe(400)
    expect(await bare.text()).toContain('started in another browser')
    expect(sessionCookieFrom(bare)).toBeNull()
    const attacker = await beginLogin(site)
    const attackerCookie = attacker.headers.getSetCookie().find((l) => l.startsWith('starpunk_login='))!.split(';')[0]!
    const swapped = await fetch(callbackUrl, { redirect: 'manual', headers: { accept: 'text/html', cookie: attackerCookie } })
    expect(swapped.status).toBe(400)
    expect(sessionCookieFrom(swapped)).toBeNull()
    // Nothing was redeemed for them, and the victim's attempt was not used up.
    expect(redemptions).toHaveLength(0)
    const good = await fetch(callbackUrl, { redirect: 'manual', headers: { accept: 'text/html', cookie: victimCookie } })
    expect(good.status).toBe(303)
    expect(sessionCookieFrom(good)).not.toBeNull()
    expect(good.headers.getSetCookie().some((l) => /^starpunk_login=;/.test(l))).toBe(true)
  })

  it('counts every login start against the address budget, not only failures', async () => {
    const site = await startSite('/html', { loginFailures: { max: 3, windowMs: 15 * 60_000 } })
    for (let i = 0; i < 3; i++) expect((await beginLogin(site)).status).toBe(303)
    const refused = await beginLogin(site)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
    // Each start made outbound requests and a stored attempt; the refused one made neither.
    expect(await site.server.context.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM auth_state')).toEqual({ n: 3 })
  })
})

describe('IndieAuth sign-in through the outbound policy', () => {
  it('test servers start with outbound requests off: signing in says so (OUTBOUND_DISABLED) and nothing is fetched', async () => {
    reset(`${base}/html`)
    ts = await startAuthTestServer({ STARPUNK_ADMIN_ME: `${base}/html` })
    expect(ts.server.context.outbound.enabled).toBe(false)
    const res = await fetch(`${ts.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { accept: 'application/json' } })
    expect(res.status).toBe(503)
    const json = (await res.json()) as { error: { code: string; message: string; request_id: string } }
    expect(json.error.code).toBe('OUTBOUND_DISABLED')
    expect(json.error.message).toContain('STARPUNK_FETCH_ENABLED=false')
    expect(json.error.request_id).toBe(res.headers.get('x-request-id'))
    expect(authorizeRequests).toHaveLength(0)
  })

  it('refuses a profile on a loopback address unless STARPUNK_FETCH_ALLOW_PRIVATE=true, with a clear 502', async () => {
    reset(`${base}/html`)
    ts = await startAuthTestServer({ STARPUNK_ADMIN_ME: `${base}/html`, STARPUNK_FETCH_ENABLED: 'true' })
    const res = await fetch(`${ts.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { accept: 'application/json' } })
    expect(res.status).toBe(502)
    const json = (await res.json()) as { error: { code: string; message: string } }
    expect(json.error.code).toBe('INDIEAUTH_UNAVAILABLE')
    expect(json.error.message).toContain('STARPUNK_FETCH_ALLOW_PRIVATE=true')
  })
})

describe('test servers never look up an outside name', () => {
  it('with outbound on, an outside ADMIN_ME is not resolved (the test resolver knows only localhost)', async () => {
    ts = await startAuthTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_ADMIN_ME: 'https://ada.example.com/' })
    const res = await fetch(`${ts.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { accept: 'application/json' } })
    expect(res.status).toBe(502)
    const json = (await res.json()) as { error: { code: string; message: string } }
    expect(json.error.code).toBe('INDIEAUTH_UNAVAILABLE')
    expect(json.error.message).toContain('the host ada.example.com could not be found')
  })
})
