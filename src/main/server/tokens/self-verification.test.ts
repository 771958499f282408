// External token verification must never call this server itself: ADMIN_ME is another site (a REAL loopback
// server) whose metadata advertises OUR token endpoint in disguise. Every request is counted on both servers.
import { createServer as createHttpServer, type Server } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { OUTBOUND_TEST_ENV, parsedLogs, startTestServer, type TestServer } from '../../../../test/helpers/server'
import { VERSION } from '../version'

type Disguise = 'trailing-slash' | 'redirect' | 'alias' | 'uppercase-host'

let other: Server
let otherOrigin = ''
const otherRequests: string[] = []
const userAgents = new Set<string>()
/** What the other site's metadata names as token endpoint; set once our server listens. */
let advertised = ''
/** Where the other site's /token redirects to. */
let redirectTarget = ''

beforeAll(async () => {
  other = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    otherRequests.push(`${req.method} ${path}`)
    userAgents.add(req.headers['user-agent'] ?? '')
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html', link: '</.well-known/oauth-authorization-server>; rel="indieauth-metadata"' })
      res.end('<!doctype html><p>me</p>')
    } else if (path === '/.well-known/oauth-authorization-server') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ issuer: `${otherOrigin}/`, authorization_endpoint: `${otherOrigin}/auth`, token_endpoint: advertised }))
    } else if (path === '/token') {
      res.writeHead(301, { location: redirectTarget })
      res.end()
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  otherOrigin = `http://127.0.0.1:${(other.address() as { port: number }).port}`
})

afterAll(async () => {
  other.closeAllConnections()
  await new Promise<void>((resolve) => other.close(() => resolve()))
})

let ts: TestServer | null = null
afterEach(async () => {
  await ts?.close()
  ts = null
  otherRequests.length = 0
  userAgents.clear()
})

/** Our own token endpoint as each disguise spells it. */
function disguised(disguise: Disguise, ourUrl: string): string {
  const port = new URL(ourUrl).port
  switch (disguise) {
    case 'trailing-slash':
      return `${ourUrl}/indieauth/token/`
    case 'redirect':
      redirectTarget = `${ourUrl}/indieauth/token`
      return `${otherOrigin}/token`
    case 'alias':
      // Another name for the same address and port (a www. alias, localhost for 127.0.0.1).
      return `http://www.blog.test:${port}/indieauth/token`
    case 'uppercase-host':
      return `http://LOCALHOST.BLOG.TEST:${port}/INDIEAUTH/TOKEN`
  }
}

async function startOurs(disguise: Disguise): Promise<TestServer> {
  ts = await startTestServer(
    { ...OUTBOUND_TEST_ENV, STARPUNK_ADMIN_ME: `${otherOrigin}/` },
    {
      // *.blog.test are names of this machine (our server), resolved without DNS.
      outbound: { resolver: async (hostname) => (hostname.endsWith('blog.test') ? [{ address: '127.0.0.1', family: 4 }] : [{ address: hostname, family: 4 }]) },
      tokens: { external: { timeoutMs: 2_000 } },
    },
  )
  advertised = disguised(disguise, ts.url)
  return ts
}

/** Requests our server answered on its token endpoint (any spelling). */
function ownTokenEndpointHits(site: TestServer): number {
  return parsedLogs(site.lines).filter((entry) => entry.msg === 'request' && typeof entry.path === 'string' && entry.path.toLowerCase().startsWith('/indieauth/token')).length
}

const micropub = (site: TestServer, token: string) =>
  fetch(`${site.url}/micropub`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams({ h: 'entry', content: 'x' }) })

describe('external token verification never calls this server', () => {
  it.each(['trailing-slash', 'redirect', 'alias', 'uppercase-host'] as const)(
    'ADMIN_ME advertises our own token endpoint (%s): one bogus bearer is a bounded number of requests and a 401',
    async (disguise) => {
      const site = await startOurs(disguise)
      const res = await micropub(site, 'bogus-token-1')
      expect(res.status).toBe(401)
      expect(((await res.json()) as { error: string }).error).toBe('unauthorized')
      // Discovery (profile + metadata), plus the redirect hop when there is one; never our own endpoint.
      expect(otherRequests).toEqual(['GET /', 'GET /.well-known/oauth-authorization-server', ...(disguise === 'redirect' ? ['GET /token'] : [])])
      expect(ownTokenEndpointHits(site)).toBe(0)
      expect([...userAgents]).toEqual([`StarPunk/${VERSION} (+${site.url})`])

      // The same bogus token again: remembered, nothing is fetched. A different one reuses the discovery.
      const before = otherRequests.length
      for (let i = 0; i < 5; i++) expect((await micropub(site, 'bogus-token-1')).status).toBe(401)
      expect(otherRequests).toHaveLength(before)
      expect((await micropub(site, 'bogus-token-2')).status).toBe(401)
      expect(otherRequests.length - before).toBe(disguise === 'redirect' ? 1 : 0)
      expect(ownTokenEndpointHits(site)).toBe(0)
    },
  )

  it('GET /indieauth/token answers only for tokens this server issued, and never forwards an unknown one', async () => {
    const site = await startOurs('trailing-slash')
    const { token } = await site.server.context.tokens.createPersonal({ name: 'mine', scopes: ['create'], expiresAt: null })
    const mine = await fetch(`${site.url}/indieauth/token`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } })
    expect(mine.status).toBe(200)
    expect(((await mine.json()) as { scope: string }).scope).toBe('create')

    const unknown = await fetch(`${site.url}/indieauth/token`, { headers: { authorization: 'Bearer not-one-of-ours', accept: 'application/json' } })
    expect(unknown.status).toBe(401)
    // Not a single outbound request: the other site was never asked about it.
    expect(otherRequests).toEqual([])
  })
})
