import { createHash, randomBytes } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { hiddenFields } from '../../../../test/helpers/consent'
import { OUTBOUND_TEST_ENV, startTestServer, type TestServer } from '../../../../test/helpers/server'
import type { Resolver } from '../outbound'

// A redirect_uri on another origin than client_id is accepted only when the client's own document publishes
// it. The clients here are real HTTP servers on loopback, reached under made-up host names through the
// server's injectable resolver (no DNS, no network).

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** One loopback HTTP server playing every client host; each test sets what a path answers. */
async function startClients() {
  const routes = new Map<string, Handler>()
  const seen: string[] = []
  const server = createHttpServer((req, res) => {
    const host = (req.headers.host ?? '').split(':')[0]!
    const path = new URL(req.url ?? '/', 'http://x').pathname
    seen.push(`${host}${path}`)
    const handler = routes.get(`${host}${path}`)
    if (!handler) {
      res.statusCode = 404
      res.end('not here')
      return
    }
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    port,
    routes,
    seen,
    url: (host: string, path = '/') => `http://${host}:${port}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const json = (body: unknown): Handler => (_req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(body))
}
const html = (body: string, headers: Record<string, string> = {}): Handler => (_req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8')
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  res.end(body)
}

const KNOWN_HOSTS = new Set(['app.test', 'native.test', 'web.test', 'header.test', 'liar.test', 'silent.test', 'broken.test'])
const loopbackResolver: Resolver = async (hostname) => {
  if (KNOWN_HOSTS.has(hostname)) return [{ address: '127.0.0.1', family: 4 }]
  throw Object.assign(new Error(`unknown host ${hostname}`), { code: 'ENOTFOUND' })
}

describe('redirect URIs published by the client (client_id document)', () => {
  let ts: TestServer
  let clients: Awaited<ReturnType<typeof startClients>>
  let admin: AdminLogin
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url')

  beforeAll(async () => {
    clients = await startClients()
    ts = await startTestServer({ ...OUTBOUND_TEST_ENV }, { outbound: { resolver: loopbackResolver } })
    admin = await loginAsAdmin(ts)
  })
  afterAll(async () => {
    await ts.close()
    await clients.close()
  })

  const authorize = (clientId: string, redirectUri: string, signedIn = true) => {
    const url = new URL(`${ts.url}/indieauth/auth`)
    const params = { response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state: 's', code_challenge: challenge, code_challenge_method: 'S256', scope: 'create' }
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    return fetch(url, { headers: { accept: 'text/html', ...(signedIn ? { cookie: admin.cookie } : {}) }, redirect: 'manual' })
  }
  async function approve(page: Response): Promise<Response> {
    const fields = hiddenFields(await page.text())
    fields.set('decision', 'approve')
    fields.append('scope', 'create')
    return fetch(`${ts.url}/indieauth/auth/consent`, { method: 'POST', headers: { cookie: admin.cookie }, body: fields, redirect: 'manual' })
  }
  async function expectRefused(res: Response, reason: RegExp) {
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
    expect(await res.text()).toMatch(reason)
  }

  it('accepts a private-use scheme redirect listed in JSON client metadata, and sends the code there after consent', async () => {
    const clientId = clients.url('native.test', '/app.json')
    clients.routes.set('native.test/app.json', json({ client_id: clientId, client_name: 'Native', redirect_uris: ['com.example.native:/callback'] }))
    const page = await authorize(clientId, 'com.example.native:/callback')
    expect(page.status).toBe(200)
    // The consent form may end at the app's scheme (and nowhere else besides ourselves).
    expect(page.headers.get('content-security-policy')).toMatch(/form-action 'self' com\.example\.native:(;|$)/)
    const back = await approve(page)
    expect(back.status).toBe(302)
    const location = new URL(back.headers.get('location')!)
    expect(`${location.protocol}${location.pathname}`).toBe('com.example.native:/callback')
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('lets a published loopback redirect vary its port (RFC 8252 §7.3)', async () => {
    const clientId = clients.url('app.test', '/')
    clients.routes.set('app.test/', json({ client_id: clientId, redirect_uris: ['http://127.0.0.1/oauth/done'] }))
    expect((await authorize(clientId, 'http://127.0.0.1:49152/oauth/done')).status).toBe(200)
    // Only the port may differ.
    await expectRefused(await authorize(clientId, 'http://127.0.0.1:49152/oauth/other'), /does not publish it/)
  })

  it('accepts rel="redirect_uri" from the HTML page and from a Link header', async () => {
    const webId = clients.url('web.test', '/')
    const other = clients.url('app.test', '/signed-in')
    clients.routes.set('web.test/', html(`<!doctype html><title>Web app</title><link rel="me redirect_uri" href="${other}">`))
    expect((await authorize(webId, other)).status).toBe(200)
    const headerId = clients.url('header.test', '/')
    const viaHeader = clients.url('app.test', '/from-header')
    clients.routes.set('header.test/', html('<!doctype html><title>Header app</title>', { link: `<${viaHeader}>; rel="redirect_uri"` }))
    const page = await authorize(headerId, viaHeader)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${new URL(viaHeader).origin}`)
  })

  it('refuses a redirect the document does not publish, a document naming another client_id, and an unreachable one', async () => {
    await expectRefused(await authorize(clients.url('web.test', '/'), 'https://evil.example/steal'), /does not publish it/)
    const liarId = clients.url('liar.test', '/')
    clients.routes.set('liar.test/', json({ client_id: 'https://someone-else.example/', redirect_uris: ['com.liar:/cb'] }))
    await expectRefused(await authorize(liarId, 'com.liar:/cb'), /another client_id/)
    // No document at all (404), and a host with nothing listening.
    await expectRefused(await authorize(clients.url('silent.test', '/nothing'), 'com.silent:/cb'), /answered 404/)
    await expectRefused(await authorize('http://broken.test:1/', 'com.broken:/cb'), /could not be fetched/)
  })

  it('fetches nothing for a visitor who is not signed in (sent to the login page first)', async () => {
    const before = clients.seen.length
    const res = await authorize(clients.url('native.test', '/app.json'), 'com.example.native:/callback', false)
    expect(res.status).toBe(303)
    expect(new URL(res.headers.get('location')!, ts.url).pathname).toBe('/admin/login')
    expect(clients.seen.length).toBe(before)
  })
})

describe('redirect URIs on another origin with outbound requests off', () => {
  it('refuses with an error page that says why', async () => {
    const ts = await startTestServer()
    try {
      const admin = await loginAsAdmin(ts)
      const url = new URL(`${ts.url}/indieauth/auth`)
      const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url')
      for (const [k, v] of Object.entries({ client_id: 'https://app.example/', redirect_uri: 'com.example.app:/cb', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })) url.searchParams.set(k, v)
      const res = await fetch(url, { headers: { accept: 'text/html', cookie: admin.cookie }, redirect: 'manual' })
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      expect(await res.text()).toMatch(/could not be fetched|outbound/i)
    } finally {
      await ts.close()
    }
  })
})
