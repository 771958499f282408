/**
 * Debian's Caddy 2.6 on loopback in front of a whole StarPunk server, running the Caddyfile of
 * docs/deployment.md with its site name and upstream replaced, and the test's certificate in place of one
 * Caddy would obtain. Caddy 2.6 has no HTTP cache, so this checks TLS and forwarded addresses only.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentedConfig, substitute } from './helpers/deployment-doc'
import {
  freePort,
  makeSelfSignedCertificate,
  proxyTempDir,
  readStreamUntil,
  removeDir,
  retryWhenPortTaken,
  send,
  setCookieLine,
  startCaddy,
  type Certificate,
  type ProxyProcess,
  type RequestOptions,
} from './helpers/reverse-proxy'
import { loginAsAdmin } from './helpers/admin'
import { startTestServer, type TestServer } from './helpers/server'

describe('Caddy terminating TLS in front of StarPunk', () => {
  let dir: string
  let cert: Certificate
  let url: string
  let ts: TestServer
  let caddy: ProxyProcess
  const get = (path: string, options: RequestOptions = {}) => send(`${url}${path}`, { ca: cert.pem, ...options })

  beforeAll(async () => {
    dir = proxyTempDir('starpunk-caddy-')
    cert = makeSelfSignedCertificate(dir)
    await retryWhenPortTaken(async () => {
      const port = await freePort()
      url = `https://127.0.0.1:${port}`
      ts = await startTestServer({ STARPUNK_SITE_URL: url, STARPUNK_TRUSTED_PROXIES: '127.0.0.1' }, { auth: { loginFailures: { max: 2, windowMs: 60 * 60_000 } } })
      const site = substitute(documentedConfig('caddy'), [
        ['blog.example.org {', `${url} {\n\ttls ${cert.certPath} ${cert.keyPath}`],
        ['127.0.0.1:8080', new URL(ts.url).host],
      ])
      // Test-only global options: no admin API, storage under the temp dir, no port-80 redirect listener.
      const globals = ['{', '\tadmin off', `\tstorage file_system ${join(dir, 'storage')}`, '\tauto_https disable_redirects',
        `\thttp_port ${await freePort()}`, '\tskip_install_trust', '}', ''].join('\n')
      const caddyfile = join(dir, 'Caddyfile')
      writeFileSync(caddyfile, `${globals}${site}`)
      try {
        caddy = await startCaddy(dir, caddyfile, port)
      } catch (err) {
        await ts.close()
        throw err
      }
    })
  })
  afterAll(async () => {
    await caddy?.stop()
    await ts?.close()
    removeDir(dir)
  })

  it('signs in through Caddy with a Secure session cookie that works over TLS', async () => {
    const link = new URL(await ts.server.context.auth.issueLoginLink())
    expect(link.origin).toBe(url)
    const signedIn = await get(`${link.pathname}${link.search}`, { headers: { accept: 'text/html' } })
    expect(signedIn.status).toBe(303)
    const cookie = setCookieLine(signedIn, 'starpunk_session')
    expect(cookie).toBeDefined()
    expect(cookie!.split(';').map((part) => part.trim().toLowerCase())).toEqual(expect.arrayContaining(['secure', 'httponly']))
    const admin = await get('/admin', { headers: { accept: 'text/html', cookie: cookie!.split(';')[0]! } })
    expect(admin.status).toBe(200)
    expect(admin.body).toContain('/admin/logout')
  })

  it("streams the console's live events through Caddy as they happen", async () => {
    const { cookie } = await loginAsAdmin(ts)
    const stream = await readStreamUntil(`${url}/admin/console/api/events`, { ca: cert.pem, headers: { cookie, accept: 'text/event-stream' } }, (text) =>
      /event: ready[\s\S]*event: pool:stats/.test(text),
    )
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/)
  })

  it('counts the client Caddy saw, from X-Forwarded-For, and believes no forged one', async () => {
    const badLink = '/admin/login/link?token=not-a-real-token'
    const viaCaddy = (from: string, headers: Record<string, string> = {}) =>
      get(badLink, { localAddress: from, headers: { accept: 'application/json', ...headers } })
    const direct = (from: string, headers: Record<string, string> = {}) =>
      send(`${ts.url}${badLink}`, { localAddress: from, headers: { accept: 'application/json', ...headers } })

    expect((await viaCaddy('127.0.0.5')).status).toBe(400)
    expect((await viaCaddy('127.0.0.5')).status).toBe(400)
    expect((await viaCaddy('127.0.0.5')).status).toBe(429)
    // Another client behind the same Caddy has its own budget: StarPunk counted 127.0.0.5, not Caddy's 127.0.0.1.
    expect((await viaCaddy('127.0.0.6')).status).toBe(400)
    // A client's own X-Forwarded-For does not get through Caddy to be believed.
    expect((await viaCaddy('127.0.0.7', { 'x-forwarded-for': '127.0.0.5' })).status).toBe(400)
    expect((await direct('127.0.0.8', { 'x-forwarded-for': '127.0.0.5' })).status).toBe(400)
    expect((await direct('127.0.0.5', { 'x-forwarded-for': '127.0.0.9' })).status).toBe(429)
  })
})
