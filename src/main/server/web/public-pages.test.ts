import { mf2 } from 'microformats-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { validateHtml } from './html-check'

const SITE = 'https://notes.example.org'
let ts: TestServer

async function page(path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers)
  if (!headers.has('accept')) headers.set('accept', 'text/html')
  const res = await fetch(ts.url + path, { ...init, headers })
  return { res, body: await res.text() }
}

type Mf = { type: string[]; properties: Record<string, unknown[]>; children?: Mf[] }

beforeAll(async () => {
  ts = await startTestServer({
    STARPUNK_SITE_URL: SITE,
    STARPUNK_SITE_NAME: 'Ada’s Notes',
    STARPUNK_AUTHOR_NAME: 'Ada Lovelace',
    STARPUNK_ADMIN_ME: 'https://ada.example.com/',
    STARPUNK_NOTES_PER_PAGE: '3',
  })
  const notes = ts.server.context.notes
  await notes.create({ content: '# First *note*\n\nHello <b>world</b>.', tags: ['IndieWeb', 'Meta'], createdAt: '2024-01-01T10:00:00Z' })
  for (let i = 2; i <= 5; i++) await notes.create({ content: `Plain note number ${i}`, tags: ['indieweb'], createdAt: `2024-01-0${i}T10:00:00Z` })
  await notes.create({ content: 'A secret draft', published: false, createdAt: '2024-02-01T00:00:00Z' })
  await notes.create({ content: 'Gone note', createdAt: '2024-02-02T00:00:00Z' })
  await notes.remove('gone-note')
  await notes.create({ content: 'Script <script>alert(1)</script> and <img src=x onerror=alert(2)> [x](javascript:alert(3))', createdAt: '2023-01-01T00:00:00Z' })
})
afterAll(async () => {
  await ts.close()
})

