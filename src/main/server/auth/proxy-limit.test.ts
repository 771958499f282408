// The login rate limit behind a reverse proxy: clients are told apart by X-Forwarded-For only when it comes
// from a trusted proxy, and a valid one-time link or IndieAuth callback is never refused by the limiter.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../config'
import { manualClock, sessionCookieFrom, startAuthTestServer } from '../../../../test/helpers/admin'
import type { TestServer } from '../../../../test/helpers/server'

const BUDGET = { max: 3, windowMs: 15 * 60_000 }

let ts: TestServer | null = null
afterEach(async () => {
  await ts?.close()
  ts = null
})

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${ts!.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html', ...headers } })
}

const from = (client: string) => ({ 'x-forwarded-for': client })

/** Spend a client's whole failure budget with bad link tokens; the next bad one is refused. */
async function lockOut(headers: Record<string, string>): Promise<void> {
  for (let i = 0; i < BUDGET.max; i++) expect((await get(`/admin/login/link?token=guess-${i}`, headers)).status).toBe(400)
  expect((await get('/admin/login/link?token=one-more-guess', headers)).status).toBe(429)
}

async function validLinkPath(): Promise<string> {
  const link = new URL(await ts!.server.context.auth.issueLoginLink())
  return link.pathname + link.search
}

