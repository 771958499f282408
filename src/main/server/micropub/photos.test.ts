import { readdirSync } from 'node:fs'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// Photos as Micropub clients send them: several files in one create (photo, photo[]), alt text beside them
// (mp-photo-alt, photo[value]/photo[alt], JSON {value, alt}), photos by URL, and the media query.

let ts: TestServer
let token: string
let mediaOnly: string
let jpeg: Buffer

beforeAll(async () => {
  ts = await startTestServer()
  ;({ token } = await ts.server.context.tokens.createPersonal({ name: 'client', scopes: ['create', 'update', 'media'], expiresAt: null }))
  ;({ token: mediaOnly } = await ts.server.context.tokens.createPersonal({ name: 'uploader', scopes: ['media'], expiresAt: null }))
  jpeg = await sharp({ create: { width: 700, height: 500, channels: 3, background: '#a52' } }).jpeg().toBuffer()
})
afterAll(async () => {
  await ts.close()
})

const auth = (t = token) => ({ authorization: `Bearer ${t}` })
const file = () => new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' })

async function sourceOf(location: string): Promise<Record<string, unknown[]>> {
  const res = await fetch(`${ts.url}/micropub?q=source&url=${encodeURIComponent(location)}`, { headers: auth() })
  return ((await res.json()) as { properties: Record<string, unknown[]> }).properties
}

describe('Micropub creates with photos', () => {
  it.each([['photo'], ['photo[]']])('takes several files as %s, in order, with mp-photo-alt for each', async (field) => {
    const form = new FormData()
    form.append('content', `three as ${field}`)
    for (let i = 0; i < 3; i++) form.append(field, file(), `p${i}.jpg`)
    form.append('mp-photo-alt[]', 'first')
    form.append('mp-photo-alt[]', '')
    form.append('mp-photo-alt[]', 'third')
    const res = await fetch(`${ts.url}/micropub`, { method: 'POST', headers: auth(), body: form })
    expect(res.status, await res.clone().text()).toBe(201)
    const photos = (await sourceOf(res.headers.get('location')!)).photo!
    expect(photos).toHaveLength(3)
    expect(photos[0]).toEqual({ value: expect.stringMatching(/\/media\/[0-9a-f-]{36}\.jpg$/) as unknown, alt: 'first' })
    expect(photos[1]).toEqual(expect.stringMatching(/\/media\/[0-9a-f-]{36}\.jpg$/))
    expect(photos[2]).toMatchObject({ alt: 'third' })
    expect(new Set(photos.map((p) => (typeof p === 'string' ? p : (p as { value: string }).value))).size).toBe(3)
  })

  it('keeps photos given by URL (form photo[value]/photo[alt], and JSON {value, alt}) before uploaded ones', async () => {
    const form = new FormData()
    form.append('content', 'mixed')
    form.append('photo[value]', 'https://elsewhere.example/cat.jpg')
    form.append('photo[alt]', 'A cat from elsewhere')
    form.append('photo', file(), 'mine.jpg')
    const res = await fetch(`${ts.url}/micropub`, { method: 'POST', headers: auth(), body: form })
    expect(res.status, await res.clone().text()).toBe(201)
    const photos = (await sourceOf(res.headers.get('location')!)).photo!
    expect(photos[0]).toEqual({ value: 'https://elsewhere.example/cat.jpg', alt: 'A cat from elsewhere' })
    expect(photos[1]).toEqual(expect.stringMatching(/\/media\/[0-9a-f-]{36}\.jpg$/))

    const json = await fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ type: ['h-entry'], properties: { content: ['json'], photo: [{ value: 'https://elsewhere.example/dog.jpg', alt: 'A dog' }] } }),
    })
    expect(json.status).toBe(201)
    expect((await sourceOf(json.headers.get('location')!)).photo).toEqual([{ value: 'https://elsewhere.example/dog.jpg', alt: 'A dog' }])
  })

  it('refuses another file field with a 400 that names the accepted ones', async () => {
    const form = new FormData()
    form.append('content', 'x')
    form.append('video', file(), 'v.jpg')
    const res = await fetch(`${ts.url}/micropub`, { method: 'POST', headers: auth(), body: form })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error_description: string }).error_description).toContain('"photo[]"')
  })
})

