// The editor's post-type fields over real HTTP: an article from the form, changing a type, the per-post
// location choice overriding STARPUNK_PUBLISH_LOCATION, and CSRF as on every form.
import { mf2 } from 'microformats-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

let ts: TestServer
let admin: AdminLogin

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_ADMIN_ME: 'https://me.example' })
  admin = await loginAsAdmin(ts)
})
afterAll(async () => {
  await ts.close()
})

function post(path: string, fields: Record<string, string>, csrf: string | null = admin.csrfToken): Promise<Response> {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  const url = `${ts.url}${path}${csrf ? `?_csrf=${encodeURIComponent(csrf)}` : ''}`
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { accept: 'text/html', cookie: admin.cookie }, body: form })
}

async function publicEntry(slug: string) {
  const url = `${ts.url}/notes/${slug}`
  const html = await (await fetch(url, { headers: { accept: 'text/html' } })).text()
  return { html, entry: mf2(html, { baseUrl: url }).items.find((item) => item.type?.includes('h-entry'))! }
}

describe('post types in the admin editor', () => {
  it('an article: title and summary from the form; turned into a bookmark later, the title goes', async () => {
    let res = await post('/admin/notes', { kind: 'article', name: 'Notes on SQLite', summary: 'Short version.', content: 'The long version.', published: '1' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toMatch(/^\/admin\/notes\/notes-on-sqlite\/edit/)
    const { entry } = await publicEntry('notes-on-sqlite')
    expect(entry.properties.name).toEqual(['Notes on SQLite'])
    expect(entry.properties.summary).toEqual(['Short version.'])
    res = await post('/admin/notes/notes-on-sqlite', { kind: 'bookmark', target: 'https://example.com/sqlite', content: 'The long version.', published: '1' })
    expect(res.status).toBe(303)
    const note = (await ts.server.context.notes.get('notes-on-sqlite'))!
    expect(note.postType).toBe('bookmark')
    expect(note.properties.name).toBeUndefined()
    expect(note.properties['bookmark-of']).toEqual(['https://example.com/sqlite'])
  })

  it('an RSVP and bad targets: a clear error on the form, nothing written', async () => {
    expect((await post('/admin/notes', { kind: 'rsvp', target: 'https://example.com/event', rsvp: 'interested', slug: 'going', published: '1' })).status).toBe(303)
    const { entry } = await publicEntry('going')
    expect(entry.properties.rsvp).toEqual(['interested'])
    const before = (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n
    const refused: Array<Record<string, string>> = [
      { kind: 'like', target: 'javascript:alert(1)' },
      { kind: 'repost', target: 'not a url' },
      { kind: 'rsvp', target: 'https://example.com/e', rsvp: 'perhaps' },
      { kind: 'article', name: '', content: 'no title' },
      { kind: 'note', content: '' },
    ]
    for (const fields of refused) {
      const res = await post('/admin/notes', { ...fields, published: '1' })
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(html).toContain('id="form-error"')
      expect(html).not.toMatch(/at \w+ \(|SELECT|\/work\//)
    }
    expect((ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n).toBe(before)
  })

  it('without the CSRF token nothing is created', async () => {
    const res = await post('/admin/notes', { kind: 'like', target: 'https://example.com/x', slug: 'no-csrf-like' }, null)
    expect(res.status).toBe(403)
    expect(await ts.server.context.notes.get('no-csrf-like')).toBeNull()
  })

  it('a post with a location: private by default; "Show it" in the editor publishes it, "As the site setting says" hides it again', async () => {
    const geo = { type: ['h-geo'], properties: { latitude: ['48.8584'], longitude: ['2.2945'] } }
    await ts.server.context.notes.create({ content: 'Up the tower', slug: 'tower', properties: { location: [geo] } })
    const form = await (await fetch(`${ts.url}/admin/notes/tower/edit`, { headers: { accept: 'text/html', cookie: admin.cookie } })).text()
    expect(form).toContain('id="note-location"')
    expect((await publicEntry('tower')).html).not.toContain('48.8584')
    expect((await post('/admin/notes/tower', { kind: 'note', content: 'Up the tower', location: 'public', published: '1' })).status).toBe(303)
    const shown = (await publicEntry('tower')).entry.properties.location![0] as { properties: Record<string, unknown[]> }
    expect(shown.properties.latitude).toEqual(['48.8584'])
    expect((await post('/admin/notes/tower', { kind: 'note', content: 'Up the tower', location: 'default', published: '1' })).status).toBe(303)
    expect((await publicEntry('tower')).html).not.toContain('48.8584')
    // The location itself was never touched.
    expect((await ts.server.context.notes.get('tower'))!.properties.location).toEqual([geo])
  })
})
