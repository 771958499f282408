/**
 * Debian's nginx on loopback in front of a whole StarPunk server, running the configuration block of
 * docs/deployment.md with only its addresses and paths changed. Here rather than in e2e/: no browser is
 * involved, and it crosses capabilities (auth, pages, Micropub, IndieAuth, the console, Webmention).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CreateServerOptions } from '../src/main/server'
import { documentedConfig, substitute } from './helpers/deployment-doc'
import {
  freePort,
  makeSelfSignedCertificate,
  nginxMainConfig,
  proxyTempDir,
  readStreamUntil,
  removeDir,
  retryWhenPortTaken,
  send,
  setCookieLine,
  startNginx,
  type Certificate,
  type ProxyProcess,
  type RequestOptions,
} from './helpers/reverse-proxy'
import { loginAsAdmin } from './helpers/admin'
import { parsedLogs, startTestServer, type TestServer } from './helpers/server'

interface NginxFront {
  /** https://127.0.0.1:<port>, the site URL. */
  url: string
  ts: TestServer
  cert: Certificate
  nginx: ProxyProcess
  dir: string
  /** A request through nginx, trusting the test's certificate. */
  get(path: string, options?: RequestOptions): ReturnType<typeof send>
  /** Stop StarPunk, leaving nginx running (the desktop asleep behind its cache). */
  stopStarPunk(): Promise<void>
  close(): Promise<void>
}

function startNginxFront(env: Record<string, string>, auth: CreateServerOptions['auth'] = {}): Promise<NginxFront> {
  return retryWhenPortTaken(() => startNginxFrontOnce(env, auth))
}