describe('home page', () => {
  it('is an h-feed of h-entries with name, url and author, newest first, paginated', async () => {
    const { res, body } = await page('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const parsed = mf2(body, { baseUrl: SITE + '/' })
    const feed = parsed.items.find((item) => item.type?.includes('h-feed')) as Mf | undefined
    expect(feed).toBeDefined()
    expect(feed!.properties.name).toEqual(['Ada’s Notes'])
    expect(feed!.properties.url).toEqual([SITE + '/'])
    const author = feed!.properties.author?.[0] as Mf
    expect(author.type).toEqual(['h-card'])
    expect(author.properties.name).toEqual(['Ada Lovelace'])
    expect(author.properties.url).toEqual(['https://ada.example.com'])
    const entries = (feed!.children ?? []).filter((c) => c.type.includes('h-entry'))
    expect(entries.map((e) => e.properties.url?.[0])).toEqual([5, 4, 3].map((n) => `${SITE}/notes/plain-note-number-${n}`))
    expect(entries[0]!.properties.published).toEqual(['2024-01-05T10:00:00.000Z'])
    expect(entries[0]!.properties.category).toEqual(['IndieWeb']) // the tag's first display form
    expect(body).not.toContain('secret draft')
    expect(body).not.toContain('Gone note')
    // Older carries a cursor: the time and id of the last note shown.
    expect(parsed.rels.next).toHaveLength(1)
    expect(parsed.rels.next![0]).toMatch(new RegExp(`^${SITE}/\\?before=2024-01-03T10:00:00\\.000Z,\\d+$`))
    expect(parsed.rels.me).toEqual(['https://ada.example.com'])
  })

  it('page 2 continues, an out-of-range page is 404, a malformed one 400', async () => {
    const two = await page('/?page=2')
    const entries = mf2(two.body, { baseUrl: SITE + '/' }).items[0]!.children!.filter((c) => c.type?.includes('h-entry'))
    expect(entries.map((e) => e.properties.url?.[0])).toEqual([`${SITE}/notes/plain-note-number-2`, `${SITE}/notes/first-note`, `${SITE}/notes/script-and-x`])
    expect((await page('/?page=3')).res.status).toBe(404)
    const bad = await page('/?page=abc')
    expect(bad.res.status).toBe(400)
    expect(bad.body).toContain(bad.res.headers.get('x-request-id')!)
  })

  it('carries discovery links for feeds, Micropub and IndieAuth in <head>', async () => {
    const { body } = await page('/')
    const { rels, 'rel-urls': relUrls } = mf2(body, { baseUrl: SITE + '/' })
    expect(rels.micropub).toEqual([`${SITE}/micropub`])
    expect(rels['indieauth-metadata']).toEqual([`${SITE}/.well-known/oauth-authorization-server`])
    expect(rels.authorization_endpoint).toEqual([`${SITE}/indieauth/auth`])
    expect(rels.token_endpoint).toEqual([`${SITE}/indieauth/token`])
    const types = Object.values(relUrls).filter((r) => r.rels.includes('alternate')).map((r) => r.type)
    expect(types.sort()).toEqual(['application/atom+xml', 'application/feed+json', 'application/rss+xml'])
  })
})

describe('note permalink', () => {
  it('is an h-entry with content, dates, url, uid, categories and an author h-card', async () => {
    const { res, body } = await page('/notes/first-note')
    expect(res.status).toBe(200)
    const entry = mf2(body, { baseUrl: SITE + '/' }).items.find((i) => i.type?.includes('h-entry')) as Mf
    // Its leading heading is content, not a name: only a Micropub name makes an article.
    expect(entry.properties.name).toBeUndefined()
    const content = entry.properties.content?.[0] as { html: string; value: string }
    expect(content.value.startsWith('First note')).toBe(true)
    expect(content.value).toContain('Hello world.')
    expect(content.html).toContain('<b>world</b>')
    expect(entry.properties.published).toEqual(['2024-01-01T10:00:00.000Z'])
    expect(entry.properties.updated?.[0]).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(entry.properties.url).toEqual([`${SITE}/notes/first-note`])
    expect(entry.properties.uid).toEqual([`${SITE}/notes/first-note`])
    expect(entry.properties.category).toEqual(['IndieWeb', 'Meta'])
    const author = entry.properties.author?.[0] as Mf
    expect(author.type).toEqual(['h-card'])
    expect(author.properties.name).toEqual(['Ada Lovelace'])
  })

  it('serves sanitised content only', async () => {
    const { body } = await page('/notes/script-and-x')
    expect(body).not.toMatch(/<script/i)
    expect(body).not.toMatch(/onerror/i)
    expect(body).not.toMatch(/javascript:/i)
  })

  it('answers 410 Gone for a deleted note, so receivers of its Webmentions can drop them', async () => {
    const { res, body } = await page('/notes/gone-note')
    expect(res.status).toBe(410)
    expect(body).toContain('This note was deleted.')
    expect(body).toContain(res.headers.get('x-request-id')!)
  })

  it('answers 404 with the friendly page for drafts and unknown notes', async () => {
    for (const slug of ['a-secret-draft', 'never-existed', '%E2%98%83']) {
      const { res, body } = await page(`/notes/${slug}`)
      expect(res.status).toBe(404)
      expect(body).toContain('Nothing lives at this address.')
      expect(body).toContain(res.headers.get('x-request-id')!)
      expect(body).toContain('class="h-card"')
    }
  })

  it('finds notes with Unicode slugs', async () => {
    const note = await ts.server.context.notes.create({ content: 'Grüße aus Köln' })
    expect(note.slug).toBe('grüße-aus-köln')
    const { res } = await page(`/notes/${encodeURIComponent(note.slug)}`)
    expect(res.status).toBe(200)
    await ts.server.context.notes.remove(note.slug)
  })
})

describe('tag pages', () => {
  it('list published notes with the tag, case-insensitively, as an h-feed', async () => {
    const { res, body } = await page('/tags/INDIEWEB')
    expect(res.status).toBe(200)
    const feed = mf2(body, { baseUrl: SITE + '/' }).items.find((i) => i.type?.includes('h-feed')) as Mf
    expect(feed.properties.name?.[0]).toMatch(/^Notes tagged #/)
    expect(feed.properties.url).toEqual([`${SITE}/tags/indieweb`])
    expect(feed.children!.length).toBe(3)
    expect((await page('/tags/no-such-tag')).res.status).toBe(404)
  })
})

describe('HTML validity (html-validate recommended rules)', () => {
  it.each([
    ['home', '/'],
    ['home page 2', '/?page=2'],
    ['note', '/notes/first-note'],
    ['note with hostile content', '/notes/script-and-x'],
    ['tag', '/tags/indieweb'],
    ['404', '/notes/never-existed'],
    ['400', '/?page=zero'],
  ])('%s page is valid', async (_name, path) => {
    const { body } = await page(path)
    expect(await validateHtml(body)).toEqual([])
  })
})

describe('static stylesheet', () => {
  it('is served with a CSS type, light and dark schemes, and revalidates with 304', async () => {
    const res = await fetch(`${ts.url}/static/style.css`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/css/)
    const css = await res.text()
    expect(css).toContain('prefers-color-scheme: dark')
    const again = await fetch(`${ts.url}/static/style.css`, { headers: { 'if-none-match': res.headers.get('etag')! } })
    expect(again.status).toBe(304)
    expect((await fetch(`${ts.url}/static/nope.css`)).status).toBe(404)
  })
})

describe('conditional GET', () => {
  it('answers 304 for an unchanged page and 200 with a new ETag after any write', async () => {
    const first = await page('/notes/first-note')
    const etag = first.res.headers.get('etag')!
    const lastModified = first.res.headers.get('last-modified')!
    expect(etag).toMatch(/^"/)
    expect(lastModified).toMatch(/GMT$/)
    const cached = await fetch(`${ts.url}/notes/first-note`, { headers: { 'if-none-match': etag } })
    expect(cached.status).toBe(304)
    const home = await page('/')
    const homeEtag = home.res.headers.get('etag')!
    const page2 = await page('/?page=2')
    const page2Etag = page2.res.headers.get('etag')!
    await ts.server.context.notes.update('first-note', { content: '# First note\n\nEdited.' })
    const after = await fetch(`${ts.url}/notes/first-note`, { headers: { 'if-none-match': etag } })
    expect(after.status).toBe(200)
    expect(after.headers.get('etag')).not.toBe(etag)
    expect(await after.text()).toContain('Edited.')
    // The list page showing the note is rebuilt and changes...
    const page2After = await fetch(`${ts.url}/?page=2`, { headers: { 'if-none-match': page2Etag } })
    expect(page2After.status).toBe(200)
    expect(await page2After.text()).toContain('Edited.')
    // ...while page 1, rebuilt too, has the same bytes: its content-hash ETag still matches.
    const homeAfter = await fetch(`${ts.url}/`, { headers: { 'if-none-match': homeEtag } })
    expect(homeAfter.status).toBe(304)
    // A changed Last-Modified: an If-Modified-Since from before the write no longer matches.
    const longAgo = new Date(Date.parse(lastModified) - 3_600_000).toUTCString()
    expect((await fetch(`${ts.url}/notes/first-note`, { headers: { 'if-modified-since': longAgo } })).status).toBe(200)
    const now = new Date(Date.now() + 1000).toUTCString()
    expect((await fetch(`${ts.url}/notes/first-note`, { headers: { 'if-modified-since': now } })).status).toBe(304)
  })
})

describe('content security policy', () => {
  it('public pages allow https images (notes embed them) and keep the rest of the policy', async () => {
    const { res } = await page('/notes/first-note')
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toMatch(/img-src 'self' data: https:/)
    expect(csp).toContain("script-src 'self'")
    // Other addresses keep helmet's policy untouched.
    const other = await fetch(`${ts.url}/no-such-page`)
    expect(other.headers.get('content-security-policy')).not.toContain('https:;')
    expect(other.headers.get('content-security-policy')).toMatch(/img-src 'self' data:(;|$)/)
  })
})

describe('methods and odd addresses', () => {
  it('answers 405 with Allow to other methods on public pages and feeds', async () => {
    for (const path of ['/', '/notes/first-note', '/tags/indieweb', '/feed', '/feed.json']) {
      const res = await fetch(ts.url + path, { method: 'POST', headers: { accept: 'application/json' } })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toContain('GET')
    }
  })

  it('answers malformed percent-encoding with 400, never a crash', async () => {
    for (const path of ['/notes/%E0%A4%A', '/tags/%']) {
      const { res, body } = await page(path)
      expect(res.status).toBe(400)
      expect(body).not.toMatch(/\.ts:\d+/)
    }
  })

  it('answers HEAD with headers and no body', async () => {
    const res = await fetch(`${ts.url}/`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toMatch(/^"/)
    expect(await res.text()).toBe('')
  })
})

describe('changes from another process', () => {
  it('a note written through another connection (e.g. npm run import-notes) invalidates cached pages', async () => {
    const { openNotesFixture } = await import('../notes/testing')
    const before = await page('/')
    const etag = before.res.headers.get('etag')!
    expect((await fetch(`${ts.url}/`, { headers: { 'if-none-match': etag } })).status).toBe(304)
    // A second connection on the same database file: SQLite's data_version moves for the server's one.
    const other = await openNotesFixture(ts.dataDir)
    await other.notes.create({ content: 'Written by another process', createdAt: '2030-01-01T00:00:00Z' })
    await other.db.close()
    const after = await fetch(`${ts.url}/`, { headers: { 'if-none-match': etag } })
    expect(after.status).toBe(200)
    expect(await after.text()).toContain('Written by another process')
  })
})

describe('mf2 properties from Micropub (name, photo, responses)', () => {
  it('shows the name, photos (u-photo) and response links, dropping unsafe URLs', async () => {
    await ts.server.context.notes.create({
      content: 'Look at this',
      createdAt: '2019-01-01T00:00:00Z',
      slug: 'with-extras',
      properties: {
        name: ['A named post'],
        photo: [{ value: 'https://photos.example/cat.jpg', alt: 'A cat' }, '/media/local.png', 'javascript:alert(1)'],
        'in-reply-to': ['https://other.example/post/1'],
        'like-of': [{ type: ['h-cite'], properties: { url: ['https://liked.example/'] } }],
        syndication: ['data:text/html,x'],
      },
    })
    const { body } = await page('/notes/with-extras')
    const entry = mf2(body, { baseUrl: SITE + '/' }).items.find((i) => i.type?.includes('h-entry')) as Mf
    expect(entry.properties.name).toEqual(['A named post'])
    expect(entry.properties.photo).toEqual([{ value: 'https://photos.example/cat.jpg', alt: 'A cat' }, `${SITE}/media/local.png`])
    // Each target is an h-cite whose value is its URL (Post Type Discovery reads the URL).
    const targetsOf = (name: string) => (entry.properties[name] as Array<{ type: string[]; value: string }>).map((v) => [v.type, v.value])
    expect(targetsOf('in-reply-to')).toEqual([[['h-cite'], 'https://other.example/post/1']])
    expect(targetsOf('like-of')).toEqual([[['h-cite'], 'https://liked.example/']])
    expect(entry.properties.syndication).toBeUndefined()
    expect(body).not.toMatch(/javascript:|data:text/)
    expect(await validateHtml(body)).toEqual([])
  })
})

describe('long notes in lists (STARPUNK_EXCERPT_ABOVE_BYTES)', () => {
  let excerpts: TestServer
  beforeAll(async () => {
    excerpts = await startTestServer({ STARPUNK_SITE_URL: SITE, STARPUNK_EXCERPT_ABOVE_BYTES: '4096' })
    const notes = excerpts.server.context.notes
    await notes.create({ content: 'A short note with **bold** text.', slug: 'short', tags: ['mixed'], createdAt: '2024-01-01T00:00:00Z' })
    await notes.create({
      content: 'Opening words & more. ' + 'Lorem ipsum dolor sit amet. '.repeat(400) + '\n\nTHE-LAST-PARAGRAPH',
      slug: 'long',
      tags: ['mixed'],
      createdAt: '2024-01-02T00:00:00Z',
    })
  })
  afterAll(async () => {
    await excerpts.close()
  })

  it.each(['/', '/tags/mixed'])('%s shows a long note as the start of its text with a link to all of it; short notes whole', async (path) => {
    const res = await fetch(excerpts.url + path, { headers: { accept: 'text/html' } })
    const body = await res.text()
    expect(res.status).toBe(200)
    expect(body).not.toContain('THE-LAST-PARAGRAPH')
    const entries = (mf2(body, { baseUrl: SITE + '/' }).items[0]!.children as Mf[]).filter((c) => c.type.includes('h-entry'))
    const [long, short] = entries
    const summary = String(long!.properties.summary![0])
    expect(summary.startsWith('Opening words & more. Lorem ipsum')).toBe(true)
    expect(summary.endsWith('…')).toBe(true)
    expect(Array.from(summary).length).toBeLessThanOrEqual(300)
    expect(long!.properties.content).toBeUndefined()
    expect(long!.properties.url).toEqual([`${SITE}/notes/long`])
    expect(body).toContain(`<a href="${SITE}/notes/long">Read the whole note</a>`)
    expect((short!.properties.content![0] as { html: string }).html).toContain('<strong>bold</strong>')
    expect(await validateHtml(body)).toEqual([])
  })

  it("the note's own page and the feeds carry all of it", async () => {
    const own = await (await fetch(`${excerpts.url}/notes/long`, { headers: { accept: 'text/html' } })).text()
    expect(own).toContain('THE-LAST-PARAGRAPH')
    expect(await (await fetch(`${excerpts.url}/feed.atom`)).text()).toContain('THE-LAST-PARAGRAPH')
  })
})
