import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { rawRequest, type RawResponse } from '../../../../test/helpers/raw-http'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// The fast path answers repeat requests for cached public pages, feeds and /health before Express. It must
// be indistinguishable from the full stack: same status, bytes and headers, the request ID, the access
// line and the request metrics. One server, switched between the two, so both answer from one cache entry.
let ts: TestServer
let admin: AdminLogin

const ROUTES: Array<[string, Record<string, string>]> = [
  ['/', {}],
  ['/?page=2', {}],
  ['/notes/note-3', {}],
  ['/tags/misc', {}],
  ['/feed', {}],
  ['/feed', { accept: 'application/feed+json' }],
  ['/feed.rss', {}],
  ['/feed.atom', {}],
  ['/feed.json', {}],
  ['/opml.xml', {}],
]
const VARIANTS: Array<[string, Record<string, string>, string?]> = [
  ['uncompressed', {}],
  ['brotli', { 'accept-encoding': 'gzip, deflate, br' }],
  ['gzip', { 'accept-encoding': 'gzip' }],
  ['HEAD', { 'accept-encoding': 'br' }, 'HEAD'],
]

/** Every header as [name, value] exactly as sent, sorted, without the two that differ per request. */
function headerPairs(res: RawResponse): string[] {
  const pairs: string[] = []
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i]!
    if (/^(date|x-request-id)$/i.test(name)) continue
    pairs.push(`${name}: ${res.rawHeaders[i + 1]}`)
  }
  return pairs.sort()
}

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => rawRequest(ts.url + path, { method, headers })

async function viaFullStack(path: string, headers: Record<string, string>, method?: string): Promise<RawResponse> {
  ts.server.fastPath.enabled = false
  try {
    return await get(path, headers, method)
  } finally {
    ts.server.fastPath.enabled = true
  }
}

/** Answered by the fast path (checked by its counter): the first request teaches it, the second is answered. */
async function viaFastPath(path: string, headers: Record<string, string>, method?: string): Promise<RawResponse> {
  await get(path, headers, method)
  const before = ts.server.fastPath.stats().served
  const res = await get(path, headers, method)
  expect(ts.server.fastPath.stats().served, `${method ?? 'GET'} ${path} answered by the fast path`).toBe(before + 1)
  return res
}

function accessLines(requestId: string): Array<Record<string, unknown>> {
  return ts.lines
    .map((line) => JSON.parse(line) as { msg: string; requestId?: string; fields?: Record<string, unknown> })
    .filter((entry) => entry.msg === 'request' && entry.requestId === requestId)
    .map((entry) => entry.fields ?? {})
}

async function waitForAccessLine(requestId: string): Promise<Record<string, unknown>> {
  // The line is written when the response finishes, which the client may see a moment before.
  for (let i = 0; i < 100 && accessLines(requestId).length === 0; i++) await new Promise((resolve) => setImmediate(resolve))
  const lines = accessLines(requestId)
  expect(lines).toHaveLength(1)
  return lines[0]!
}

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_NOTES_PER_PAGE: '5' })
  for (let i = 0; i < 12; i++) {
    await ts.server.context.notes.create({ content: `Note ${i}, long enough to be compressed on the page and in the feeds.`, tags: ['misc'], slug: `note-${i}`, createdAt: `2024-01-${String(i + 1).padStart(2, '0')}T00:00:00Z` })
  }
  admin = await loginAsAdmin(ts)
})
afterAll(async () => {
  await ts.close()
})

