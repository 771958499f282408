import Database from 'better-sqlite3'
import { existsSync, readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// Smallest valid images of each allowed type, by their real bytes.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

describe('Micropub endpoint on a real server', () => {
  let ts: TestServer
  let token: string
  let createOnly: string
  let base: string
  const auth = (t = token) => ({ authorization: `Bearer ${t}` })
  const count = () => ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }
  const mediaCount = () => ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM media').get() as { n: number }

  async function postJson(body: unknown, headers: Record<string, string> = auth()) {
    return fetch(`${ts.url}/micropub`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  }
  async function postForm(fields: Array<[string, string]>, headers: Record<string, string> = auth()) {
    return fetch(`${ts.url}/micropub`, { method: 'POST', headers, body: new URLSearchParams(fields) })
  }
  async function source(url: string, extra = '') {
    const res = await fetch(`${ts.url}/micropub?q=source&url=${encodeURIComponent(url)}${extra}`, { headers: auth() })
    return { status: res.status, body: (await res.json()) as { type?: string[]; properties: Record<string, unknown[]> } }
  }

  beforeAll(async () => {
    ts = await startTestServer()
    base = ts.url
    token = (await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create', 'update', 'delete', 'undelete', 'media'], expiresAt: null })).token
    createOnly = (await ts.server.context.tokens.createPersonal({ name: 'create', scopes: ['create'], expiresAt: null })).token
  })
  afterAll(async () => {
    await ts.close()
  })

  it('creates from a form with category[] and mp-slug, 201 with an absolute Location, visible on the public page', async () => {
    const res = await postForm([
      ['h', 'entry'],
      ['content', 'Hello from a *form*'],
      ['category[]', 'indieweb'],
      ['category[]', 'Micropub'],
      ['mp-slug', 'form-post'],
    ])
    expect(res.status).toBe(201)
    const location = res.headers.get('location')!
    expect(location).toBe(`${base}/notes/form-post`)
    expect(location).not.toMatch(/[^:]\/\//)
    const page = await fetch(location, { headers: { accept: 'text/html' } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<em>form</em>')
    const src = await source(location)
    expect(src.body.type).toEqual(['h-entry'])
    expect(src.body.properties.content).toEqual(['Hello from a *form*'])
    expect(src.body.properties.category).toEqual(['indieweb', 'Micropub'])
  })

  it('creates from JSON with html content (sanitised), nested objects, photo with alt and unknown properties kept', async () => {
    const before = count().n
    const res = await postJson({
      type: ['h-entry'],
      properties: {
        name: ['A title'],
        summary: ['Short'],
        content: [{ html: '<p>Bold <b>move</b><script>alert(1)</script></p>' }],
        photo: [{ value: 'https://photos.example.com/a.jpg', alt: 'A cat' }],
        'like-of': [{ type: ['h-cite'], properties: { name: ['Liked'], url: ['https://example.com/x'] } }],
        'x-unknown': ['kept', 2],
        published: ['2024-05-01T10:00:00Z'],
      },
    })
    expect(res.status).toBe(201)
    expect(count().n).toBe(before + 1)
    const location = res.headers.get('location')!
    const { body } = await source(location)
    expect(body.properties.content).toEqual([{ html: '<p>Bold <b>move</b></p>' }])
    expect(body.properties.name).toEqual(['A title'])
    expect(body.properties.summary).toEqual(['Short'])
    expect(body.properties.photo).toEqual([{ value: 'https://photos.example.com/a.jpg', alt: 'A cat' }])
    expect(body.properties['like-of']).toEqual([{ type: ['h-cite'], properties: { name: ['Liked'], url: ['https://example.com/x'] } }])
    expect(body.properties['x-unknown']).toEqual(['kept', 2])
    expect(body.properties.published).toEqual(['2024-05-01T10:00:00.000Z'])
    const html = await (await fetch(location, { headers: { accept: 'text/html' } })).text()
    expect(html).toContain('<b>move</b>')
    expect(html).not.toContain('alert(1)')
    const only = await source(location, '&properties[]=name&properties[]=summary')
    expect(only.body).toEqual({ properties: { name: ['A title'], summary: ['Short'] } })
  })

  it('honours post-status draft: not public, still in q=source', async () => {
    const res = await postJson({ type: ['h-entry'], properties: { content: ['secret draft'], 'post-status': ['draft'] } })
    expect(res.status).toBe(201)
    const location = res.headers.get('location')!
    expect((await fetch(location, { headers: { accept: 'text/html' } })).status).toBe(404)
    const { body } = await source(location)
    expect(body.properties['post-status']).toEqual(['draft'])
  })

  it('creates from multipart with an uploaded photo that becomes attached media', async () => {
    const form = new FormData()
    form.append('h', 'entry')
    form.append('content', 'With a picture')
    form.append('photo', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'pic.png')
    const res = await fetch(`${ts.url}/micropub`, { method: 'POST', headers: auth(), body: form })
    expect(res.status).toBe(201)
    const { body } = await source(res.headers.get('location')!)
    const photo = body.properties.photo![0] as string
    expect(photo).toMatch(new RegExp(`^${base}/media/[0-9a-f-]{36}\\.png$`))
    const served = await fetch(photo)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('image/png')
    // Stored as the image pipeline wrote it (re-encoded, no metadata): the same 1×1 picture.
    expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 1, height: 1 })
    const row = ts.server.context.db.writer.prepare('SELECT note_id FROM media WHERE filename = ?').get(photo.split('/').pop()) as { note_id: number | null }
    expect(row.note_id).not.toBeNull()
  })

  it('updates with replace, add and delete (whole property and single values)', async () => {
    const created = await postJson({ type: ['h-entry'], properties: { content: ['original'], category: ['a', 'b', 'c'], 'x-list': ['1', '2'] } })
    const url = created.headers.get('location')!
    const res = await postJson({ action: 'update', url, replace: { content: ['replaced text'] }, add: { category: ['d'], syndication: ['https://elsewhere.example/1'] }, delete: { category: ['b'] } })
    expect(res.status).toBe(204)
    let { body } = await source(url)
    expect(body.properties.content).toEqual(['replaced text'])
    expect(body.properties.category).toEqual(['a', 'c', 'd'])
    expect(body.properties.syndication).toEqual(['https://elsewhere.example/1'])
    expect((await postJson({ action: 'update', url, delete: ['x-list', 'category'] })).status).toBe(204)
    ;({ body } = await source(url))
    expect(body.properties['x-list']).toBeUndefined()
    expect(body.properties.category).toBeUndefined()
    const page = await (await fetch(url, { headers: { accept: 'text/html' } })).text()
    expect(page).toContain('replaced text')
  })

  it('deletes and undeletes (soft delete), with a form and with JSON', async () => {
    const created = await postJson({ type: ['h-entry'], properties: { content: ['short-lived'] } })
    const url = created.headers.get('location')!
    expect((await postForm([['action', 'delete'], ['url', url]])).status).toBe(204)
    expect((await fetch(url, { headers: { accept: 'text/html' } })).status).toBe(410)
    expect((await source(url)).status).toBe(400)
    expect((await postJson({ action: 'undelete', url })).status).toBe(204)
    expect((await fetch(url, { headers: { accept: 'text/html' } })).status).toBe(200)
  })

  it('answers q=config, q=syndicate-to and q=category', async () => {
    const config = (await (await fetch(`${ts.url}/micropub?q=config`, { headers: auth() })).json()) as Record<string, unknown>
    expect(config['media-endpoint']).toBe(`${base}/micropub/media`)
    expect(config['syndicate-to']).toEqual([])
    expect(config.q).toEqual(expect.arrayContaining(['config', 'source', 'syndicate-to', 'category']))
    expect(await (await fetch(`${ts.url}/micropub?q=syndicate-to`, { headers: auth() })).json()).toEqual({ 'syndicate-to': [] })
    const cats = (await (await fetch(`${ts.url}/micropub?q=category&filter=micro`, { headers: auth() })).json()) as { categories: string[] }
    expect(cats.categories).toEqual(['Micropub'])
  })

  describe('auth failures create nothing and answer in the spec form', () => {
    it('401 with WWW-Authenticate for a missing token, and for an unknown one', async () => {
      const before = count().n
      const none = await postJson({ type: ['h-entry'], properties: { content: ['x'] } }, {})
      expect(none.status).toBe(401)
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
      const body = (await none.json()) as Record<string, string>
      expect(body.error).toBe('unauthorized')
      expect(body.request_id).toBe(none.headers.get('x-request-id'))
      const bad = await postJson({ type: ['h-entry'], properties: { content: ['x'] } }, auth('spp_not-a-real-token'))
      expect(bad.status).toBe(401)
      expect(bad.headers.get('www-authenticate')).toContain('invalid_token')
      expect(count().n).toBe(before)
    })

    it('403 insufficient_scope with the scope named', async () => {
      const created = await postJson({ type: ['h-entry'], properties: { content: ['scoped'] } }, auth(createOnly))
      expect(created.status).toBe(201)
      const res = await postJson({ action: 'delete', url: created.headers.get('location') }, auth(createOnly))
      expect(res.status).toBe(403)
      const body = (await res.json()) as Record<string, string>
      expect(body.error).toBe('insufficient_scope')
      expect(body.scope).toBe('delete')
      expect(res.headers.get('www-authenticate')).toContain('insufficient_scope')
    })

    it('accepts the same token in header and body (Quill), rejects two different ones with 400', async () => {
      const same = await postForm([['content', 'both'], ['access_token', token]])
      expect(same.status).toBe(201)
      const bodyOnly = await postForm([['content', 'body only'], ['access_token', token]], {})
      expect(bodyOnly.status).toBe(201)
      const before = count().n
      const diff = await postForm([['content', 'conflict'], ['access_token', createOnly]])
      expect(diff.status).toBe(400)
      expect(((await diff.json()) as Record<string, string>).error).toBe('invalid_request')
      expect(count().n).toBe(before)
    })

    it('refuses revoked and expired tokens', async () => {
      const revoked = await ts.server.context.tokens.createPersonal({ name: 'gone', scopes: ['create'], expiresAt: null })
      await ts.server.context.tokens.revokeById(revoked.summary.id)
      expect((await postForm([['content', 'x']], auth(revoked.token))).status).toBe(401)
      const expiring = await ts.server.context.tokens.createPersonal({ name: 'soon', scopes: ['create'], expiresAt: Date.now() + 60_000 })
      ts.server.context.db.writer.prepare('UPDATE tokens SET expires_at = ? WHERE id = ?').run(Date.now() - 1, expiring.summary.id)
      expect((await postForm([['content', 'x']], auth(expiring.token))).status).toBe(401)
    })
  })

  describe('bad input: spec-shaped 4xx, nothing created', () => {
    const cases: Array<[string, () => Promise<Response>, number]> = [
      ['malformed JSON', () => fetch(`${ts.url}/micropub`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth() }, body: '{"type": [' }), 400],
      ['JSON array body', () => postJson([1, 2]), 400],
      ['properties not arrays', () => postJson({ type: ['h-entry'], properties: { content: 'not an array' } }), 400],
      ['content of the wrong type', () => postJson({ type: ['h-entry'], properties: { content: [42] } }), 400],
      ['unknown action', () => postJson({ action: 'explode', url: `${base}/notes/form-post` }), 400],
      ['unsupported type', () => postJson({ type: ['h-event'], properties: { name: ['party'] } }), 400],
      ['no content at all', () => postJson({ type: ['h-entry'], properties: {} }), 400],
      ['bad post-status', () => postJson({ type: ['h-entry'], properties: { content: ['x'], 'post-status': ['maybe'] } }), 400],
      ['bad published date', () => postJson({ type: ['h-entry'], properties: { content: ['x'], published: ['yesterday-ish'] } }), 400],
      ['javascript: photo', () => postJson({ type: ['h-entry'], properties: { content: ['x'], photo: ['javascript:alert(1)'] } }), 400],
      ['update of an unknown URL', () => postJson({ action: 'update', url: `${base}/notes/no-such-note`, replace: { content: ['x'] } }), 400],
      ['update with nothing to do', () => postJson({ action: 'update', url: `${base}/notes/form-post` }), 400],
      ['update via form', () => postForm([['action', 'update'], ['url', `${base}/notes/form-post`]]), 400],
      ['huge JSON body', () => postJson({ type: ['h-entry'], properties: { content: ['x'.repeat(2 * 1024 * 1024)] } }), 413],
      ['text/plain body', () => fetch(`${ts.url}/micropub`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth() }, body: 'hi' }), 415],
      ['non-image photo upload', () => {
        const form = new FormData()
        form.append('content', 'x')
        form.append('photo', new Blob(['#!/bin/sh\necho hi\n'], { type: 'image/png' }), 'evil.png')
        return fetch(`${ts.url}/micropub`, { method: 'POST', headers: auth(), body: form })
      }, 415],
    ]
    for (const [name, send, status] of cases) {
      it(name, async () => {
        const notesBefore = count().n
        const mediaBefore = mediaCount().n
        const res = await send()
        expect(res.status).toBe(status)
        const body = (await res.json()) as Record<string, unknown>
        expect(typeof body.error).toBe('string')
        expect(typeof body.error_description).toBe('string')
        expect(body.request_id).toBe(res.headers.get('x-request-id'))
        expect(Array.isArray(body.troubleshooting)).toBe(true)
        expect(JSON.stringify(body)).not.toMatch(/SELECT|INSERT|\/tmp\/|at .*\.ts:\d+/)
        expect(count().n).toBe(notesBefore)
        expect(mediaCount().n).toBe(mediaBefore)
      })
    }

    it('q=source for an unknown URL and unknown q are 400 invalid_request', async () => {
      expect((await source(`${base}/notes/nope`)).status).toBe(400)
      const res = await fetch(`${ts.url}/micropub?q=everything`, { headers: auth() })
      expect(res.status).toBe(400)
      expect(((await res.json()) as Record<string, string>).error).toBe('invalid_request')
    })
  })

  describe('media endpoint', () => {
    async function upload(data: Buffer | string, name = 'f.bin', type = 'application/octet-stream', headers: Record<string, string> = auth()) {
      const form = new FormData()
      form.append('file', new Blob([typeof data === 'string' ? data : new Uint8Array(data)], { type }), name)
      return fetch(`${ts.url}/micropub/media`, { method: 'POST', headers, body: form })
    }

    it('stores an image validated by content (a name without an extension), serves it back immutable with its exact type', async () => {
      const res = await upload(GIF, 'upload', 'application/octet-stream')
      expect(res.status).toBe(201)
      const location = res.headers.get('location')!
      expect(location).toMatch(new RegExp(`^${base}/media/[0-9a-f-]{36}\\.gif$`))
      const served = await fetch(location)
      expect(served.headers.get('content-type')).toBe('image/gif')
      expect(served.headers.get('x-content-type-options')).toBe('nosniff')
      expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ format: 'gif', width: 1, height: 1 })
    })

    it('refuses an image whose name or declared type claims another image type (400 IMAGE_TYPE_MISMATCH), stores nothing', async () => {
      const before = mediaCount().n
      const res = await upload(GIF, 'actually-a-gif.jpg', 'image/jpeg')
      expect(res.status).toBe(400)
      expect(((await res.json()) as Record<string, string>).error_description).toMatch(/GIF|gif/)
      expect(mediaCount().n).toBe(before)
    })

    it('rejects a non-image (HTML named .png) with 415 IMAGE_UNSUPPORTED and stores nothing', async () => {
      const before = mediaCount().n
      const res = await upload('<html><script>alert(1)</script></html>', 'x.png', 'image/png')
      expect(res.status).toBe(415)
      expect(((await res.json()) as Record<string, string>).error).toBe('invalid_request')
      expect(mediaCount().n).toBe(before)
    })

    it('rejects uploads over the size limit with 413', async () => {
      const before = mediaCount().n
      const big = Buffer.concat([PNG, Buffer.alloc(ts.server.context.config.media.maxUploadBytes + 1024)])
      const res = await upload(big, 'big.png', 'image/png')
      expect(res.status).toBe(413)
      expect(mediaCount().n).toBe(before)
    })

    it('needs the media (or create) scope and a token', async () => {
      expect((await upload(PNG, 'a.png', 'image/png', {})).status).toBe(401)
      const updateOnly = (await ts.server.context.tokens.createPersonal({ name: 'u', scopes: ['update'], expiresAt: null })).token
      expect((await upload(PNG, 'a.png', 'image/png', auth(updateOnly))).status).toBe(403)
    })

    it('ignores the client file name: a traversal name is stored under a fresh UUID inside the media dir', async () => {
      const res = await upload(PNG, '../../../../etc/evil.png', 'image/png')
      expect(res.status).toBe(201)
      const name = new URL(res.headers.get('location')!).pathname.split('/').pop()!
      expect(name).toMatch(/^[0-9a-f-]{36}\.png$/)
      expect(existsSync(join(ts.server.context.config.mediaDir, name))).toBe(true)
      expect(existsSync(join(ts.server.context.config.mediaDir, '..', '..', '..', '..', 'etc', 'evil.png'))).toBe(false)
    })

    it('attaches an uploaded file to the note whose photo URL points at it', async () => {
      const uploaded = await upload(PNG, 'a.png', 'image/png')
      const photo = uploaded.headers.get('location')!
      const name = photo.split('/').pop()
      const before = ts.server.context.db.writer.prepare('SELECT note_id FROM media WHERE filename = ?').get(name) as { note_id: number | null }
      expect(before.note_id).toBeNull()
      const created = await postForm([['content', 'uses an uploaded photo'], ['photo', photo]])
      expect(created.status).toBe(201)
      const slug = decodeURIComponent(new URL(created.headers.get('location')!).pathname.split('/').pop()!)
      const note = ts.server.context.db.writer.prepare('SELECT id FROM notes WHERE slug = ?').get(slug) as { id: number }
      const after = ts.server.context.db.writer.prepare('SELECT note_id FROM media WHERE filename = ?').get(name) as { note_id: number | null }
      expect(after.note_id).toBe(note.id)
    })

    it('never serves anything but stored media names (path traversal, unknown names)', async () => {
      for (const path of ['/media/..%2Fstarpunk.db', '/media/%2e%2e/starpunk.db', '/media/../starpunk.db', '/media/00000000-0000-4000-8000-000000000000.png', '/media/.upload-x.tmp']) {
        const res = await fetch(`${ts.url}${path}`)
        expect(res.status, path).toBe(404)
        expect(await res.text()).not.toContain('SQLite')
      }
    })
  })

  it('never writes token values to the log', async () => {
    const inQuery = await fetch(`${ts.url}/micropub?q=config&access_token=${token}`)
    expect(inQuery.status).toBe(400)
    const joined = ts.lines.join('\n')
    expect(joined.length).toBeGreaterThan(0)
    expect(joined).not.toContain(token)
    expect(joined).not.toContain(createOnly)
  })
})

