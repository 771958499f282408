import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DomUtils, parseDocument } from 'htmlparser2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { SITEMAP_NAMESPACE } from './sitemap'

// sitemap.xml and robots.txt from a real server: content, well-formedness and the sitemap schema (xmllint).

const SCHEMA = join(__dirname, 'fixtures', 'sitemap.xsd')

/** xmllint's complaints about the document ('' when it is well-formed and, with the schema, valid). */
function xmllint(xml: string, schema?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-sitemap-'))
  try {
    const file = join(dir, 'sitemap.xml')
    writeFileSync(file, xml)
    execFileSync('/usr/bin/xmllint', ['--noout', '--nonet', ...(schema ? ['--schema', schema] : []), file], { stdio: ['ignore', 'pipe', 'pipe'] })
    return ''
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function entries(xml: string): Array<{ loc: string; lastmod: string | null }> {
  const doc = parseDocument(xml, { xmlMode: true })
  return DomUtils.getElementsByTagName('url', doc).map((url) => {
    const loc = DomUtils.getElementsByTagName('loc', url)[0]
    const lastmod = DomUtils.getElementsByTagName('lastmod', url)[0]
    return { loc: loc ? DomUtils.textContent(loc) : '', lastmod: lastmod ? DomUtils.textContent(lastmod) : null }
  })
}

let ts: TestServer
const SITE = 'https://blog.example'

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_SITE_URL: SITE })
  const { notes } = ts.server.context
  await notes.create({ content: '# First & foremost\n\nHello', tags: ['IndieWeb', 'Ünïcode tag'] })
  await notes.create({ content: 'A draft', published: false, slug: 'a-draft', tags: ['secret'] })
  await notes.create({ content: 'To be deleted', slug: 'gone', tags: ['Gone'] })
  await notes.remove('gone')
  await notes.create({ content: 'Second <note> with "quotes"', slug: 'second', tags: ['IndieWeb'] })
})
afterAll(() => ts.close())

describe('sitemap.xml', () => {
  it('lists the home page, every public note and every public tag, with lastmod from their updates, and nothing else', async () => {
    const res = await fetch(`${ts.url}/sitemap.xml`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/xml; charset=utf-8')
    const xml = await res.text()
    const { notes } = ts.server.context
    const first = (await notes.get('first-foremost'))!
    const second = (await notes.get('second'))!
    expect(first).not.toBeNull()
    const list = entries(xml)
    expect(list.map((e) => e.loc).sort()).toEqual(
      [`${SITE}/`, `${SITE}/notes/first-foremost`, `${SITE}/notes/second`, `${SITE}/tags/indieweb`, `${SITE}/tags/${encodeURIComponent('ünïcode tag')}`].sort(),
    )
    const byLoc = new Map(list.map((e) => [e.loc, e.lastmod]))
    expect(byLoc.get(`${SITE}/notes/first-foremost`)).toBe(first.updatedAt)
    expect(byLoc.get(`${SITE}/notes/second`)).toBe(second.updatedAt)
    const newest = [first.updatedAt, second.updatedAt].sort().at(-1)
    expect(byLoc.get(`${SITE}/`)).toBe(newest)
    expect(byLoc.get(`${SITE}/tags/indieweb`)).toBe(newest)
    expect(xml).toContain(`xmlns="${SITEMAP_NAMESPACE}"`)
    expect(xmllint(xml)).toBe('')
    expect(xmllint(xml, SCHEMA)).toBe('')
  })

  it('the schema check can fail: a sitemap with a bad lastmod or a missing loc is refused', () => {
    const bad = `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="${SITEMAP_NAMESPACE}"><url><loc>${SITE}/</loc><lastmod>yesterday</lastmod></url><url></url></urlset>`
    expect(xmllint(bad)).toBe('')
    expect(xmllint(bad, SCHEMA)).toMatch(/lastmod|loc/)
  })

  it('follows note writes: an edit moves its lastmod, a new note appears, with a new ETag; unchanged, a 304', async () => {
    const before = await fetch(`${ts.url}/sitemap.xml`)
    const etag = before.headers.get('etag')!
    expect(before.headers.get('cache-control')).toMatch(/^public/)
    expect((await fetch(`${ts.url}/sitemap.xml`, { headers: { 'if-none-match': etag } })).status).toBe(304)
    await ts.server.context.notes.create({ content: 'Third', slug: 'third' })
    const after = await fetch(`${ts.url}/sitemap.xml`)
    expect(after.headers.get('etag')).not.toBe(etag)
    expect(entries(await after.text()).map((e) => e.loc)).toContain(`${SITE}/notes/third`)
  })

  it('refuses other methods with 405 and Allow', async () => {
    const res = await fetch(`${ts.url}/sitemap.xml`, { method: 'POST', headers: { accept: 'application/json' } })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toContain('GET')
  })
})

describe('robots.txt', () => {
  it('allows crawling, keeps crawlers out of the admin, console, Micropub, IndieAuth and APIs, and names the sitemap', async () => {
    const res = await fetch(`${ts.url}/robots.txt`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    const text = await res.text()
    const lines = text.split('\n')
    expect(lines[0]).toBe('User-agent: *')
    expect(lines).toContain('Allow: /')
    const disallowed = lines.filter((l) => l.startsWith('Disallow: ')).map((l) => l.slice('Disallow: '.length))
    for (const path of ['/admin', '/micropub', '/indieauth', '/api/', '/webmention']) expect(disallowed).toContain(path)
    // Robots rules are prefixes: /admin covers the console at /admin/console.
    expect(disallowed.some((prefix) => '/admin/console/'.startsWith(prefix))).toBe(true)
    // Nothing public is shut out.
    for (const path of ['/', '/notes/x', '/tags/x', '/feed.rss', '/media/x.jpg', '/search']) expect(disallowed.some((prefix) => path.startsWith(prefix))).toBe(false)
    expect(lines).toContain(`Sitemap: ${SITE}/sitemap.xml`)
    const etag = res.headers.get('etag')!
    expect((await fetch(`${ts.url}/robots.txt`, { headers: { 'if-none-match': etag } })).status).toBe(304)
  })
})