describe('the media endpoint', () => {
  it('q=config on /micropub advertises it', async () => {
    const config = (await (await fetch(`${ts.url}/micropub?q=config`, { headers: auth() })).json()) as Record<string, unknown>
    expect(config['media-endpoint']).toBe(`${ts.url}/micropub/media`)
  })

  it('q=source lists the last uploads, newest first, with limit and offset', async () => {
    const uploaded: string[] = []
    for (let i = 0; i < 3; i++) {
      const form = new FormData()
      form.append('file', file(), `u${i}.jpg`)
      const res = await fetch(`${ts.url}/micropub/media`, { method: 'POST', headers: auth(mediaOnly), body: form })
      expect(res.status).toBe(201)
      uploaded.push(res.headers.get('location')!)
    }
    const res = await fetch(`${ts.url}/micropub/media?q=source&limit=2`, { headers: auth(mediaOnly) })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const { items } = (await res.json()) as { items: Array<{ url: string; published: string }> }
    expect(items.map((i) => i.url)).toEqual([uploaded[2], uploaded[1]])
    expect(Number.isNaN(Date.parse(items[0]!.published))).toBe(false)
    const next = (await (await fetch(`${ts.url}/micropub/media?q=source&limit=1&offset=2`, { headers: auth(mediaOnly) })).json()) as { items: Array<{ url: string }> }
    expect(next.items.map((i) => i.url)).toEqual([uploaded[0]])
  })

  it('needs a token with media or create scope; a bad q or limit is a clear 400', async () => {
    expect((await fetch(`${ts.url}/micropub/media?q=source`)).status).toBe(401)
    const { token: updateOnly } = await ts.server.context.tokens.createPersonal({ name: 'u', scopes: ['update'], expiresAt: null })
    expect((await fetch(`${ts.url}/micropub/media?q=source`, { headers: auth(updateOnly) })).status).toBe(403)
    for (const query of ['q=nope', 'q=source&limit=0', 'q=source&limit=1000', 'q=source&offset=-1']) {
      const res = await fetch(`${ts.url}/micropub/media?${query}`, { headers: auth() })
      expect(res.status, query).toBe(400)
      const body = (await res.json()) as Record<string, unknown>
      expect(body.request_id).toBe(res.headers.get('x-request-id'))
    }
  })
})

describe('while photos are processed', () => {
  it('/health and a cached page answer while ten uploads are still being processed', async () => {
    const photo = await sharp({ create: { width: 2400, height: 1800, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 50 } } })
      .jpeg()
      .toBuffer()
    await fetch(`${ts.url}/`) // warm the page cache
    let pending = 10
    const uploads = Array.from({ length: 10 }, async (_, i) => {
      const form = new FormData()
      form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), `big${i}.jpg`)
      const res = await fetch(`${ts.url}/micropub/media`, { method: 'POST', headers: auth(mediaOnly), body: form })
      pending--
      return res.status
    })
    // Wait until the server is busy with them (their temp files are being written), then ask for health and a page.
    await expect.poll(() => readdirSync(ts.server.context.config.mediaDir).some((name) => name.startsWith('.')), { timeout: 30_000 }).toBe(true)
    const health = await fetch(`${ts.url}/health`)
    const home = await fetch(`${ts.url}/`)
    const stillProcessing = pending
    expect(health.status).toBe(200)
    expect(home.status).toBe(200)
    // Ordering, not timing: both answered before the last upload finished (sharp works off the event loop).
    expect(stillProcessing).toBeGreaterThan(0)
    expect(await Promise.all(uploads)).toEqual(Array.from({ length: 10 }, () => 201))
  })
})