describe('fast path: same bytes and headers as the full stack', () => {
  for (const [path, routeHeaders] of ROUTES) {
    for (const [variant, variantHeaders, method] of VARIANTS) {
      it(`${method ?? 'GET'} ${path} ${JSON.stringify(routeHeaders)} ${variant}`, async () => {
        const headers = { ...routeHeaders, ...variantHeaders }
        const full = await viaFullStack(path, headers, method)
        const fast = await viaFastPath(path, headers, method)
        expect(full.status).toBe(200)
        expect(fast.status).toBe(full.status)
        expect(headerPairs(fast)).toEqual(headerPairs(full))
        expect(fast.body.equals(full.body)).toBe(true)
        expect(fast.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
        expect(fast.headers.date).toBeDefined()
      })
    }

    it(`GET ${path} ${JSON.stringify(routeHeaders)} conditional: the same 304`, async () => {
      const first = await get(path, { ...routeHeaders, 'accept-encoding': 'br' })
      const headers = { ...routeHeaders, 'accept-encoding': 'br', 'if-none-match': String(first.headers.etag) }
      const full = await viaFullStack(path, headers)
      const fast = await viaFastPath(path, headers)
      expect(full.status).toBe(304)
      expect(fast.status).toBe(304)
      expect(headerPairs(fast)).toEqual(headerPairs(full))
      expect(fast.body.length).toBe(0)
      const since = { ...routeHeaders, 'if-modified-since': String(first.headers['last-modified']) }
      expect((await viaFullStack(path, since)).status).toBe(304)
      expect((await viaFastPath(path, since)).status).toBe(304)
    })
  }

  it('GET /health: the same headers, a fresh body', async () => {
    const full = await viaFullStack('/health', {})
    const fast = await viaFastPath('/health', {})
    expect(fast.status).toBe(200)
    // The body carries the time: same length and shape, not the same bytes.
    expect(headerPairs(fast)).toEqual(headerPairs(full))
    expect(Object.keys(JSON.parse(fast.body.toString()) as object)).toEqual(Object.keys(JSON.parse(full.body.toString()) as object))
    expect((JSON.parse(fast.body.toString()) as { status: string }).status).toBe('pass')
  })
})

describe('fast path: request ID, access line, metrics', () => {
  it('echoes a sane X-Request-ID and logs the same access line as the full stack', async () => {
    await get('/notes/note-5')
    ts.server.fastPath.enabled = false
    await get('/notes/note-5', { 'x-request-id': 'full-stack-1', 'accept-encoding': 'gzip', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })
    ts.server.fastPath.enabled = true
    const before = ts.server.fastPath.stats().served
    const fast = await get('/notes/note-5', { 'x-request-id': 'fast-path-1', 'accept-encoding': 'gzip', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })
    expect(ts.server.fastPath.stats().served).toBe(before + 1)
    expect(fast.headers['x-request-id']).toBe('fast-path-1')
    const fastLine = await waitForAccessLine('fast-path-1')
    const fullLine = await waitForAccessLine('full-stack-1')
    // Field for field the same line (its time aside), the trace id included.
    expect(fastLine).toEqual({ ...fullLine, durationMs: fastLine.durationMs })
    expect(typeof fastLine.durationMs).toBe('number')
    expect(fastLine).toMatchObject({ method: 'GET', path: '/notes/note-5', status: 200, bytes: fast.body.length })
    expect(fastLine.traceId).toBe('0af7651916cd43dd8448eb211c80319c')
  })

  it('generates a request ID when none (or an unsafe one) comes in, and never logs the query', async () => {
    await get('/?page=2&utm_source=secret-ish')
    const fast = await viaFastPath('/?page=2&utm_source=secret-ish', { 'x-request-id': 'bad id with spaces' })
    const id = String(fast.headers['x-request-id'])
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await waitForAccessLine(id)).toMatchObject({ path: '/', status: 200 })
  })

  it('counts fast requests in the request metrics (route group, status class, bytes)', async () => {
    const collector = ts.server.context.metrics.collector
    const scrape = async () => collector.metricsText()
    const count = (text: string, group: string, metric = 'starpunk_http_requests_total') =>
      Number(new RegExp(`^${metric}\\{group="${group}",method="GET",status_class="2xx"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
    await viaFastPath('/feed.rss', {})
    await viaFastPath('/health', {})
    const before = await scrape()
    const served = ts.server.fastPath.stats().served
    const feed = await get('/feed.rss')
    await get('/feed.rss')
    await get('/health')
    expect(ts.server.fastPath.stats().served).toBe(served + 3)
    await new Promise((resolve) => setImmediate(resolve))
    const after = await scrape()
    expect(count(after, 'feeds') - count(before, 'feeds')).toBe(2)
    expect(count(after, 'health') - count(before, 'health')).toBe(1)
    expect(count(after, 'feeds', 'starpunk_http_response_bytes_total') - count(before, 'feeds', 'starpunk_http_response_bytes_total')).toBe(2 * feed.body.length)
  })
})

describe('fast path: what it leaves to Express', () => {
  it('never answers a request with a session cookie, and the admin still gets its own uncompressed page', async () => {
    await viaFastPath('/', { 'accept-encoding': 'br' })
    const served = ts.server.fastPath.stats().served
    const res = await get('/', { 'accept-encoding': 'br', cookie: `other=1; ${admin.cookie}` })
    expect(ts.server.fastPath.stats().served).toBe(served)
    expect(res.headers['cache-control']).toBe('private, no-store')
    expect(res.headers['content-encoding']).toBeUndefined()
  })

  it('a note write invalidates what it remembered: the next request is rebuilt by the full stack', async () => {
    const old = await viaFastPath('/', {})
    await ts.server.context.notes.create({ content: 'Brand new note', slug: 'brand-new', createdAt: '2025-01-01T00:00:00Z' })
    const served = ts.server.fastPath.stats().served
    const fresh = await get('/')
    expect(ts.server.fastPath.stats().served).toBe(served)
    expect(fresh.body.toString()).toContain('Brand new note')
    expect(fresh.headers.etag).not.toBe(old.headers.etag)
    const again = await viaFastPath('/', {})
    expect(again.body.equals(fresh.body)).toBe(true)
  })

  it('other methods, unknown URLs, a 406 and HEAD /health go to Express', async () => {
    await viaFastPath('/', {})
    const served = ts.server.fastPath.stats().served
    expect((await get('/', {}, 'POST')).status).toBe(405)
    expect((await get('/nothing-here')).status).toBe(404)
    const refused = await get('/', { 'accept-encoding': 'identity;q=0, *;q=0' })
    expect(refused.status).toBe(406)
    expect(refused.headers['x-request-id']).toBeDefined()
    expect((await get('/health', {}, 'HEAD')).status).toBe(200)
    expect(ts.server.fastPath.stats().served).toBe(served)
  })

  it('STARPUNK_FAST_PATH=false sends everything through the full stack', async () => {
    const off = await startTestServer({ STARPUNK_FAST_PATH: 'false' })
    try {
      for (let i = 0; i < 3; i++) expect((await rawRequest(`${off.url}/health`)).status).toBe(200)
      expect(off.server.fastPath.stats().served).toBe(0)
    } finally {
      await off.close()
    }
  })
})
