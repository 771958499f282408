import { parseFeed } from '@rowanmanning/feed-parser'
import { mf2 } from 'microformats-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { validateHtml } from './html-check'

type Mf2Item = ReturnType<typeof mf2>['items'][number]

/** Each post type created through the real Micropub endpoint, then read back from its page as mf2. */
describe('post types on pages and in feeds', () => {
  let ts: TestServer
  let token: string
  const created: Record<string, string> = {}

  async function micropub(properties: Record<string, unknown[]>): Promise<string> {
    const res = await fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ type: ['h-entry'], properties }),
    })
    expect(res.status).toBe(201)
    return res.headers.get('location')!
  }
  async function entryAt(url: string): Promise<{ entry: Mf2Item; html: string }> {
    const res = await fetch(url, { headers: { accept: 'text/html' } })
    expect(res.status).toBe(200)
    const html = await res.text()
    const doc = mf2(html, { baseUrl: url })
    const entry = doc.items.find((item) => item.type?.includes('h-entry'))
    expect(entry).toBeDefined()
    return { entry: entry!, html }
  }
  const cite = (value: unknown) => value as { type: string[]; properties: Record<string, unknown[]>; value: string }

  beforeAll(async () => {
    ts = await startTestServer()
    token = (await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create', 'update'], expiresAt: null })).token
    created.like = await micropub({ 'like-of': ['https://example.com/liked-post'] })
    created.repost = await micropub({ 'repost-of': ['https://example.com/reposted'] })
    created.bookmark = await micropub({ 'bookmark-of': [{ type: ['h-cite'], properties: { url: ['https://example.com/saved'], name: ['A saved page'] } }], content: ['To read'] })
    created.reply = await micropub({ 'in-reply-to': ['https://example.com/question'], content: ['My *answer*'] })
    created.rsvp = await micropub({ 'in-reply-to': ['https://example.com/party'], rsvp: ['maybe'] })
    created.article = await micropub({ name: ['On keeping things small'], summary: ['Why one file is enough.'], content: ['A long article body.'] })
    created.photo = await micropub({ photo: ['https://example.com/p.jpg'], content: ['A view'] })
    created.note = await micropub({ content: ['Just a note'] })
    created.headed = await micropub({ content: ['# A heading in a note\n\nIts body.'] })
  })
  afterAll(async () => {
    await ts.close()
  })

  it('a like without text: u-like-of h-cite with the target URL, a visible label, no e-content text', async () => {
    const { entry, html } = await entryAt(created.like!)
    const likeOf = cite(entry.properties['like-of']![0])
    expect(likeOf.type).toEqual(['h-cite'])
    expect(likeOf.value).toBe('https://example.com/liked-post')
    expect(likeOf.properties.url).toEqual(['https://example.com/liked-post'])
    expect(html).toContain('<span class="post-type">Like</span>')
    expect(html).toMatch(/Liked <a class="u-like-of h-cite"/)
    expect(entry.properties.content).toBeUndefined()
    expect(await validateHtml(html)).toEqual([])
  })

  it('repost, bookmark (with the name the post gave its target) and reply', async () => {
    const repost = (await entryAt(created.repost!)).entry
    expect(cite(repost.properties['repost-of']![0]).value).toBe('https://example.com/reposted')
    const bookmark = (await entryAt(created.bookmark!)).entry
    const bookmarkOf = cite(bookmark.properties['bookmark-of']![0])
    expect(bookmarkOf.properties.name).toEqual(['A saved page'])
    expect(bookmarkOf.value).toBe('https://example.com/saved')
    expect((bookmark.properties.content![0] as { value: string }).value).toBe('To read')
    const { entry: reply, html } = await entryAt(created.reply!)
    expect(cite(reply.properties['in-reply-to']![0]).value).toBe('https://example.com/question')
    expect((reply.properties.content![0] as { html: string }).html).toContain('<em>answer</em>')
    expect(html).toContain('<span class="post-type">Reply</span>')
  })

  it('an RSVP: p-rsvp with its value and u-in-reply-to the event', async () => {
    const { entry, html } = await entryAt(created.rsvp!)
    expect(entry.properties.rsvp).toEqual(['maybe'])
    expect(cite(entry.properties['in-reply-to']![0]).value).toBe('https://example.com/party')
    expect(html).toContain('<span class="post-type">RSVP</span>')
  })

  it('an article: p-name and p-summary, its slug from the name', async () => {
    expect(created.article).toMatch(/\/notes\/on-keeping-things-small$/)
    const { entry, html } = await entryAt(created.article!)
    expect(entry.properties.name).toEqual(['On keeping things small'])
    expect(entry.properties.summary).toEqual(['Why one file is enough.'])
    expect(html).toContain('<span class="post-type">Article</span>')
  })

  it('a note opening with a Markdown heading stays a note: no p-name, the heading stays in e-content', async () => {
    const { entry, html } = await entryAt(created.headed!)
    // Post Type Discovery: an explicit name that is not a prefix of the content would make it an article.
    expect(entry.properties.name).toBeUndefined()
    const content = entry.properties.content![0] as { value: string; html: string }
    expect(content.value.startsWith('A heading in a note')).toBe(true)
    expect(content.html).toMatch(/^<h1>A heading in a note<\/h1>/)
    expect(html).not.toContain('class="post-type"')
    expect(html.match(/<h1[ >]/g)).toHaveLength(1)
    expect(await validateHtml(html)).toEqual([])
  })

  it('a photo post and a plain note (no label for a note)', async () => {
    const photo = await entryAt(created.photo!)
    expect(photo.entry.properties.photo).toEqual(['https://example.com/p.jpg'])
    expect(photo.html).toContain('<span class="post-type">Photo</span>')
    const note = await entryAt(created.note!)
    expect(note.html).not.toContain('class="post-type"')
    expect(note.entry.properties.name).toBeUndefined()
  })

  it('/type/<type> lists only that type, an unknown type is 404, and the home page links each type', async () => {
    const res = await fetch(`${ts.url}/type/like`, { headers: { accept: 'text/html' } })
    expect(res.status).toBe(200)
    const html = await res.text()
    const feed = mf2(html, { baseUrl: ts.url }).items.find((item) => item.type?.includes('h-feed'))!
    const entries = (feed.children ?? []).filter((item) => item.type?.includes('h-entry'))
    expect(entries).toHaveLength(1)
    expect(cite(entries[0]!.properties['like-of']![0]).value).toBe('https://example.com/liked-post')
    expect(html).toMatch(/<a href="\/type\/like" aria-current="page">Likes<\/a>/)
    expect(await validateHtml(html)).toEqual([])
    const empty = await fetch(`${ts.url}/type/article?page=2`, { headers: { accept: 'text/html' } })
    expect(empty.status).toBe(404)
    expect((await fetch(`${ts.url}/type/event`, { headers: { accept: 'text/html' } })).status).toBe(404)
    const home = await (await fetch(`${ts.url}/`, { headers: { accept: 'text/html' } })).text()
    for (const type of ['note', 'article', 'photo', 'reply', 'like', 'repost', 'bookmark', 'rsvp']) expect(home).toContain(`href="/type/${type}"`)
  })

  it('feeds title each type: "Liked: <target>" falling back to the URL, articles by name, RSVPs by answer; all three stay valid', async () => {
    const rss = await (await fetch(`${ts.url}/feed.rss`)).text()
    const atom = await (await fetch(`${ts.url}/feed.atom`)).text()
    const json = (await (await fetch(`${ts.url}/feed.json`)).json()) as { items: Array<{ url: string; title?: string; content_text: string; content_html: string }> }
    for (const text of [rss, atom]) {
      const feed = parseFeed(text)
      const titles = new Map(feed.items.map((item) => [item.url, item.title]))
      expect(titles.get(created.like!)).toBe('Liked: https://example.com/liked-post')
      expect(titles.get(created.repost!)).toBe('Reposted: https://example.com/reposted')
      expect(titles.get(created.bookmark!)).toBe('Bookmarked: A saved page')
      expect(titles.get(created.rsvp!)).toBe('RSVP maybe: https://example.com/party')
      expect(titles.get(created.article!)).toBe('On keeping things small')
      expect(titles.get(created.reply!)).toBe('My answer')
      const like = feed.items.find((item) => item.url === created.like)!
      expect(like.content ?? like.description).toContain('href="https://example.com/liked-post"')
    }
    const byUrl = new Map(json.items.map((item) => [item.url, item]))
    expect(byUrl.get(created.like!)!.title).toBe('Liked: https://example.com/liked-post')
    expect(byUrl.get(created.like!)!.content_text).toBe('Liked: https://example.com/liked-post')
    expect(byUrl.get(created.note!)!.title).toBeUndefined()
    expect(byUrl.get(created.article!)!.title).toBe('On keeping things small')
  })
})

