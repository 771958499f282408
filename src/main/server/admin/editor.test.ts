// The admin editor over real HTTP: photos in the note form (multipart), the CSRF check before the body,
// the server-rendered preview, the media library and the author profile, on a real server and data dir.
import { request } from 'node:http'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { validateHtml } from '../web/html-check'
import type { AdminSession } from '../auth'
import { createAuthorProfile } from './profile'
import { loadConfig } from '../config'
import { createMediaLibrary } from '../media'

let ts: TestServer
let admin: AdminLogin

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_ADMIN_ME: 'https://me.example' })
  admin = await loginAsAdmin(ts)
})
afterAll(async () => {
  await ts.close()
})

function image(width: number, height: number, colour: string, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const pipeline = sharp({ create: { width, height, channels: 3, background: colour } })
  return (format === 'png' ? pipeline.png() : pipeline.jpeg()).toBuffer()
}

function blob(data: Buffer, type: string): Blob {
  return new Blob([new Uint8Array(data)], { type })
}

function post(path: string, body: FormData, options: { csrf?: string | null; cookie?: string | null } = {}): Promise<Response> {
  const csrf = options.csrf === undefined ? admin.csrfToken : options.csrf
  const url = `${ts.url}${path}${csrf ? `?_csrf=${encodeURIComponent(csrf)}` : ''}`
  const cookie = options.cookie === undefined ? admin.cookie : options.cookie
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) }, body })
}