describe('STARPUNK_TRUSTED_PROXIES', () => {
  it('accepts addresses, CIDR ranges and proxy-addr names, and refuses anything else with the setting named', () => {
    const load = (value: string) => loadConfig({ env: { STARPUNK_TRUSTED_PROXIES: value }, persist: false, file: {} })
    const good = load('127.0.0.1, 10.0.0.0/8 ::1,fd00::/8,Loopback')
    expect(good.problems).toEqual([])
    expect(good.config.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback'])
    expect(load('').config.trustedProxies).toEqual([])
    expect(loadConfig({ env: {}, persist: false, file: {} }).config.trustedProxies).toEqual([])
    for (const bad of ['proxy.example', '10.0.0.0/33', '::1/129', '1.2.3.4/8/9', '10.0.0.0/x', '*']) {
      const { problems } = load(bad)
      expect(problems, bad).toHaveLength(1)
      expect(problems[0]?.message, bad).toMatch(/^STARPUNK_TRUSTED_PROXIES is .*IP addresses or CIDR ranges/)
    }
  })
})

describe('login rate limit behind a reverse proxy', () => {
  it('two clients behind a trusted proxy are limited separately', async () => {
    ts = await startAuthTestServer({ STARPUNK_TRUSTED_PROXIES: '127.0.0.1' }, { clock: manualClock().now, loginFailures: BUDGET })
    await lockOut(from('203.0.113.7'))
    // Another client behind the same proxy still has its own budget.
    expect((await get('/admin/login/link?token=typo', from('198.51.100.9'))).status).toBe(400)
    // The proxy appends the address it saw: the client's own claim (leftmost) is not what counts.
    expect((await get('/admin/login/link?token=typo', from('198.51.100.9, 203.0.113.7'))).status).toBe(429)
  })

  it('ignores X-Forwarded-For from a source that is not a trusted proxy', async () => {
    const setups: Array<Record<string, string>> = [{}, { STARPUNK_TRUSTED_PROXIES: '10.0.0.0/8' }]
    for (const env of setups) {
      ts = await startAuthTestServer(env, { clock: manualClock().now, loginFailures: BUDGET })
      for (let i = 0; i < BUDGET.max; i++) expect((await get(`/admin/login/link?token=guess-${i}`, from(`192.0.2.${i + 1}`))).status).toBe(400)
      // A fresh made-up address does not buy a fresh budget.
      expect((await get('/admin/login/link?token=guess', from('192.0.2.200'))).status, JSON.stringify(env)).toBe(429)
      await ts.close()
      ts = null
    }
  })

  it('after a lockout a valid one-time link still signs in; failures while locked still count', async () => {
    const clock = manualClock()
    ts = await startAuthTestServer({}, { clock: clock.now, loginFailures: BUDGET, loginLinkTtlMs: 60 * 60_000 })
    await lockOut({})
    const signedIn = await get(await validLinkPath())
    expect(signedIn.status).toBe(303)
    expect(signedIn.headers.get('location')).toBe('/admin')
    expect(sessionCookieFrom(signedIn)).not.toBeNull()
    // A used link is a failure like any other, answered 429 while over budget.
    const bad = await get('/admin/login/link?token=still-guessing')
    expect(bad.status).toBe(429)
    expect(Number(bad.headers.get('retry-after'))).toBeGreaterThan(0)
    const body = await bad.text()
    expect(body).toContain('Too many failed sign-in attempts')
    expect(body).toContain(bad.headers.get('x-request-id'))
    // Ten minutes on, three more failures (all 429); six more minutes and the first ones left the window,
    // but these keep the address locked: failures while locked count.
    clock.advance(10 * 60_000)
    for (let i = 0; i < BUDGET.max; i++) expect((await get(`/admin/login/link?token=late-${i}`)).status).toBe(429)
    clock.advance(6 * 60_000)
    expect((await get('/admin/login/link?token=later')).status).toBe(429)
    expect((await get(await validLinkPath())).status).toBe(303)
  })
})

describe('IndieAuth callback during a lockout', () => {
  let provider: Server
  let base = ''

  beforeAll(async () => {
    provider = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', base)
      const json = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      if (url.pathname === '/me') {
        res.writeHead(200, { 'content-type': 'text/html', link: `<${base}/.well-known/oauth-authorization-server>; rel="indieauth-metadata"` })
        res.end('<!doctype html><title>me</title>')
      } else if (url.pathname === '/.well-known/oauth-authorization-server') {
        json({ issuer: `${base}/`, authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/auth`, code_challenge_methods_supported: ['S256'] })
      } else if (url.pathname === '/auth' && req.method === 'GET') {
        // Approves at once: back to the client with a code, the state and the issuer.
        const back = new URL(url.searchParams.get('redirect_uri') ?? '')
        back.searchParams.set('code', 'the-code')
        back.searchParams.set('state', url.searchParams.get('state') ?? '')
        back.searchParams.set('iss', `${base}/`)
        res.writeHead(302, { location: back.href })
        res.end()
      } else if (url.pathname === '/auth' && req.method === 'POST') {
        req.resume()
        req.on('end', () => json({ me: `${base}/me` }))
      } else {
        res.writeHead(404)
        res.end()
      }
    })
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve))
    const address = provider.address()
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => provider.close(() => resolve()))
  })

  it('a valid callback signs in even when the address was locked out meanwhile; a bogus one is refused', async () => {
    ts = await startAuthTestServer(
      { STARPUNK_ADMIN_ME: `${base}/me`, STARPUNK_FETCH_ENABLED: 'true', STARPUNK_FETCH_ALLOW_PRIVATE: 'true' },
      { clock: manualClock().now, loginFailures: BUDGET },
    )
    const start = await fetch(`${ts.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ next: '/admin/notes/new' }).toString(),
    })
    expect(start.status).toBe(303)
    // The browser keeps whatever cookies the start set (the sign-in may be bound to this browser).
    const cookies = start.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
    const approved = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' })
    expect(approved.status).toBe(302)
    const callback = new URL(approved.headers.get('location') ?? '')

    // Meanwhile someone at the same address spends its budget (the start may have counted too).
    let refused = false
    for (let i = 0; i <= BUDGET.max && !refused; i++) refused = (await get(`/admin/login/link?token=guess-${i}`)).status === 429
    expect(refused).toBe(true)

    const bogus = await get(`/admin/login/callback?state=made-up&code=x&iss=${encodeURIComponent(`${base}/`)}`, cookies ? { cookie: cookies } : {})
    expect(bogus.status).toBe(429)
    const finished = await get(callback.pathname + callback.search, cookies ? { cookie: cookies } : {})
    expect(finished.status).toBe(303)
    expect(finished.headers.get('location')).toBe('/admin/notes/new')
    expect(sessionCookieFrom(finished)).not.toBeNull()
  })
})
