import { DomUtils, parseDocument } from 'htmlparser2'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import type { StoredMedia } from '../media'
import { validateHtml } from './html-check'

// Link previews: OpenGraph and Twitter-card tags read back from real pages of a real server.

/** Every <meta property|name=...> of the page's head, by its key (repeated keys keep the first). */
function previewTags(html: string): Record<string, string> {
  const tags: Record<string, string> = {}
  for (const meta of DomUtils.getElementsByTagName('meta', parseDocument(html))) {
    const key = meta.attribs.property ?? meta.attribs.name
    if (key && (key.startsWith('og:') || key.startsWith('twitter:') || key.startsWith('article:')) && !(key in tags)) tags[key] = meta.attribs.content ?? ''
  }
  return tags
}

const page = async (url: string) => (await fetch(url, { headers: { accept: 'text/html' } })).text()

describe('with an author photo (an outside URL)', () => {
  let ts: TestServer
  let photo: StoredMedia
  let photoNote: string
  let textNote: string

  beforeAll(async () => {
    ts = await startTestServer({ STARPUNK_AUTHOR_NAME: 'Ada', STARPUNK_AUTHOR_PHOTO: 'https://photos.example/ada.jpg', STARPUNK_SITE_NAME: 'Engine Notes' })
    const { media, micropub } = ts.server.context
    const temp = media.tempPath()
    await sharp({ create: { width: 1400, height: 700, channels: 3, background: '#c33' } }).jpeg().toFile(temp)
    photo = await media.storeTempFile(temp, { declaredType: 'image/jpeg', declaredName: 'red.jpg' })
    photoNote = (await micropub.create('entry', { content: ['A red field at dusk'], photo: [{ value: photo.url, alt: 'A red field' }] }, {})).location
    textNote = (await micropub.create('entry', { content: ['Only words here, about the analytical engine.'] }, {})).location
  })
  afterAll(() => ts.close())

  it("a photo note's preview is an article with its first photo (largest variant, its size and alt) on a large card", async () => {
    const html = await page(photoNote)
    const tags = previewTags(html)
    const largest = photo.variants[photo.variants.length - 1]!
    expect(tags['og:type']).toBe('article')
    expect(tags['og:image']).toBe(largest.url)
    expect([tags['og:image:width'], tags['og:image:height']]).toEqual([String(largest.width), String(largest.height)])
    expect(tags['og:image:alt']).toBe('A red field')
    expect(tags['twitter:card']).toBe('summary_large_image')
    expect(tags['twitter:image']).toBe(largest.url)
    expect(tags['og:url']).toBe(photoNote)
    expect(tags['og:title']).toBe('A red field at dusk')
    expect(tags['og:description']).toBe('A red field at dusk')
    expect(tags['og:site_name']).toBe('Engine Notes')
    expect(tags['article:published_time']).toMatch(/^\d{4}-\d\d-\d\dT/)
    // The image really is served from that absolute URL.
    const served = await fetch(tags['og:image']!)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('image/jpeg')
    expect(await validateHtml(html)).toEqual([])
  })

  it("a note without a photo falls back to the author's photo on a small card", async () => {
    const tags = previewTags(await page(textNote))
    expect(tags['og:type']).toBe('article')
    expect(tags['og:image']).toBe('https://photos.example/ada.jpg')
    expect(tags['og:image:alt']).toBe('Ada')
    expect(tags['twitter:card']).toBe('summary')
    expect(tags['og:description']).toBe('Only words here, about the analytical engine.')
  })

  it('the home and tag pages are websites with the author photo, and every URL in the tags is absolute', async () => {
    for (const path of ['/', '/?page=1']) {
      const tags = previewTags(await page(`${ts.url}${path}`))
      expect(tags['og:type']).toBe('website')
      expect(tags['og:url']).toBe(`${ts.url}/`)
      expect(tags['og:image']).toBe('https://photos.example/ada.jpg')
      expect(tags['og:title']).toBe('Engine Notes')
      for (const key of ['og:url', 'og:image', 'twitter:image']) expect(new URL(tags[key]!).protocol).toMatch(/^https?:$/)
    }
  })

  it('search pages (noindex) and error pages carry no preview tags', async () => {
    expect(previewTags(await page(`${ts.url}/search?q=engine`))).toEqual({})
    expect(previewTags(await page(`${ts.url}/notes/nothing-here`))).toEqual({})
  })
})

describe('without an author photo', () => {
  let ts: TestServer
  beforeAll(async () => {
    ts = await startTestServer({ STARPUNK_SITE_URL: 'https://blog.example' })
    await ts.server.context.notes.create({ content: 'Words' })
  })
  afterAll(() => ts.close())

  it('the preview shows the 512 px site icon, under the configured site URL, and that icon is served', async () => {
    const tags = previewTags(await page(`${ts.url}/notes/words`))
    expect(tags['og:image']).toBe('https://blog.example/icons/icon-512.png')
    expect(tags['og:url']).toBe('https://blog.example/notes/words')
    expect([tags['og:image:width'], tags['og:image:height']]).toEqual(['512', '512'])
    const icon = await fetch(`${ts.url}${new URL(tags['og:image']!).pathname}`)
    expect(icon.status).toBe(200)
    const meta = await sharp(Buffer.from(await icon.arrayBuffer())).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 512, 512])
  })
})