async function startNginxFrontOnce(env: Record<string, string>, auth: CreateServerOptions['auth']): Promise<NginxFront> {
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
    let stopped = false
    const stopStarPunk = async () => {
      if (stopped) return
      stopped = true
      await server.close()
    }
    return {
      url,
      ts: server,
      cert,
      nginx,
      dir,
      get: (path, options = {}) => send(`${url}${path}`, { ca: cert.pem, ...options }),
      stopStarPunk,
      async close() {
        await nginx.stop()
        await stopStarPunk()
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

  it("streams the console's live events through nginx as they happen, not buffered until the response ends", async () => {
    const { cookie } = await loginAsAdmin(front.ts)
    // The stream opens with `ready`; pool statistics follow every second while it stays open.
    const stream = await readStreamUntil(`${front.url}/admin/console/api/events`, { ca: front.cert.pem, headers: { cookie, accept: 'text/event-stream' } }, (text) =>
      /event: ready[\s\S]*event: pool:stats/.test(text),
    )
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(stream.headers['cache-control']).toBe('no-store')
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

/** StarPunk's own access-log lines for GET `path` (the requests nginx did not answer itself). */
function upstreamGets(ts: TestServer, path: string): Array<{ status: number }> {
  return parsedLogs(ts.lines)
    .filter((entry) => entry.msg === 'request')
    .map((entry) => entry.fields as { method?: string; path?: string; status?: number } | undefined)
    .filter((fields) => fields?.method === 'GET' && fields.path === path)
    .map((fields) => ({ status: fields?.status ?? 0 }))
}

/** Ask until `done` holds, at most `attempts` times 100 ms apart: a bound, never a timed assertion. */
async function pollUntil<T>(what: string, attempt: () => Promise<T>, done: (value: T) => boolean, attempts = 200): Promise<T> {
  let last: T | undefined
  for (let i = 0; i < attempts; i++) {
    last = await attempt()
    if (done(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what}: not after ${attempts} tries; last answer ${JSON.stringify(last)?.slice(0, 500)}`)
}

describe('nginx as a cache, following the Cache-Control StarPunk sends', () => {
  let front: NginxFront
  beforeAll(async () => {
    // Long enough that nothing stored expires during these tests.
    front = await startNginxFront({ STARPUNK_CACHE_S_MAXAGE: '3600' })
    await front.ts.server.context.notes.create({ content: 'A note readers will read a lot.', slug: 'popular' })
  })
  afterAll(async () => {
    await front?.close()
  })

  it('answers the second request for a public page or feed from its cache: StarPunk sees one', async () => {
    for (const path of ['/notes/popular', '/feed.atom']) {
      const first = await front.get(path)
      expect(first.status).toBe(200)
      expect(first.headers['cache-control']).toMatch(/^public\b.*\bs-maxage=3600\b/)
      expect(first.headers['x-cache-status']).toBe('MISS')
      const second = await front.get(path)
      expect(second.status).toBe(200)
      expect(second.headers['x-cache-status']).toBe('HIT')
      expect(second.body).toBe(first.body)
      expect(upstreamGets(front.ts, path)).toHaveLength(1)
    }
  })

  it('keeps one copy per content coding (Vary: Accept-Encoding), each served to the client that asked for it', async () => {
    const path = '/tags/coded'
    await front.ts.server.context.notes.create({ content: `A note long enough to be worth compressing. ${'Words repeat here. '.repeat(60)}`, tags: ['coded'] })
    const plain = await front.get(path)
    expect(plain.headers['x-cache-status']).toBe('MISS')
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(String(plain.headers.vary)).toMatch(/accept-encoding/i)
    const gzip = await front.get(path, { headers: { 'accept-encoding': 'gzip' } })
    expect(gzip.headers['content-encoding']).toBe('gzip')
    // Another variant: nginx asked StarPunk rather than handing over the identity copy.
    expect(gzip.headers['x-cache-status']).toBe('MISS')
    const gzipAgain = await front.get(path, { headers: { 'accept-encoding': 'gzip' } })
    expect(gzipAgain.headers['x-cache-status']).toBe('HIT')
    expect(gunzipSync(gzipAgain.raw).toString('utf8')).toBe(plain.body)
    const plainAgain = await front.get(path)
    expect(plainAgain.headers['x-cache-status']).toBe('HIT')
    expect(plainAgain.headers['content-encoding']).toBeUndefined()
    expect(plainAgain.body).toBe(plain.body)
    expect(upstreamGets(front.ts, path)).toHaveLength(2)
  })

  it('never stores admin, Micropub, IndieAuth, console or Webmention answers: each request reaches StarPunk', async () => {
    const admin = await loginAsAdmin(front.ts)
    const session = { cookie: admin.cookie }
    const token = (await front.ts.server.context.tokens.createPersonal({ name: 'cache test', scopes: ['create'], expiresAt: null })).token
    const bearer = { authorization: `Bearer ${token}` }

    const mention = await front.get('/webmention', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ source: 'https://elsewhere.example/reply', target: `${front.url}/notes/popular` }).toString(),
    })
    expect(mention.status).toBe(202)
    expect(mention.headers['cache-control']).toBe('no-store')
    const statusPath = new URL(String(mention.headers.location)).pathname
    // An app on this machine asking to sign in (client and redirect on one origin: nothing is fetched).
    const consentQuery = new URLSearchParams({
      response_type: 'code', client_id: 'http://127.0.0.1:9/', redirect_uri: 'http://127.0.0.1:9/callback', state: 'cache-test',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', scope: 'create',
    }).toString()
    const privateAnswers: Array<{ what: string; path: string; headers: Record<string, string> }> = [
      { what: 'admin note list', path: '/admin', headers: { ...session, accept: 'text/html' } },
      { what: 'admin login page', path: '/admin/login', headers: { accept: 'text/html' } },
      { what: 'Micropub q=config', path: '/micropub?q=config', headers: bearer },
      { what: 'IndieAuth token verification', path: '/indieauth/token', headers: { ...bearer, accept: 'application/json' } },
      { what: 'IndieAuth consent page', path: `/indieauth/auth?${consentQuery}`, headers: { ...session, accept: 'text/html' } },
      { what: 'console page', path: '/admin/console/', headers: { ...session, accept: 'text/html' } },
      { what: 'console API', path: '/admin/console/api/session', headers: session },
      { what: 'Webmention status', path: statusPath, headers: { accept: 'application/json' } },
      { what: 'Webmention moderation', path: '/admin/webmentions', headers: { ...session, accept: 'text/html' } },
      // A public page asked for by the signed-in author is built for them: it must not become everyone's copy.
      { what: 'home page for the author', path: '/', headers: { ...session, accept: 'text/html' } },
    ]
    for (const { what, path, headers } of privateAnswers) {
      const logPath = path.split('?')[0]!
      const before = upstreamGets(front.ts, logPath).length
      const first = await front.get(path, { headers })
      expect(first.status, what).toBe(200)
      expect(first.headers['cache-control'], what).toMatch(/\b(private|no-store|no-cache)\b/)
      const second = await front.get(path, { headers })
      expect(second.status, what).toBe(200)
      expect(second.headers['x-cache-status'], what).not.toBe('HIT')
      expect(upstreamGets(front.ts, logPath).length - before, what).toBe(2)
    }
    // After the author's visit, a reader still gets a copy nginx fetched for readers.
    const reader = await front.get('/', { headers: { accept: 'text/html' } })
    expect(reader.headers['x-cache-status']).toBe('MISS')
    expect(reader.body).not.toContain('/admin/logout')
  })
})

describe('nginx revalidating its copy when s-maxage runs out', () => {
  let front: NginxFront
  beforeAll(async () => {
    // One second in the shared cache; stale-while-revalidate off, so the reader who finds the copy expired
    // waits for the revalidation and nginx says how it went (REVALIDATED) instead of answering STALE.
    front = await startNginxFront({ STARPUNK_CACHE_S_MAXAGE: '1', STARPUNK_CACHE_STALE_WHILE_REVALIDATE: '0' })
    await front.ts.server.context.notes.create({ content: 'The first note.', slug: 'first' })
  })
  afterAll(async () => {
    await front?.close()
  })

  it('an unchanged page costs StarPunk a 304, which refreshes the stored copy', async () => {
    const first = await front.get('/')
    expect(first.headers['x-cache-status']).toBe('MISS')
    const revalidated = await pollUntil('nginx revalidating the home page', () => front.get('/'), (answer) => answer.headers['x-cache-status'] === 'REVALIDATED')
    expect(revalidated.status).toBe(200)
    expect(revalidated.body).toBe(first.body)
    const upstream = upstreamGets(front.ts, '/')
    // One full answer, then only 304s: the conditional requests refreshed the copy nginx kept.
    expect(upstream[0]?.status).toBe(200)
    expect(upstream.slice(1).length).toBeGreaterThan(0)
    expect(upstream.slice(1).every((line) => line.status === 304)).toBe(true)
  })

  it('a new note reaches readers once the copy is older than s-maxage', async () => {
    const before = await front.get('/')
    expect(before.body).not.toContain('Fresh from the desk')
    await front.ts.server.context.notes.create({ content: 'Fresh from the desk.', slug: 'fresh' })
    const after = await pollUntil('the new note on the cached home page', () => front.get('/'), (answer) => answer.body.includes('Fresh from the desk'))
    expect(after.status).toBe(200)
    expect(['EXPIRED', 'MISS']).toContain(after.headers['x-cache-status'])
    expect(upstreamGets(front.ts, '/').at(-1)?.status).toBe(200)
  })

  it('keeps serving its copy while StarPunk is off (stale-if-error)', async () => {
    const cached = await front.get('/')
    expect(cached.headers['cache-control']).toMatch(/\bstale-if-error=\d+/)
    await front.stopStarPunk()
    const stale = await pollUntil('nginx serving its copy with StarPunk off', () => front.get('/'), (answer) => answer.headers['x-cache-status'] === 'STALE')
    expect(stale.status).toBe(200)
    expect(stale.body).toContain('Fresh from the desk')
  })
})

describe('nginx refreshing its copy in the background (stale-while-revalidate)', () => {
  let front: NginxFront
  beforeAll(async () => {
    // The default stale-while-revalidate (60 s) with one second in the shared cache.
    front = await startNginxFront({ STARPUNK_CACHE_S_MAXAGE: '1' })
    await front.ts.server.context.notes.create({ content: 'Read while it refreshes.', slug: 'swr' })
  })
  afterAll(async () => {
    await front?.close()
  })

  it('answers at once from the expired copy while one background request revalidates it with StarPunk', async () => {
    const first = await front.get('/notes/swr')
    expect(first.headers['x-cache-status']).toBe('MISS')
    expect(first.headers['cache-control']).toMatch(/\bstale-while-revalidate=60\b/)
    const stale = await pollUntil('nginx answering from its expired copy', () => front.get('/notes/swr'), (answer) => answer.headers['x-cache-status'] === 'STALE')
    expect(stale.body).toBe(first.body)
    // The reader did not wait for it, but StarPunk was asked: a conditional request, answered 304.
    await pollUntil('the background revalidation reaching StarPunk', async () => upstreamGets(front.ts, '/notes/swr'), (lines) => lines.some((line) => line.status === 304))
    expect(upstreamGets(front.ts, '/notes/swr').filter((line) => line.status === 200)).toHaveLength(1)
  })
})