function get(path: string): Promise<Response> {
  return fetch(`${ts.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html', cookie: admin.cookie } })
}

const mediaRows = () => (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM media').get() as { n: number }).n
const leftovers = () => readdirSync(ts.server.context.config.mediaDir).filter((name) => name.startsWith('.'))

interface PhotoValue {
  value: string
  alt: string
}
async function photosOfNote(slug: string): Promise<PhotoValue[]> {
  const note = await ts.server.context.notes.get(slug, { includeDrafts: true, includeDeleted: true })
  return (note?.properties.photo ?? []) as PhotoValue[]
}

describe('photos in the note form', () => {
  it('creates a note with two photos and their alt text, in the order given; the public page shows both', async () => {
    const form = new FormData()
    form.append('content', 'Two pictures')
    form.append('slug', 'two-pictures')
    form.append('published', '1')
    for (const alt of ['A red square', 'A blue field']) {
      form.append('photo_item', 'new')
      form.append('photo_alt', alt)
      form.append('photo_position', '')
    }
    form.append('photo', blob(await image(800, 600, '#c00'), 'image/jpeg'), 'red.jpg')
    form.append('photo', blob(await image(640, 480, '#00c', 'png'), 'image/png'), 'blue.png')
    const res = await post('/admin/notes', form)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin/notes/two-pictures/edit?done=created')
    const photos = await photosOfNote('two-pictures')
    expect(photos.map((p) => p.alt)).toEqual(['A red square', 'A blue field'])
    for (const photo of photos) expect(photo.value).toMatch(new RegExp(`^${ts.url}/media/[0-9a-f-]{36}\\.(jpg|png)$`))
    expect(photos[0]!.value.endsWith('.jpg')).toBe(true)
    expect(photos[1]!.value.endsWith('.png')).toBe(true)
    const page = await (await fetch(`${ts.url}/notes/two-pictures`)).text()
    for (const photo of photos) expect(page).toContain(new URL(photo.value).pathname)
    expect(page).toContain('alt="A red square"')
    expect(page).toContain('alt="A blue field"')
    // Linked to the note, so the media library counts them as used.
    const note = await ts.server.context.notes.get('two-pictures')
    const linked = ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM media WHERE note_id = ?').get(note!.id) as { n: number }
    expect(linked.n).toBe(2)
    expect(leftovers()).toEqual([])
  })

  it('the plain file input alone (no JavaScript) adds the photos at the end and warns, without blocking, that alt text is missing', async () => {
    const form = new FormData()
    form.append('content', 'No alt yet')
    form.append('slug', 'no-alt-yet')
    form.append('published', '1')
    form.append('photo', blob(await image(300, 200, '#0a0'), 'image/jpeg'), 'green.jpg')
    const res = await post('/admin/notes', form)
    expect(res.status).toBe(303)
    expect(await photosOfNote('no-alt-yet')).toEqual([expect.objectContaining({ alt: '' })])
    const edit = await (await get('/admin/notes/no-alt-yet/edit')).text()
    expect(edit).toContain('1 photo has no alt text')
    expect(await validateHtml(edit)).toEqual([])
  })

  it('edits the photos of a note: reorder, remove, change alt text and add one', async () => {
    const start = new FormData()
    start.append('content', 'Edit my photos')
    start.append('slug', 'edit-photos')
    start.append('published', '1')
    for (const colour of ['#111', '#222', '#333']) start.append('photo', blob(await image(200, 200, colour), 'image/jpeg'), 'p.jpg')
    expect((await post('/admin/notes', start)).status).toBe(303)
    const [first, second, third] = await photosOfNote('edit-photos')
    const form = new FormData()
    form.append('content', 'Edit my photos')
    form.append('published', '1')
    // Rows as the no-JavaScript form sends them: positions reorder, the checkbox removes.
    const rows: Array<[string, string, string]> = [
      [first!.value, 'First, now last', '3'],
      [second!.value, 'Removed', '2'],
      [third!.value, 'Third, now first', '1'],
      ['new', 'The added one', '2'],
    ]
    for (const [item, alt, position] of rows) {
      form.append('photo_item', item)
      form.append('photo_alt', alt)
      form.append('photo_position', position)
    }
    form.append('photo_remove', second!.value)
    form.append('photo', blob(await image(200, 100, '#444'), 'image/jpeg'), 'added.jpg')
    const res = await post('/admin/notes/edit-photos', form)
    expect(res.status).toBe(303)
    const after = await photosOfNote('edit-photos')
    expect(after.map((p) => p.alt)).toEqual(['Third, now first', 'The added one', 'First, now last'])
    expect(after[0]!.value).toBe(third!.value)
    expect(after[2]!.value).toBe(first!.value)
    expect(after.map((p) => p.value)).not.toContain(second!.value)
    // The removed photo is no longer in use: the media library lets it go.
    const removedName = new URL(second!.value).pathname.slice('/media/'.length)
    const deleted = await fetch(`${ts.url}/admin/media/${removedName}/delete`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: admin.csrfToken }).toString(),
    })
    expect(deleted.status).toBe(303)
    expect((await fetch(second!.value)).status).toBe(404)
  })

  it('keeps only URLs the note had or uploads of this site: a form cannot slip in an arbitrary picture', async () => {
    const form = new FormData()
    form.append('content', 'Sneaky')
    form.append('slug', 'sneaky')
    form.append('photo_item', 'https://tracker.example/pixel.gif')
    form.append('photo_alt', 'x')
    form.append('photo_position', '1')
    expect((await post('/admin/notes', form)).status).toBe(303)
    expect(await photosOfNote('sneaky')).toEqual([])
  })

  it('refuses more photos than a note may have, keeping what was typed', async () => {
    const name = (await photosOfNote('two-pictures'))[0]!.value
    const form = new FormData()
    form.append('content', 'Too many')
    form.append('slug', 'too-many')
    for (let i = 0; i < 21; i += 1) {
      form.append('photo_item', name)
      form.append('photo_alt', `copy ${i}`)
      form.append('photo_position', String(i + 1))
    }
    const res = await post('/admin/notes', form)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('a note can have at most 20 photos.')
    expect(await ts.server.context.notes.get('too-many', { includeDrafts: true })).toBeNull()
  })

  it('a file that is not an image is refused with the catalog message, the form keeps what was typed, nothing is left on disk', async () => {
    const before = mediaRows()
    const form = new FormData()
    form.append('content', 'With a bad file')
    form.append('slug', 'bad-file')
    form.append('photo', blob(Buffer.from('just some text, not a picture'), 'image/jpeg'), 'fake.jpg')
    const res = await post('/admin/notes', form)
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    const html = await res.text()
    expect(html).toContain('With a bad file')
    expect(html).toContain('role="alert"')
    expect(await ts.server.context.notes.get('bad-file', { includeDrafts: true })).toBeNull()
    expect(mediaRows()).toBe(before)
    expect(leftovers()).toEqual([])
  })
})

describe('the multipart form checks the session and the CSRF token before reading the body', () => {
  /** Send the head and the start of a multipart body, never the rest: the answer must come anyway. */
  function halfUpload(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const boundary = 'x-boundary-x'
      const req = request(`${ts.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(50_000_000), accept: 'text/html', ...headers },
      })
      req.on('response', (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => {
          req.destroy()
          resolve({ status: res.statusCode ?? 0, body })
        })
      })
      req.on('error', reject)
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`)
      req.write(Buffer.alloc(64 * 1024, 0xff))
    })
  }

  it('a token only in a body field is not enough: 403 before the upload is received, nothing stored', async () => {
    const before = mediaRows()
    const form = new FormData()
    form.append('_csrf', admin.csrfToken)
    form.append('content', 'CSRF in the body')
    form.append('slug', 'csrf-in-body')
    form.append('photo', blob(await image(100, 100, '#f0f'), 'image/jpeg'), 'p.jpg')
    const res = await post('/admin/notes', form, { csrf: null })
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('nothing was changed')
    expect(await ts.server.context.notes.get('csrf-in-body', { includeDrafts: true })).toBeNull()
    expect(mediaRows()).toBe(before)
    expect(leftovers()).toEqual([])
  })

  it('answers a wrong token while the body is still arriving (it does not wait for, or store, the upload)', async () => {
    const answer = await halfUpload(`/admin/notes?_csrf=wrong`, { cookie: admin.cookie })
    expect(answer.status).toBe(403)
    expect(leftovers()).toEqual([])
  })

  it('answers a visitor without a session while the body is still arriving: to the login page', async () => {
    const answer = await halfUpload(`/admin/notes?_csrf=${admin.csrfToken}`, {})
    expect(answer.status).toBe(303)
    expect(leftovers()).toEqual([])
  })

  it('takes the token from the X-CSRF-Token header too', async () => {
    const form = new FormData()
    form.append('content', 'Header token')
    form.append('slug', 'header-token')
    const res = await fetch(`${ts.url}/admin/notes`, { method: 'POST', redirect: 'manual', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken }, body: form })
    expect(res.status).toBe(303)
  })
})

describe('preview', () => {
  it('POST /admin/preview renders Markdown with the notes sanitiser (no script survives)', async () => {
    const res = await fetch(`${ts.url}/admin/preview`, {
      method: 'POST',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ content: 'Hello **bold**\n\n<script>alert(1)</script><img src=x onerror=alert(2)>' }).toString(),
    })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<strong>bold</strong>')
    expect(html).not.toContain('<script')
    expect(html).not.toContain('onerror')
    // The same HTML a saved note gets.
    const saved = await ts.server.context.notes.create({ content: 'Hello **bold**\n\n<script>alert(1)</script><img src=x onerror=alert(2)>', slug: 'preview-same' })
    expect(html).toBe(saved.html)
  })

  it('refuses a preview without the CSRF token', async () => {
    const res = await fetch(`${ts.url}/admin/preview`, {
      method: 'POST',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ content: 'x' }).toString(),
    })
    expect(res.status).toBe(403)
  })

  it('the Preview button without JavaScript shows the rendered note in the form and saves nothing', async () => {
    const form = new FormData()
    form.append('content', 'Preview *me*')
    form.append('slug', 'preview-only')
    form.append('intent', 'preview')
    const res = await post('/admin/notes', form)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<em>me</em>')
    expect(html).toContain('Preview *me*')
    expect(await ts.server.context.notes.get('preview-only', { includeDrafts: true })).toBeNull()
    expect(await validateHtml(html)).toEqual([])
  })
})

describe('media library', () => {
  it('lists every upload with size, dimensions, date and the notes that use it, and the total', async () => {
    const res = await get('/admin/media')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(await validateHtml(html)).toEqual([])
    const library = createMediaLibrary({ db: ts.server.context.db, mediaDir: ts.server.context.config.mediaDir, logger: ts.server.context.logger, siteBase: () => ts.url })
    const { items, totalBytes } = await library.list()
    expect(items.length).toBe(mediaRows())
    const onDisk = readdirSync(ts.server.context.config.mediaDir).filter((name) => !name.startsWith('.'))
    expect(items.reduce((sum, item) => sum + item.bytes, 0)).toBe(totalBytes)
    expect(totalBytes).toBeGreaterThan(0)
    expect(onDisk.length).toBeGreaterThanOrEqual(items.length)
    const red = (await photosOfNote('two-pictures'))[0]!
    const item = items.find((i) => i.url === red.value)!
    expect(item.width).toBeGreaterThan(0)
    expect(item.usedBy.map((use) => use.slug)).toEqual(['two-pictures'])
    expect(html).toContain(red.value)
    expect(html).toContain('href="/admin/notes/two-pictures/edit"')
    expect(html).toMatch(/\d+ uploads, [\d.]+ (kB|MB) in all/)
  })

  it('refuses to delete an upload a note uses, with the explanation; deletes an unused one with all its files', async () => {
    const used = (await photosOfNote('two-pictures'))[0]!.value
    const usedName = new URL(used).pathname.slice('/media/'.length)
    const refused = await fetch(`${ts.url}/admin/media/${usedName}/delete`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ _csrf: admin.csrfToken }).toString(),
    })
    expect(refused.status).toBe(409)
    expect(await refused.text()).toContain('This upload is used by 1 note, so it was not deleted.')
    expect((await fetch(used)).status).toBe(200)

    // An upload no note uses: through the media endpoint.
    const { token } = await ts.server.context.tokens.createPersonal({ name: 'm', scopes: ['media'], expiresAt: null })
    const upload = new FormData()
    upload.append('file', blob(await image(120, 90, '#789'), 'image/jpeg'), 'unused.jpg')
    const created = await fetch(`${ts.url}/micropub/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: upload })
    expect(created.status).toBe(201)
    const location = created.headers.get('location')!
    const name = new URL(location).pathname.slice('/media/'.length)
    const base = name.slice(0, 36)
    expect(readdirSync(ts.server.context.config.mediaDir).some((f) => f.startsWith(base))).toBe(true)
    const deleted = await fetch(`${ts.url}/admin/media/${name}/delete`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: admin.csrfToken }).toString(),
    })
    expect(deleted.status).toBe(303)
    expect(readdirSync(ts.server.context.config.mediaDir).filter((f) => f.startsWith(base))).toEqual([])
    expect((await fetch(location)).status).toBe(404)
  })
})

