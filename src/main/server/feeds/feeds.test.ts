import { parseFeed } from '@rowanmanning/feed-parser'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import jsonFeedSchema from 'jsonfeed-schema'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

const SITE = 'https://notes.example.org'
/** ajv-formats is CommonJS: under Node's ESM interop its function is the default export's `default`. */
const addFormatsTo = (addFormats as unknown as { default: (ajv: Ajv) => Ajv }).default
let ts: TestServer

async function get(path: string, accept?: string) {
  const res = await fetch(ts.url + path, accept === undefined ? {} : { headers: { accept } })
  return { res, body: await res.text() }
}

beforeAll(async () => {
  ts = await startTestServer({
    STARPUNK_SITE_URL: SITE,
    STARPUNK_SITE_NAME: 'Feed & Test <Site>',
    STARPUNK_AUTHOR_NAME: 'Grace Hopper',
    STARPUNK_ADMIN_ME: 'https://grace.example.com',
    STARPUNK_FEED_MAX_ITEMS: '3',
    STARPUNK_CACHE_MAX_AGE: '120',
  })
  const notes = ts.server.context.notes
  await notes.create({ content: '# Oldest\n\nfirst', createdAt: '2024-01-01T00:00:00Z' })
  await notes.create({ content: 'Second with ![pic](/media/a.png) & <b>bold</b>', tags: ['Photos', 'Misc'], createdAt: '2024-01-02T00:00:00Z' })
  await notes.create({ content: '# Third *titled*\n\nbody [link](/notes/oldest)', tags: ['IndieWeb'], createdAt: '2024-01-03T00:00:00Z' })
  await notes.create({ content: 'Fourth note', createdAt: '2024-01-04T00:00:00Z' })
  await notes.create({ content: 'Hidden draft', published: false, createdAt: '2024-02-01T00:00:00Z' })
  await notes.create({ content: 'Deleted one', createdAt: '2024-02-02T00:00:00Z' })
  await notes.remove('deleted-one')
})
afterAll(async () => {
  await ts.close()
})

describe('RSS 2.0', () => {
  it('parses, newest first, maxItems, absolute URLs, tags as categories, right type and caching', async () => {
    const { res, body } = await get('/feed.rss')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8')
    expect(res.headers.get('cache-control')).toContain('max-age=120')
    const feed = parseFeed(body)
    expect(feed.meta.type).toBe('rss')
    expect(feed.meta.version).toBe('2.0')
    expect(feed.title).toBe('Feed & Test <Site>')
    expect(feed.url).toBe(`${SITE}/`)
    expect(feed.items.map((i) => i.url)).toEqual([`${SITE}/notes/fourth-note`, `${SITE}/notes/third-titled`, `${SITE}/notes/second-with-bold`])
    expect(feed.items[1]!.title).toBe('Third titled')
    expect(feed.items[1]!.categories.map((c) => c.term)).toEqual(['IndieWeb'])
    expect(feed.items[2]!.categories.map((c) => c.term)).toEqual(['Photos', 'Misc'])
    expect(feed.items[0]!.published?.toISOString()).toBe('2024-01-04T00:00:00.000Z')
    expect(feed.items[2]!.description).toContain(`src="${SITE}/media/a.png"`)
    expect(feed.items[1]!.description).toContain(`href="${SITE}/notes/oldest"`)
    expect(body).not.toContain('Hidden draft')
    expect(body).not.toContain('Deleted one')
  })
})

describe('Atom 1.0', () => {
  it('parses with ids, dates, author and categories', async () => {
    const { res, body } = await get('/feed.atom')
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8')
    const feed = parseFeed(body)
    expect(feed.meta.type).toBe('atom')
    expect(feed.title).toBe('Feed & Test <Site>')
    expect(feed.authors[0]!.name).toBe('Grace Hopper')
    expect(feed.items.map((i) => i.id)).toEqual([`${SITE}/notes/fourth-note`, `${SITE}/notes/third-titled`, `${SITE}/notes/second-with-bold`])
    expect(feed.items[1]!.updated).toBeInstanceOf(Date)
    expect(feed.items[2]!.categories.map((c) => c.term)).toEqual(['Photos', 'Misc'])
    expect(feed.items[2]!.content).toContain('<b>bold</b>')
    expect(feed.self).toBe(`${SITE}/feed.atom`)
  })
})

describe('JSON Feed 1.1', () => {
  it('validates against the JSON Feed schema and carries the items', async () => {
    const { res, body } = await get('/feed.json')
    expect(res.headers.get('content-type')).toBe('application/feed+json; charset=utf-8')
    const feed = JSON.parse(body) as { items: Array<Record<string, unknown>>; version: string; authors: unknown[] }
    const ajv = new Ajv({ strict: false, allErrors: true })
    addFormatsTo(ajv)
    const validate = ajv.compile(jsonFeedSchema)
    expect(validate(feed), JSON.stringify(validate.errors)).toBe(true)
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1')
    expect(feed.items.map((i) => i.url)).toEqual([`${SITE}/notes/fourth-note`, `${SITE}/notes/third-titled`, `${SITE}/notes/second-with-bold`])
    expect(feed.items[0]!.title).toBeUndefined()
    expect(feed.items[1]!.title).toBe('Third titled')
    expect(feed.items[2]!.tags).toEqual(['Photos', 'Misc'])
    expect(feed.authors).toEqual([{ name: 'Grace Hopper', url: 'https://grace.example.com' }])
  })

  it('the schema check can fail: a broken feed is rejected', () => {
    const ajv = new Ajv({ strict: false })
    addFormatsTo(ajv)
    expect(ajv.validate(jsonFeedSchema, { version: 'https://jsonfeed.org/version/1.1', title: 'x', items: [{ url: 'x' }] })).toBe(false)
  })
})

