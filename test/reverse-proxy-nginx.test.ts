/**
 * Debian's nginx on loopback in front of a whole StarPunk server, running the configuration block of
 * docs/deployment.md with only its addresses and paths changed. Here rather than in e2e/: no browser is
 * involved, and it crosses capabilities (auth, pages, Micropub, IndieAuth, the console, Webmention).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CreateServerOptions } from '../src/main/server'
import { documentedConfig, substitute } from './helpers/deployment-doc'
import {
  freePort,
  makeSelfSignedCertificate,
  nginxMainConfig,
  proxyTempDir,
  removeDir,
  send,
  setCookieLine,
  startNginx,
  type Certificate,
  type ProxyProcess,
  type RequestOptions,
} from './helpers/reverse-proxy'
import { startTestServer, type TestServer } from './helpers/server'

interface NginxFront {
  /** https://127.0.0.1:<port>, the site URL. */
  url: string
  ts: TestServer
  cert: Certificate
  nginx: ProxyProcess
  dir: string
  /** A request through nginx, trusting the test's certificate. */
  get(path: string, options?: RequestOptions): ReturnType<typeof send>
  close(): Promise<void>
}

async function startNginxFront(env: Record<string, string>, auth: CreateServerOptions['auth'] = {}): Promise<NginxFront> {
  const dir = proxyTempDir('starpunk-nginx-')
  const cert = makeSelfSignedCertificate(dir)
  const port = await freePort()
  const url = `https://127.0.0.1:${port}`
  let ts: TestServer | undefined
  try {
    ts = await startTestServer({ STARPUNK_SITE_URL: url, STARPUNK_TRUSTED_PROXIES: '127.0.0.1', ...env }, { auth })
    const site = substitute(documentedConfig('nginx'), [
      ['/var/cache/nginx/starpunk', join(dir, 'cache')],
      ['listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`],
      ['/etc/ssl/certs/blog.example.org.pem', cert.certPath],
      ['/etc/ssl/private/blog.example.org.key', cert.keyPath],
      ['http://127.0.0.1:8080', ts.url],
    ])
    const confPath = join(dir, 'nginx.conf')
    writeFileSync(confPath, nginxMainConfig(dir, site))
    const nginx = await startNginx(dir, confPath, port)
    const server = ts
    return {
      url,
      ts: server,
      cert,
      nginx,
      dir,
      get: (path, options = {}) => send(`${url}${path}`, { ca: cert.pem, ...options }),
      async close() {
        await nginx.stop()
        await server.close()
        removeDir(dir)
      },
    }
  } catch (err) {
    await ts?.close()
    removeDir(dir)
    throw err
  }
}

describe('nginx terminating TLS in front of StarPunk', () => {
  let front: NginxFront
  beforeAll(async () => {
    // Two failed sign-ins per address, so the login limit shows which address StarPunk counted.
    front = await startNginxFront({}, { loginFailures: { max: 2, windowMs: 60 * 60_000 } })
  })
  afterAll(async () => {
    await front?.close()
  })

  it('signs in through nginx with a Secure session cookie that works over TLS', async () => {
    const link = new URL(await front.ts.server.context.auth.issueLoginLink())
    expect(link.origin).toBe(front.url)
    const signedIn = await front.get(`${link.pathname}${link.search}`, { headers: { accept: 'text/html' } })
    expect(signedIn.status).toBe(303)
    const cookie = setCookieLine(signedIn, 'starpunk_session')
    expect(cookie).toBeDefined()
    expect(cookie!.split(';').map((part) => part.trim().toLowerCase())).toEqual(expect.arrayContaining(['secure', 'httponly']))
    const admin = await front.get('/admin', { headers: { accept: 'text/html', cookie: cookie!.split(';')[0]! } })
    expect(admin.status).toBe(200)
    expect(admin.body).toContain('/admin/logout')
  })

  it('pages name the https site URL, not the address nginx reaches StarPunk at', async () => {
    const home = await front.get('/', { headers: { accept: 'text/html' } })
    expect(home.status).toBe(200)
    expect(home.body).toContain(`<link rel="micropub" href="${front.url}/micropub"/>`)
    expect(home.body).not.toContain(front.ts.url)
  })

  it('counts the client nginx saw, from X-Forwarded-For, and believes no forged one', async () => {
    const badLink = '/admin/login/link?token=not-a-real-token'
    const viaNginx = (from: string, headers: Record<string, string> = {}) =>
      front.get(badLink, { localAddress: from, headers: { accept: 'application/json', ...headers } })
    const direct = (from: string, headers: Record<string, string> = {}) =>
      send(`${front.ts.url}${badLink}`, { localAddress: from, headers: { accept: 'application/json', ...headers } })

    // 127.0.0.5 spends its budget of two through nginx; the third attempt is refused.
    expect((await viaNginx('127.0.0.5')).status).toBe(400)
    expect((await viaNginx('127.0.0.5')).status).toBe(400)
    expect((await viaNginx('127.0.0.5')).status).toBe(429)
    // Another client behind the same nginx has its own budget: StarPunk counted 127.0.0.5, not nginx's 127.0.0.1.
    expect((await viaNginx('127.0.0.6')).status).toBe(400)
    // A client naming 127.0.0.5 in its own X-Forwarded-For through nginx: nginx replaced the header.
    expect((await viaNginx('127.0.0.7', { 'x-forwarded-for': '127.0.0.5' })).status).toBe(400)
    // Straight to StarPunk from an address that is not a trusted proxy: the header is not believed...
    expect((await direct('127.0.0.8', { 'x-forwarded-for': '127.0.0.5' })).status).toBe(400)
    // ...and cannot clear a limited address either: the socket address is what counts.
    expect((await direct('127.0.0.5', { 'x-forwarded-for': '127.0.0.9' })).status).toBe(429)
  })
})