describe('author profile', () => {
  it('saves name, photo, bio and rel-me links to config.json and shows them at once on cached pages and in feeds', async () => {
    // Warm the page cache first: the change must refresh it.
    const before = await fetch(`${ts.url}/`)
    const etag = before.headers.get('etag')
    expect(await before.text()).toContain('The Author')
    const feedBefore = (await (await fetch(`${ts.url}/feed.json`)).json()) as { authors: Array<{ name: string }> }
    expect(feedBefore.authors[0]?.name).toBe('The Author')
    const form = new FormData()
    form.append('STARPUNK_AUTHOR_NAME', 'Ada Lovelace')
    form.append('STARPUNK_AUTHOR_BIO', 'Writes notes about engines.')
    form.append('STARPUNK_AUTHOR_LINKS', 'https://github.com/ada\nhttps://social.example/@ada')
    form.append('photo', blob(await image(400, 400, '#963'), 'image/jpeg'), 'me.jpg')
    const res = await post('/admin/profile', form)
    expect(res.status).toBe(303)
    const file = JSON.parse(readFileSync(join(ts.dataDir, 'config.json'), 'utf8')) as Record<string, string>
    expect(file.STARPUNK_AUTHOR_NAME).toBe('Ada Lovelace')
    expect(file.STARPUNK_AUTHOR_LINKS).toBe('https://github.com/ada https://social.example/@ada')
    expect(file.STARPUNK_AUTHOR_PHOTO).toMatch(/\/media\/[0-9a-f-]{36}\.jpg$/)
    const after = await fetch(`${ts.url}/`)
    expect(after.headers.get('etag')).not.toBe(etag)
    const home = await after.text()
    expect(home).toContain('Ada Lovelace')
    expect(home).toContain('<span class="p-note">Writes notes about engines.</span>')
    expect(home).toContain('<a class="u-url" rel="me" href="https://github.com/ada">')
    expect(home).toContain('<link rel="me" href="https://social.example/@ada"/>')
    expect(home).toContain(`class="u-photo author-photo" src="${file.STARPUNK_AUTHOR_PHOTO}"`)
    const feed = (await (await fetch(`${ts.url}/feed.json`)).json()) as { authors: Array<{ name: string; avatar?: string }> }
    expect(feed.authors[0]).toEqual(expect.objectContaining({ name: 'Ada Lovelace', avatar: file.STARPUNK_AUTHOR_PHOTO }))
    expect(await (await fetch(`${ts.url}/feed.atom`)).text()).toContain('<name>Ada Lovelace</name>')
    // The profile photo is in use: the media library will not delete it.
    const name = new URL(file.STARPUNK_AUTHOR_PHOTO!).pathname.slice('/media/'.length)
    const refused = await fetch(`${ts.url}/admin/media/${name}/delete`, {
      method: 'POST',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ _csrf: admin.csrfToken }).toString(),
    })
    expect(refused.status).toBe(409)
    expect(await refused.text()).toContain('used by the author profile')
    const page = await (await get('/admin/profile')).text()
    expect(await validateHtml(page)).toEqual([])
  })

  it('refuses an invalid link with the reason and writes nothing', async () => {
    const form = new FormData()
    form.append('STARPUNK_AUTHOR_LINKS', 'javascript:alert(1)')
    const res = await post('/admin/profile', form)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('STARPUNK_AUTHOR_LINKS')
    expect(ts.server.context.config.authorLinks).toEqual(['https://github.com/ada', 'https://social.example/@ada'])
  })
})