describe('location stays private unless published', () => {
  const geo = { type: ['h-geo'], properties: { latitude: ['52.5163'], longitude: ['13.3777'] } }
  const checkin = { type: ['h-card'], properties: { name: ['Café Kranzler'], latitude: ['52.5036'], longitude: ['13.3320'] } }

  async function postWithLocation(ts: TestServer, token: string, extra: Record<string, unknown[]> = {}) {
    const res = await fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ type: ['h-entry'], properties: { content: ['Coffee time'], location: [geo], checkin: [checkin], ...extra } }),
    })
    expect(res.status).toBe(201)
    return res.headers.get('location')!
  }
  async function pageAndFeeds(ts: TestServer, url: string) {
    const page = await (await fetch(url, { headers: { accept: 'text/html' } })).text()
    const feeds = (await Promise.all(['/feed.rss', '/feed.atom', '/feed.json'].map(async (path) => (await fetch(`${ts.url}${path}`)).text()))).join('\n')
    const home = await (await fetch(`${ts.url}/`, { headers: { accept: 'text/html' } })).text()
    return { page, everything: `${page}\n${feeds}\n${home}` }
  }

  it('by default: stored and given to q=source, never on the page, the home page or in the feeds; a post may publish its own', async () => {
    const ts = await startTestServer()
    try {
      const token = (await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create', 'update'], expiresAt: null })).token
      const url = await postWithLocation(ts, token)
      const { everything } = await pageAndFeeds(ts, url)
      for (const secret of ['52.5163', '13.3777', 'Kranzler', '52.5036']) expect(everything).not.toContain(secret)
      const source = (await (await fetch(`${ts.url}/micropub?q=source&url=${encodeURIComponent(url)}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        properties: Record<string, unknown[]>
      }
      expect(source.properties.location).toEqual([geo])
      expect(source.properties.checkin).toEqual([checkin])
      // This post's own choice overrides the setting.
      const res = await fetch(`${ts.url}/micropub`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ type: ['h-entry'], properties: { content: ['Here'], location: [geo], 'starpunk-location': ['public'] } }),
      })
      const shown = res.headers.get('location')!
      const entry = mf2((await pageAndFeeds(ts, shown)).page, { baseUrl: shown }).items.find((i) => i.type?.includes('h-entry'))!
      const location = entry.properties.location![0] as { type: string[]; properties: Record<string, unknown[]> }
      expect(location.type).toEqual(['h-geo'])
      expect(location.properties.latitude).toEqual(['52.5163'])
      expect(location.properties.longitude).toEqual(['13.3777'])
    } finally {
      await ts.close()
    }
  })

  it('with STARPUNK_PUBLISH_LOCATION=true: shown as mf2 (checkin first); a post marked private still hides it', async () => {
    const ts = await startTestServer({ STARPUNK_PUBLISH_LOCATION: 'true' })
    try {
      const token = (await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create', 'update'], expiresAt: null })).token
      const url = await postWithLocation(ts, token)
      const { page } = await pageAndFeeds(ts, url)
      const entry = mf2(page, { baseUrl: url }).items.find((i) => i.type?.includes('h-entry'))!
      const venue = entry.properties.checkin![0] as { type: string[]; properties: Record<string, unknown[]> }
      expect(venue.type).toEqual(['h-card'])
      expect(venue.properties.name).toEqual(['Café Kranzler'])
      expect(venue.properties.latitude).toEqual(['52.5036'])
      const hidden = await postWithLocation(ts, token, { 'starpunk-location': ['private'] })
      const { page: hiddenPage } = await pageAndFeeds(ts, hidden)
      for (const secret of ['52.5163', 'Kranzler']) expect(hiddenPage).not.toContain(secret)
    } finally {
      await ts.close()
    }
  })
})