describe('/feed content negotiation', () => {
  it.each([
    [undefined, 'application/rss+xml'],
    ['*/*', 'application/rss+xml'],
    ['application/atom+xml', 'application/atom+xml'],
    ['application/feed+json', 'application/feed+json'],
    ['application/json', 'application/feed+json'],
    ['application/rss+xml;q=0.5, application/atom+xml;q=0.9', 'application/atom+xml'],
    ['text/html;q=1, application/feed+json;q=0.1', 'application/feed+json'],
    ['application/xml', 'application/rss+xml'],
  ])('Accept %s → %s', async (accept, type) => {
    const { res } = await get('/feed', accept)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(`${type}; charset=utf-8`)
    expect(res.headers.get('vary')).toContain('Accept')
  })

  it('answers 406 listing what is available when nothing fits', async () => {
    const { res, body } = await get('/feed', 'image/png, text/html;q=0.8')
    expect(res.status).toBe(406)
    expect(body).toContain('application/rss+xml')
    expect(body).toContain('application/feed+json')
    expect(body).toContain(`${SITE}/feed.atom`)
    expect(body).toContain(res.headers.get('x-request-id')!)
    const json = await fetch(`${ts.url}/feed`, { headers: { accept: 'application/pdf' } })
    expect(json.status).toBe(406)
  })
})

describe('OPML', () => {
  it('lists the RSS and Atom feeds', async () => {
    const { res, body } = await get('/opml.xml')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/x-opml/)
    expect(body).toContain('<opml version="2.0">')
    expect(body).toContain(`xmlUrl="${SITE}/feed.rss"`)
    expect(body).toContain(`xmlUrl="${SITE}/feed.atom"`)
  })
})

describe('feed caching', () => {
  it('answers 304 to a matching ETag and changes after a write', async () => {
    const first = await get('/feed.json')
    const etag = first.res.headers.get('etag')!
    expect((await fetch(`${ts.url}/feed.json`, { headers: { 'if-none-match': etag } })).status).toBe(304)
    await ts.server.context.notes.create({ content: 'Brand new note', createdAt: '2024-03-01T00:00:00Z' })
    const after = await fetch(`${ts.url}/feed.json`, { headers: { 'if-none-match': etag } })
    expect(after.status).toBe(200)
    const feed = JSON.parse(await after.text()) as { items: Array<{ url: string }> }
    expect(feed.items[0]!.url).toBe(`${SITE}/notes/brand-new-note`)
    expect(feed.items).toHaveLength(3)
  })
})

describe('photos and names from mf2 properties', () => {
  it('appear in every feed format', async () => {
    await ts.server.context.notes.create({
      content: 'Photo post',
      createdAt: '2025-01-01T00:00:00Z',
      properties: { name: ['Named photo post'], photo: [{ value: '/media/p.jpg', alt: 'P & Q' }] },
    })
    const json = JSON.parse((await get('/feed.json')).body) as { items: Array<Record<string, unknown>> }
    expect(json.items[0]!.title).toBe('Named photo post')
    expect(json.items[0]!.image).toBe(`${SITE}/media/p.jpg`)
    expect(json.items[0]!.content_html).toContain(`<img src="${SITE}/media/p.jpg" alt="P &amp; Q" />`)
    const rss = parseFeed((await get('/feed.rss')).body)
    expect(rss.items[0]!.title).toBe('Named photo post')
    expect(rss.items[0]!.description).toContain(`${SITE}/media/p.jpg`)
    const atom = parseFeed((await get('/feed.atom')).body)
    expect(atom.items[0]!.content).toContain(`${SITE}/media/p.jpg`)
  })
})

describe('a byte budget per feed (STARPUNK_FEED_MAX_BYTES)', () => {
  let budgeted: TestServer
  beforeAll(async () => {
    budgeted = await startTestServer({ STARPUNK_SITE_URL: SITE, STARPUNK_FEED_MAX_BYTES: String(64 * 1024) })
  })
  afterAll(async () => {
    await budgeted.close()
  })
  const items = async (path: string) => parseFeed(await (await fetch(budgeted.url + path)).text()).items.map((item) => item.url)

  it('takes notes newest first while their HTML fits; the newest always goes in, even alone over the budget', async () => {
    const notes = budgeted.server.context.notes
    // Each about 25 KB of HTML: two fit in 64 KiB, a third does not.
    for (const day of [1, 2, 3, 4]) await notes.create({ content: `Day ${day} ` + 'word '.repeat(5_000), slug: `day-${day}`, createdAt: `2024-05-0${day}T00:00:00Z` })
    for (const path of ['/feed.rss', '/feed.atom']) {
      expect(await items(path)).toEqual([`${SITE}/notes/day-4`, `${SITE}/notes/day-3`])
    }
    const json = JSON.parse(await (await fetch(`${budgeted.url}/feed.json`)).text()) as { items: Array<{ url: string }> }
    expect(json.items.map((item) => item.url)).toHaveLength(2)
    // One note larger than the whole budget: the feed is that note alone, never empty.
    await notes.create({ content: 'Huge ' + 'word '.repeat(20_000), slug: 'huge', createdAt: '2024-06-01T00:00:00Z' })
    expect(await items('/feed.atom')).toEqual([`${SITE}/notes/huge`])
  })
})
