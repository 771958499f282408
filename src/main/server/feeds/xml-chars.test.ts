import { execFileSync } from 'node:child_process'
import { parseFeed } from '@rowanmanning/feed-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// Characters XML 1.0 forbids (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF, a lone surrogate), which a
// Micropub client can send in JSON strings.
const FORBIDDEN = '\u0001\u0002\u0007\u0008\u000b\u000c\u001b\u001f\ufffe\uffff\ud800'

/** The strictest parser at hand: libxml2 without recovery. Returns its complaints ('' when well-formed). */
function xmllintErrors(xml: string): string {
  try {
    execFileSync('/usr/bin/xmllint', ['--noout', '--nonet', '-'], { input: xml, stdio: ['pipe', 'pipe', 'pipe'] })
    return ''
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err)
    return stderr || 'xmllint failed'
  }
}

describe('feeds stay well-formed XML whatever characters a note carries', () => {
  let ts: TestServer

  beforeAll(async () => {
    ts = await startTestServer({ STARPUNK_SITE_URL: 'https://notes.example.org' })
    const { token } = await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create'], expiresAt: null })
    const res = await fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: ['h-entry'],
        properties: {
          name: [`Bell${FORBIDDEN}name`],
          content: [`Body${FORBIDDEN}text`],
          // Tags refuse control characters outright; the non-characters and a lone surrogate get through.
          category: [`tag\ufffe\uffff\ud800x`],
          photo: [{ value: 'https://photos.example.com/a.jpg', alt: `Alt${FORBIDDEN}text` }],
        },
      }),
    })
    expect(res.status, await res.text()).toBe(201)
  })
  afterAll(async () => {
    await ts.close()
  })

  it('the strict parser does reject such characters (the check can fail)', () => {
    expect(xmllintErrors('<?xml version="1.0"?><a>x\u0001y</a>')).not.toBe('')
    expect(xmllintErrors('<?xml version="1.0"?><a>xy</a>')).toBe('')
  })

  it.each(['/feed.rss', '/feed.atom', '/opml.xml'])('%s parses with a strict XML parser and keeps the readable text', async (path) => {
    const res = await fetch(ts.url + path)
    expect(res.status).toBe(200)
    const xml = await res.text()
    expect(xmllintErrors(xml)).toBe('')
    if (path === '/opml.xml') return
    const item = parseFeed(xml).items[0]!
    expect(item.title).toBe('Bellname')
    // The HTML parser of the sanitiser already turns non-characters into U+FFFD, which XML allows.
    expect(item.content ?? item.description).toMatch(/Body\ufffd*text/)
    expect(item.content ?? item.description).toContain('alt="Alttext"')
  })

  it('the page and the JSON feed show the name and alt text without the control characters', async () => {
    const feed = (await (await fetch(`${ts.url}/feed.json`)).json()) as { items: Array<{ title?: string; content_html: string }> }
    expect(feed.items[0]!.title).toBe('Bellname')
    expect(feed.items[0]!.content_html).toContain('alt="Alttext"')
  })
})