describe('Micropub multipart parts without a name', () => {
  let ts: TestServer
  let token: string
  beforeAll(async () => {
    ts = await startTestServer()
    token = (await ts.server.context.tokens.createPersonal({ name: 'm', scopes: ['create', 'media'], expiresAt: null })).token
  })
  afterAll(async () => {
    await ts.close()
  })

  /** POST a hand-built multipart body (latin1, so the PNG bytes go as they are) with the token. */
  async function postMultipart(path: string, boundary: string, body: string): Promise<Response> {
    return fetch(`${ts.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.from(body, 'latin1'),
    })
  }

  /** A clear 400 that carries the request ID, and a server still answering afterwards. */
  async function expectClearRejection(res: Response): Promise<void> {
    expect(res.status).toBe(400)
    const json = (await res.json()) as { request_id: string }
    expect(json.request_id).toBe(res.headers.get('x-request-id'))
    expect((await fetch(`${ts.url}/health`)).status).toBe(200)
  }

  // busboy reports a part whose Content-Disposition has no name with an undefined name: it must be
  // ignored (it cannot be a property), not crash the server.
  it.each(['/micropub', '/micropub/media'])('%s: a nameless field part and a nameless file part are a clear 400, and the server lives', async (path) => {
    const boundary = 'XyZ'
    const body =
      `--${boundary}\r\nContent-Disposition: form-data\r\n\r\njust a value\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${PNG.toString('latin1')}\r\n` +
      `--${boundary}--\r\n`
    await expectClearRejection(await postMultipart(path, boundary, body))
    const notes = ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }
    expect(notes.n).toBe(0)
  })

  // busboy reports a body that ends inside a file part as an 'error' on that part's stream: unheard, it is
  // an uncaught exception that ends the process.
  it.each(['/micropub', '/micropub/media'])('%s: a body that ends inside a file part is a clear 400, nothing is kept, and the server lives', async (path) => {
    const boundary = 'CutShort'
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="${path === '/micropub' ? 'photo' : 'file'}"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${PNG.toString('latin1')}`
    await expectClearRejection(await postMultipart(path, boundary, body))
    const media = ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM media').get() as { n: number }
    expect(media.n).toBe(0)
    // Not even a temp file (`.upload-*.tmp`) is left behind.
    expect(readdirSync(join(ts.dataDir, 'media'))).toEqual([])
  })

  it('a client that disconnects in the middle of an upload leaves no temp file, and the server lives', async () => {
    const url = new URL(ts.url)
    const boundary = 'GoneAway'
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`
    const socket = connect(Number(url.port), url.hostname)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.on('error', () => {})
    socket.write(
      `POST /micropub/media HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n${head}`,
    )
    socket.write(Buffer.concat([PNG, Buffer.alloc(64 * 1024, 1)]))
    // Until the server has started the temp file, then the client goes away.
    for (let i = 0; i < 200 && readdirSync(join(ts.dataDir, 'media')).length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    socket.destroy()
    expect((await fetch(`${ts.url}/health`)).status).toBe(200)
    for (let i = 0; i < 200 && readdirSync(join(ts.dataDir, 'media')).length > 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(readdirSync(join(ts.dataDir, 'media'))).toEqual([])
  })
})

describe('Micropub while another program holds the write lock', () => {
  let ts: TestServer
  let token: string
  beforeAll(async () => {
    ts = await startTestServer({ STARPUNK_DB_BUSY_TIMEOUT_MS: '300' })
    token = (await ts.server.context.tokens.createPersonal({ name: 'w', scopes: ['create'], expiresAt: null })).token
  })
  afterAll(async () => {
    await ts.close()
  })

  it('503 DATABASE_LOCKED in the Micropub shape with Retry-After, troubleshooting and request ID; then works again', async () => {
    const post = (content: string) =>
      fetch(`${ts.url}/micropub`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams({ h: 'entry', content }) })
    const other = new Database(join(ts.dataDir, 'starpunk.db'))
    try {
      other.exec('BEGIN IMMEDIATE')
      const blocked = await post('Written while locked')
      expect(blocked.status).toBe(503)
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
      const body = (await blocked.json()) as { error: string; code: string; troubleshooting: string[]; request_id: string }
      expect(body.error).toBe('server_error')
      expect(body.code).toBe('DATABASE_LOCKED')
      expect(body.request_id).toBe(blocked.headers.get('x-request-id'))
      expect(body.troubleshooting.length).toBeGreaterThan(0)
      other.exec('ROLLBACK')
      const after = await post('Written after the lock')
      expect(after.status).toBe(201)
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK')
      other.close()
    }
  })
})
