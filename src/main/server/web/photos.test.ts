import { readFileSync } from 'node:fs'
import { parseFeed } from '@rowanmanning/feed-parser'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { DomUtils, parseDocument } from 'htmlparser2'
import jsonFeedSchema from 'jsonfeed-schema'
import { mf2 } from 'microformats-parser'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import type { StoredMedia } from '../media'
import { validateHtml } from './html-check'

// Serving photos: pages carry srcset/sizes/width/height from the variants the pipeline made, lazy loading
// after the first image, u-photo on the largest; feeds carry enclosures with the served files' real sizes.

let ts: TestServer
let first: StoredMedia
let second: StoredMedia
let inline: StoredMedia
let pairUrl: string
let inlineUrl: string
let onlyUrl: string

async function upload(width: number, height: number, colour: string): Promise<StoredMedia> {
  const { media } = ts.server.context
  const temp = media.tempPath()
  await sharp({ create: { width, height, channels: 3, background: colour } }).jpeg().toFile(temp)
  return media.storeTempFile(temp, { declaredType: 'image/jpeg', declaredName: 'photo.jpg' })
}

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_AUTHOR_NAME: 'Ada' })
  first = await upload(1200, 900, '#c33')
  second = await upload(900, 1200, '#3c3')
  inline = await upload(800, 600, '#33c')
  const { micropub } = ts.server.context
  inlineUrl = (await micropub.create('entry', { content: [`Look: ![A blue square](${inline.url})`] }, {})).location
  pairUrl = (
    await micropub.create(
      'entry',
      {
        content: ['Two photos'],
        photo: [
          { value: first.url, alt: 'Red field' },
          { value: second.url, alt: 'Green field' },
        ],
      },
      {},
    )
  ).location
  onlyUrl = (await micropub.create('entry', { photo: [first.url] }, { 'mp-photo-alt': ['Only a photo'] })).location
})
afterAll(async () => {
  await ts.close()
})

const page = async (url: string) => (await fetch(url)).text()
const images = (html: string) => DomUtils.getElementsByTagName('img', parseDocument(html))
const srcsetOf = (media: StoredMedia) => media.variants.map((v) => `${v.url} ${v.width}w`).join(', ')