describe('author profile settings (the environment wins)', () => {
  it('the profile page shows a field the environment sets read-only, saying where to change it', async () => {
    const { renderProfilePage } = await import('./library-pages')
    const html = renderProfilePage({
      config: ts.server.context.config,
      session: { id: 1, me: 'https://me.example/', csrfToken: 't', expiresAt: Date.now() + 60_000 } satisfies AdminSession,
      fields: [
        { name: 'STARPUNK_AUTHOR_NAME', value: 'From Env', fromEnv: true },
        { name: 'STARPUNK_AUTHOR_PHOTO', value: '', fromEnv: false },
        { name: 'STARPUNK_AUTHOR_BIO', value: '', fromEnv: false },
        { name: 'STARPUNK_AUTHOR_LINKS', value: '', fromEnv: false },
      ],
      error: null,
      notice: null,
    })
    expect(html).toMatch(/<input id="profile-name"[^>]*readOnly=""[^>]*value="From Env"|<input id="profile-name"[^>]*value="From Env"[^>]*readOnly=""/)
    expect(html).toContain('Set by the environment variable <code>STARPUNK_AUTHOR_NAME</code>')
    expect(html).not.toMatch(/<textarea id="profile-bio"[^>]*readOnly/)
    expect(await validateHtml(html)).toEqual([])
  })

  it('a field set in the environment is read-only: saving leaves it, and config.json keeps the other settings', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-profile-'))
    try {
      writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ STARPUNK_SITE_NAME: 'Kept' }))
      const env = { STARPUNK_DATA_DIR: dataDir, STARPUNK_AUTHOR_NAME: 'From Env' }
      const { config } = loadConfig({ env })
      const profile = createAuthorProfile({ config, env })
      expect(profile.fields().find((f) => f.name === 'STARPUNK_AUTHOR_NAME')).toEqual({ name: 'STARPUNK_AUTHOR_NAME', value: 'From Env', fromEnv: true })
      expect(profile.fields().find((f) => f.name === 'STARPUNK_AUTHOR_BIO')?.fromEnv).toBe(false)
      const result = profile.save({ STARPUNK_AUTHOR_NAME: 'From the form', STARPUNK_AUTHOR_BIO: 'Hello' })
      expect(result).toEqual({ problems: [], saved: true })
      expect(config.authorName).toBe('From Env')
      expect(config.authorBio).toBe('Hello')
      expect(profile.version).toBe(1)
      const file = JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')) as Record<string, string>
      expect(file).toEqual({ STARPUNK_SITE_NAME: 'Kept', STARPUNK_AUTHOR_BIO: 'Hello' })
      // A restart reads the same profile back.
      expect(loadConfig({ env }).config.authorBio).toBe('Hello')
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
