import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { rawRequest } from '../../../../test/helpers/raw-http'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// Public pages, feeds and static assets are compressed once per cache entry and negotiated per request;
// anything answered to a session stays uncompressed (it may carry a CSRF token next to echoed input).
let ts: TestServer
let admin: AdminLogin

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => rawRequest(ts.url + path, { method, headers })

beforeAll(async () => {
  ts = await startTestServer()
  for (let i = 0; i < 12; i++) {
    await ts.server.context.notes.create({ content: `Note ${i} with enough words to make the page worth compressing, again and again.`, tags: ['misc'], slug: `note-${i}`, createdAt: `2024-01-${String(i + 1).padStart(2, '0')}T00:00:00Z` })
  }
  admin = await loginAsAdmin(ts)
})
afterAll(async () => {
  await ts.close()
})

describe('compressed public responses', () => {
  for (const path of ['/', '/notes/note-3', '/tags/misc', '/feed.rss', '/feed.atom', '/feed.json', '/static/style.css']) {
    it(`${path}: brotli, gzip or identity by Accept-Encoding, the same bytes decoded, an ETag per coding`, async () => {
      const plain = await get(path, { 'accept-encoding': 'identity' })
      const br = await get(path, { 'accept-encoding': 'gzip, deflate, br' })
      const gz = await get(path, { 'accept-encoding': 'gzip' })
      for (const res of [plain, br, gz]) {
        expect(res.status).toBe(200)
        expect(res.headers.vary).toMatch(/Accept-Encoding/)
        expect(Number(res.headers['content-length'])).toBe(res.body.length)
      }
      expect(plain.headers['content-encoding']).toBeUndefined()
      expect(br.headers['content-encoding']).toBe('br')
      expect(gz.headers['content-encoding']).toBe('gzip')
      expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true)
      expect(gunzipSync(gz.body).equals(plain.body)).toBe(true)
      expect(br.body.length).toBeLessThan(plain.body.length / 2)
      expect(new Set([plain.headers.etag, br.headers.etag, gz.headers.etag]).size).toBe(3)
      expect(plain.headers['accept-ranges']).toBeUndefined()
    })
  }

  it('q-values pick the coding; refusing everything, identity included, is a 406 with the request ID', async () => {
    expect((await get('/', { 'accept-encoding': 'br;q=0.2, gzip;q=0.9' })).headers['content-encoding']).toBe('gzip')
    expect((await get('/', { 'accept-encoding': 'br;q=0, gzip;q=0' })).headers['content-encoding']).toBeUndefined()
    expect((await get('/')).headers['content-encoding']).toBeUndefined()
    const refused = await get('/', { 'accept-encoding': 'identity;q=0, *;q=0', accept: 'application/json' })
    expect(refused.status).toBe(406)
    const error = (JSON.parse(refused.body.toString()) as { error: { code: string; request_id: string } }).error
    expect(error.code).toBe('ENCODING_NOT_ACCEPTABLE')
    expect(error.request_id).toBe(refused.headers['x-request-id'])
  })

  it('304 per representation: a brotli ETag revalidates the brotli body, not the gzip one', async () => {
    const br = await get('/', { 'accept-encoding': 'br' })
    const again = await get('/', { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) })
    expect(again.status).toBe(304)
    expect(again.body.length).toBe(0)
    expect(again.headers.etag).toBe(br.headers.etag)
    expect(again.headers['content-encoding']).toBeUndefined()
    expect(again.headers.vary).toMatch(/Accept-Encoding/)
    const otherCoding = await get('/', { 'accept-encoding': 'gzip', 'if-none-match': String(br.headers.etag) })
    expect(otherCoding.status).toBe(200)
    expect(otherCoding.headers['content-encoding']).toBe('gzip')
  })

  it('HEAD gives the headers of the compressed GET and no body; Range is ignored (the whole representation)', async () => {
    const br = await get('/', { 'accept-encoding': 'br' })
    const head = await get('/', { 'accept-encoding': 'br' }, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
    expect(head.headers['content-encoding']).toBe('br')
    expect(head.headers['content-length']).toBe(br.headers['content-length'])
    expect(head.headers.etag).toBe(br.headers.etag)
    const ranged = await get('/', { 'accept-encoding': 'br', range: 'bytes=0-9' })
    expect(ranged.status).toBe(200)
    expect(ranged.headers['content-range']).toBeUndefined()
    expect(ranged.body.equals(br.body)).toBe(true)
  })

  it('a body under the threshold goes out uncompressed, without Vary: Accept-Encoding', async () => {
    const opml = await get('/opml.xml', { 'accept-encoding': 'br, gzip' })
    expect(opml.status).toBe(200)
    expect(opml.body.length).toBeLessThan(1024)
    expect(opml.headers['content-encoding']).toBeUndefined()
    expect(opml.headers.vary).toBe('Cookie, Accept')
  })

  it("the console's JS and CSS (no secrets) are compressed for the signed-in admin; its HTML page is not", async () => {
    const page = await get('/admin/console/', { cookie: admin.cookie, accept: 'text/html', 'accept-encoding': 'br' })
    expect(page.status).toBe(200)
    expect(page.headers['content-encoding']).toBeUndefined()
    const assets = [...page.body.toString().matchAll(/(?:src|href)="\.\/(assets\/[\w.-]+\.(?:js|css))"/g)].map((m) => `/admin/console/${m[1]}`)
    expect(assets.length).toBeGreaterThan(0)
    for (const path of assets) {
      const plain = await get(path, { cookie: admin.cookie })
      const br = await get(path, { cookie: admin.cookie, 'accept-encoding': 'br' })
      expect(plain.status, path).toBe(200)
      expect(br.headers['content-encoding'], path).toBe('br')
      expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      expect(br.headers.vary).toBe('Accept-Encoding')
      expect(brotliDecompressSync(br.body).equals(plain.body), path).toBe(true)
      const again = await get(path, { cookie: admin.cookie, 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) })
      expect(again.status).toBe(304)
    }
    // Still behind the admin session.
    expect((await get(assets[0]!, { 'accept-encoding': 'br', accept: 'application/json' })).status).toBe(401)
  })

  it('never compresses what a session gets: public pages for the admin, the admin pages, the console page', async () => {
    for (const path of ['/', '/feed.rss', '/admin', '/admin/console/']) {
      const res = await get(path, { 'accept-encoding': 'br, gzip', cookie: admin.cookie, accept: 'text/html' })
      expect([200, 503], path).toContain(res.status)
      expect(res.headers['content-encoding'], path).toBeUndefined()
      expect(res.body.toString('utf8'), path).toMatch(/<|{/)
    }
  })
})