describe('photos on pages', () => {
  it('every image of ours has srcset from its variants, sizes, the largest as src with its width and height, and its alt', async () => {
    expect(first.variants.map((v) => v.width)).toEqual([320, 640, 1024, 1200])
    const html = await page(pairUrl)
    const imgs = images(html)
    expect(imgs.map((img) => img.attribs.alt)).toEqual(['Red field', 'Green field'])
    for (const [img, media] of [
      [imgs[0]!, first],
      [imgs[1]!, second],
    ] as const) {
      const largest = media.variants[media.variants.length - 1]!
      expect(img.attribs.src).toBe(largest.url)
      expect(img.attribs.srcset).toBe(srcsetOf(media))
      expect(img.attribs.sizes).toMatch(/vw/)
      expect([img.attribs.width, img.attribs.height]).toEqual([String(largest.width), String(largest.height)])
    }
    // Every URL in a srcset is really served, with the type and size the row says.
    for (const variant of second.variants) {
      const res = await fetch(variant.url)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/jpeg')
      expect(Number(res.headers.get('content-length'))).toBe(variant.bytes)
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata()
      expect([meta.width, meta.height]).toEqual([variant.width, variant.height])
    }
  })

  it('2–4 photos are a grid; u-photo is the largest variant, with its alt, for mf2 readers', async () => {
    const html = await page(pairUrl)
    const grids = DomUtils.getElementsByTagName('div', parseDocument(html)).filter((div) => (div.attribs.class ?? '').split(' ').includes('photo-grid'))
    expect(grids).toHaveLength(1)
    expect(grids[0]!.attribs.class).toContain('photos-2')
    expect(DomUtils.getElementsByTagName('img', grids[0]!)).toHaveLength(2)
    const entry = mf2(html, { baseUrl: pairUrl }).items.find((item) => item.type?.includes('h-entry'))!
    expect(entry.properties.photo).toEqual([
      { value: first.url, alt: 'Red field' },
      { value: second.url, alt: 'Green field' },
    ])
    // The stylesheet lays the grid out in two columns (phones included: no media query turns it off).
    const css = await page(`${ts.url}${/href="([^"]*\.css[^"]*)"/.exec(html)![1]!}`)
    expect(css).toMatch(/\.photo-grid \{[^}]*grid-template-columns: repeat\(2/)
  })

  it('an image in the Markdown is made responsive too; a photo-only post shows its photo with the sent alt', async () => {
    const img = images(await page(inlineUrl))[0]!
    expect(img.attribs).toMatchObject({ src: inline.url, srcset: srcsetOf(inline), alt: 'A blue square', width: '800', height: '600' })
    const only = await page(onlyUrl)
    expect(images(only).map((i) => i.attribs.alt)).toEqual(['Only a photo'])
    const entry = mf2(only, { baseUrl: onlyUrl }).items.find((item) => item.type?.includes('h-entry'))!
    expect(entry.properties.photo).toEqual([{ value: first.url, alt: 'Only a photo' }])
  })

  it('only the first image of the page loads eagerly; every later one is lazy', async () => {
    const home = images(await page(`${ts.url}/`))
    // Newest first: the photo-only post, the pair, the inline one.
    expect(home.map((img) => img.attribs.alt)).toEqual(['Only a photo', 'Red field', 'Green field', 'A blue square'])
    expect(home.map((img) => img.attribs.loading ?? null)).toEqual([null, 'lazy', 'lazy', 'lazy'])
    const single = images(await page(pairUrl))
    expect(single.map((img) => img.attribs.loading ?? null)).toEqual([null, 'lazy'])
  })

  it('pages with responsive photos, a grid and a photo-only post are valid HTML', async () => {
    for (const url of [`${ts.url}/`, pairUrl, inlineUrl, onlyUrl]) expect(await validateHtml(await page(url)), url).toEqual([])
  })
})

describe('photos in feeds', () => {
  it('RSS: one enclosure and a Media RSS media:content per photo, with the served bytes and type', async () => {
    const body = await page(`${ts.url}/feed.rss`)
    expect(body).toContain('xmlns:media="http://search.yahoo.com/mrss/"')
    const item = parseFeed(body).items.find((i) => i.url === pairUrl)!
    expect(item.media.map((m) => [m.url, m.length, m.mimeType])).toEqual([
      [first.url, first.size, 'image/jpeg'],
      [second.url, second.size, 'image/jpeg'],
    ])
    expect(body.match(new RegExp(`<enclosure url="${first.url}" length="${first.size}" type="image/jpeg"/>`, 'g'))).toHaveLength(2)
    expect(body).toContain(`<media:content url="${second.url}" type="image/jpeg" fileSize="${second.size}" medium="image" width="900" height="1200">`)
    // The size an enclosure states is the size served.
    expect(Number((await fetch(first.url)).headers.get('content-length'))).toBe(first.size)
  })

  it('Atom: link rel="enclosure" per photo with length and type', async () => {
    const item = parseFeed(await page(`${ts.url}/feed.atom`)).items.find((i) => i.url === pairUrl)!
    expect(item.media.map((m) => [m.url, m.length, m.mimeType, m.title])).toEqual([
      [first.url, first.size, 'image/jpeg', 'Red field'],
      [second.url, second.size, 'image/jpeg', 'Green field'],
    ])
  })

  it('JSON Feed: image and attachments with size_in_bytes and mime_type, valid against the schema', async () => {
    const feed = JSON.parse(await page(`${ts.url}/feed.json`)) as { items: Array<Record<string, unknown>> }
    const ajv = new Ajv({ strict: false, allErrors: true })
    // ajv-formats is CommonJS: its function is the default export's default under Node's ESM interop.
    ;(addFormats as unknown as { default: (ajv: Ajv) => Ajv }).default(ajv)
    const validate = ajv.compile(jsonFeedSchema)
    expect(validate(feed), JSON.stringify(validate.errors)).toBe(true)
    const item = feed.items.find((i) => i.url === pairUrl)!
    expect(item.image).toBe(first.url)
    expect(item.attachments).toEqual([
      { url: first.url, mime_type: 'image/jpeg', size_in_bytes: first.size, title: 'Red field' },
      { url: second.url, mime_type: 'image/jpeg', size_in_bytes: second.size, title: 'Green field' },
    ])
    const only = feed.items.find((i) => i.url === onlyUrl)!
    expect(only.content_html).toBe(`<p><img src="${first.url}" alt="Only a photo" width="1200" height="900" /></p>`)
    expect(readFileSync(`${ts.server.context.config.mediaDir}/${first.filename}`).length).toBe(first.size)
  })
})
