import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import exifr from 'exifr'
import { DomUtils, parseDocument } from 'htmlparser2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { colourAt, EMPTY_ZIP, heicFrom, isBlue, isRed, leaks, pngClaiming, PRIVATE, readTags, sidewaysPhoto, uprightPicture, writePrivateTags } from '../images/testing'

// Proof that nothing a phone writes into a photo is ever published: a JPEG and a HEIC carrying GPS, camera
// serials, capture time and an Orientation go in by all three routes (Micropub multipart, the media endpoint
// and the admin note form), and every file the server then serves for them is fetched over HTTP and read by
// two independent readers (exiftool and exifr).

let ts: TestServer
let token: string
let fixtures: string
let jpeg: string
let heic: string
let bomb: string

beforeAll(async () => {
  fixtures = mkdtempSync(join(tmpdir(), 'starpunk-privacy-'))
  jpeg = join(fixtures, 'IMG_0001.JPG')
  // Upright 1400 × 1000, red above blue, stored turned a quarter with EXIF Orientation 6.
  await sidewaysPhoto(jpeg, 1400, 1000)
  const png = join(fixtures, 'upright.png')
  await uprightPicture(png, 1400, 1000, 'png')
  heic = join(fixtures, 'IMG_0002.HEIC')
  await heicFrom(png, heic)
  await writePrivateTags(heic, { orientation: 6, iptc: false })
  bomb = join(fixtures, 'bomb.png')
  await pngClaiming(bomb, 100_000, 100_000)
  ts = await startTestServer()
  ;({ token } = await ts.server.context.tokens.createPersonal({ name: 'privacy', scopes: ['create', 'media'], expiresAt: null }))
})
afterAll(async () => {
  await ts.close()
  rmSync(fixtures, { recursive: true, force: true })
})

const auth = () => ({ authorization: `Bearer ${token}` })
const blob = (path: string, type: string) => new Blob([new Uint8Array(readFileSync(path))], { type })
const mediaRows = () => (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM media').get() as { n: number }).n
const variantRows = () => (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM media_variants').get() as { n: number }).n
const mediaFiles = () => readdirSync(ts.server.context.config.mediaDir).sort()

/** The page's <img> elements, parsed by a real HTML parser. */
const images = (html: string) => DomUtils.getElementsByTagName('img', parseDocument(html))

/** Every URL a page's <img> elements point at: src and each srcset candidate. */
function imageUrls(html: string): string[] {
  const urls = new Set<string>()
  for (const img of images(html)) {
    if (img.attribs.src) urls.add(img.attribs.src)
    for (const candidate of (img.attribs.srcset ?? '').split(',')) {
      const url = candidate.trim().split(/\s+/)[0]
      if (url) urls.add(url)
    }
  }
  return [...urls]
}

/** Fetch a served file over HTTP, and check it with exiftool and exifr: nothing private, upright. */
async function expectClean(url: string): Promise<void> {
  const res = await fetch(url)
  expect(res.status, url).toBe(200)
  expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
  const file = join(fixtures, `served-${Math.random().toString(36).slice(2)}`)
  writeFileSync(file, Buffer.from(await res.arrayBuffer()))
  const tags = await readTags(file)
  expect(leaks(tags), url).toEqual([])
  expect(await exifr.gps(file), url).toBeUndefined()
  const parsed = ((await exifr.parse(file, { tiff: true, exif: true, gps: true, xmp: true, iptc: true, makerNote: true })) ?? {}) as Record<string, unknown>
  for (const key of ['latitude', 'longitude', 'GPSLatitude', 'SerialNumber', 'BodySerialNumber', 'LensSerialNumber', 'DateTimeOriginal', 'CreateDate', 'Orientation']) {
    expect(parsed[key], `${url} ${key}`).toBeUndefined()
  }
  expect(JSON.stringify(parsed)).not.toContain(PRIVATE.serial)
  // Upright: landscape, red on top, blue below (the sideways JPEG was turned by its Orientation).
  const width = Number(tags['File:ImageWidth'])
  const height = Number(tags['File:ImageHeight'])
  expect(width, url).toBeGreaterThan(height)
  expect(isRed(await colourAt(file, Math.floor(width / 2), Math.floor(height * 0.1))), `${url} top`).toBe(true)
  expect(isBlue(await colourAt(file, Math.floor(width / 2), Math.floor(height * 0.9))), `${url} bottom`).toBe(true)
}

describe('privacy: what a phone writes never reaches a reader', () => {
  it('the fixtures really carry GPS, a serial, a capture time and an Orientation', async () => {
    for (const file of [jpeg, heic]) {
      const tags = await readTags(file)
      expect(tags['EXIF:SerialNumber']).toBe(PRIVATE.serial)
      expect(tags['EXIF:DateTimeOriginal']).toBe(PRIVATE.taken)
      expect(tags['EXIF:Orientation']).toBe(6)
      expect((await exifr.gps(file))?.latitude).toBeCloseTo(PRIVATE.latitude, 3)
    }
  })

  it('multipart /micropub with photo[] (a JPEG and a HEIC, alt for each): every served variant is clean and upright', async () => {
    const form = new FormData()
    form.append('h', 'entry')
    form.append('content', 'Two photos from the phone')
    form.append('photo[]', blob(jpeg, 'image/jpeg'), 'IMG_0001.JPG')
    form.append('photo[]', blob(heic, 'image/heic'), 'IMG_0002.HEIC')
    form.append('mp-photo-alt[]', 'A red sky over blue water')
    form.append('mp-photo-alt[]', 'The same, from an iPhone')
    const res = await fetch(`${ts.url}/micropub`, { method: 'POST', headers: auth(), body: form })
    expect(res.status, await res.clone().text()).toBe(201)
    const page = await (await fetch(res.headers.get('location')!)).text()
    const urls = imageUrls(page)
    // Two uploads, four files each (320, 640, 1024 and the largest), every one of them on the page.
    expect(urls).toHaveLength(8)
    expect(urls.filter((u) => u.endsWith('.jpg'))).toHaveLength(8)
    for (const url of urls) await expectClean(url)
    const imgs = images(page)
    expect(imgs.map((img) => img.attribs.alt)).toEqual(['A red sky over blue water', 'The same, from an iPhone'])
    // Nothing kept as it arrived (STARPUNK_KEEP_ORIGINALS is off), no temp file left.
    expect(existsSync(join(ts.dataDir, 'originals'))).toBe(false)
    expect(mediaFiles().filter((name) => name.startsWith('.'))).toEqual([])
  })

  it('multipart /micropub with a single photo field and /micropub/media: every served variant is clean and upright', async () => {
    for (const [path, type] of [
      [jpeg, 'image/jpeg'],
      [heic, 'image/heic'],
    ] as const) {
      const single = new FormData()
      single.append('content', 'one photo')
      single.append('photo', blob(path, type), 'photo')
      const created = await fetch(`${ts.url}/micropub`, { method: 'POST', headers: auth(), body: single })
      expect(created.status).toBe(201)
      for (const url of imageUrls(await (await fetch(created.headers.get('location')!)).text())) await expectClean(url)

      const upload = new FormData()
      upload.append('file', blob(path, type), basename(path))
      const res = await fetch(`${ts.url}/micropub/media`, { method: 'POST', headers: auth(), body: upload })
      expect(res.status, await res.clone().text()).toBe(201)
      const location = res.headers.get('location')!
      expect(location).toMatch(/\/media\/[0-9a-f-]{36}\.jpg$/)
      const name = location.split('/').pop()!
      const stored = (await ts.server.context.media.describe([name])).get(name)!
      expect(stored.variants.map((v) => v.width)).toEqual([320, 640, 1024, 1400])
      expect(stored).toMatchObject({ mime: 'image/jpeg', width: 1400, height: 1000 })
      for (const variant of stored.variants) await expectClean(variant.url)
    }
  })
})

describe('privacy through the admin note form', () => {
  it('a JPEG and a HEIC posted with the note form (multipart, session + CSRF in the query): every served variant is clean and upright', async () => {
    const admin = await loginAsAdmin(ts)
    const form = new FormData()
    form.append('content', 'Photos from the admin')
    form.append('slug', 'admin-privacy')
    form.append('published', '1')
    for (const alt of ['Sideways JPEG, now upright', 'iPhone HEIC']) {
      form.append('photo_item', 'new')
      form.append('photo_alt', alt)
      form.append('photo_position', '')
    }
    form.append('photo', blob(jpeg, 'image/jpeg'), 'IMG_0001.JPG')
    form.append('photo', blob(heic, 'image/heic'), 'IMG_0002.HEIC')
    const res = await fetch(`${ts.url}/admin/notes?_csrf=${encodeURIComponent(admin.csrfToken)}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { accept: 'text/html', cookie: admin.cookie },
      body: form,
    })
    expect(res.status, await res.clone().text()).toBe(303)
    const note = await ts.server.context.notes.get('admin-privacy')
    const photos = (note?.properties.photo ?? []) as Array<{ value: string; alt: string }>
    expect(photos.map((p) => p.alt)).toEqual(['Sideways JPEG, now upright', 'iPhone HEIC'])
    // Both stored as JPEG (the HEIC converted), each with all its variants; every one fetched and read.
    const names = photos.map((p) => new URL(p.value).pathname.split('/').pop()!)
    for (const name of names) expect(name).toMatch(/^[0-9a-f-]{36}\.jpg$/)
    const described = await ts.server.context.media.describe(names)
    const variantUrls = names.flatMap((name) => described.get(name)!.variants.map((v) => v.url))
    expect(variantUrls).toHaveLength(8)
    for (const url of variantUrls) await expectClean(url)
    // The public page links exactly those files.
    const page = await (await fetch(`${ts.url}/notes/admin-privacy`)).text()
    expect(imageUrls(page).sort()).toEqual([...variantUrls].sort())
    expect(mediaFiles().filter((name) => name.startsWith('.'))).toEqual([])
  })
})

describe('bad input leaves nothing behind', () => {
  it.each([
    ['zero bytes', Buffer.alloc(0), 400, 'IMAGE_EMPTY'],
    ['a truncated JPEG', () => readFileSync(jpeg).subarray(0, 3000), 400, 'IMAGE_CORRUPT'],
    ['a text file', Buffer.from('just words\n'), 415, 'IMAGE_UNSUPPORTED'],
    ['a decompression bomb (a tiny PNG claiming 100000 × 100000)', () => readFileSync(bomb), 413, 'IMAGE_TOO_LARGE'],
    ['a polyglot (a JPEG that is also a ZIP)', () => Buffer.concat([readFileSync(jpeg), EMPTY_ZIP]), 400, 'IMAGE_POLYGLOT'],
  ] as const)('%s on /micropub/media: a 4xx with the catalog code and troubleshooting, no file, no row', async (_name, bytes, status, code) => {
    const rows = mediaRows()
    const files = mediaFiles()
    const form = new FormData()
    const data = typeof bytes === 'function' ? bytes() : bytes
    form.append('file', new Blob([new Uint8Array(data)], { type: 'application/octet-stream' }), 'upload')
    const res = await fetch(`${ts.url}/micropub/media`, { method: 'POST', headers: auth(), body: form })
    expect(res.status).toBe(status)
    const body = (await res.json()) as Record<string, unknown>
    expect(body.code).toBe(code)
    expect(Array.isArray(body.troubleshooting)).toBe(true)
    expect(body.request_id).toBe(res.headers.get('x-request-id'))
    expect(mediaRows()).toBe(rows)
    expect(mediaFiles()).toEqual(files)
  })

  it('a post whose second photo is refused keeps neither photo nor post: no file, no row', async () => {
    const rows = mediaRows()
    const variants = variantRows()
    const files = mediaFiles()
    const notes = (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n
    const form = new FormData()
    form.append('content', 'one good, one bad')
    form.append('photo[]', blob(jpeg, 'image/jpeg'), 'good.jpg')
    form.append('photo[]', new Blob([new Uint8Array(readFileSync(jpeg).subarray(0, 2000))], { type: 'image/jpeg' }), 'bad.jpg')
    const res = await fetch(`${ts.url}/micropub`, { method: 'POST', headers: auth(), body: form })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { code: string }).code).toBe('IMAGE_CORRUPT')
    expect(mediaRows()).toBe(rows)
    expect(variantRows()).toBe(variants)
    expect(mediaFiles()).toEqual(files)
    expect((ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n).toBe(notes)
  })
})

describe('STARPUNK_KEEP_ORIGINALS', () => {
  it('keeps the upload as it arrived in <data dir>/originals, which no URL serves', async () => {
    const kept = await startTestServer({ STARPUNK_KEEP_ORIGINALS: 'true' })
    try {
      const { token: t } = await kept.server.context.tokens.createPersonal({ name: 'k', scopes: ['media'], expiresAt: null })
      const form = new FormData()
      form.append('file', blob(heic, 'image/heic'), 'IMG.HEIC')
      const res = await fetch(`${kept.url}/micropub/media`, { method: 'POST', headers: { authorization: `Bearer ${t}` }, body: form })
      expect(res.status).toBe(201)
      const base = res.headers.get('location')!.split('/').pop()!.replace(/\.jpg$/, '')
      const originals = readdirSync(join(kept.dataDir, 'originals'))
      expect(originals).toEqual([`${base}.heic`])
      // The original is the author's own copy, metadata and all...
      expect((await readTags(join(kept.dataDir, 'originals', originals[0]!)))['EXIF:SerialNumber']).toBe(PRIVATE.serial)
      // ...and nothing answers for it.
      for (const path of [`/media/${base}.heic`, `/originals/${base}.heic`, `/media/..%2Foriginals%2F${base}.heic`]) {
        expect((await fetch(kept.url + path)).status, path).toBe(404)
      }
    } finally {
      await kept.close()
    }
  })
})

describe('uploads from before the image pipeline', () => {
  /** An upload as older versions stored it: the camera's bytes under <uuid>.jpg, a row without variants. */
  function oldUpload(server: TestServer, name: string, source: string): void {
    const bytes = readFileSync(source)
    writeFileSync(join(server.server.context.config.mediaDir, name), bytes)
    server.server.context.db.writer
      .prepare("INSERT INTO media (filename, mime, size, created_at) VALUES (?, 'image/jpeg', ?, '2023-01-01T00:00:00Z')")
      .run(name, bytes.length)
  }

  it('one not yet reprocessed is cleaned on its first request, under its old URL; npm run reprocess-media does the rest', async () => {
    const first = '0a1b2c3d-0000-4000-8000-00000000000a.jpg'
    const second = '0a1b2c3d-0000-4000-8000-00000000000b.jpg'
    oldUpload(ts, first, jpeg)
    oldUpload(ts, second, jpeg)
    await expectClean(`${ts.url}/media/${first}`)
    const stored = (await ts.server.context.media.describe([first])).get(first)!
    expect(stored.variants.map((v) => v.width)).toEqual([320, 640, 1024, 1400])
    for (const variant of stored.variants) await expectClean(variant.url)

    const progress = await ts.server.context.media.reprocessAll()
    expect(progress).toEqual({ done: 1, total: 1, refused: 0, failed: 0 })
    expect(leaks(await readTags(join(ts.server.context.config.mediaDir, second)))).toEqual([])
    await expectClean(`${ts.url}/media/${second}`)
  })

  it('an old upload the pipeline refuses is never served', async () => {
    const name = '0a1b2c3d-0000-4000-8000-00000000000c.jpg'
    writeFileSync(join(ts.server.context.config.mediaDir, name), readFileSync(jpeg).subarray(0, 2000))
    ts.server.context.db.writer.prepare("INSERT INTO media (filename, mime, size, created_at) VALUES (?, 'image/jpeg', 2000, '2023-01-01T00:00:00Z')").run(name)
    expect((await fetch(`${ts.url}/media/${name}`)).status).toBe(404)
    expect((ts.server.context.db.writer.prepare('SELECT refused FROM media WHERE filename = ?').get(name) as { refused: string }).refused).toBe('IMAGE_CORRUPT')
    expect((await fetch(`${ts.url}/media/${name}`)).status).toBe(404)
  })

  it('at start-up: old uploads are reprocessed in the background with progress in the log; crash leftovers are removed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-reprocess-'))
    try {
      // A first run creates the schema; then an old upload, a half-written temp file and a variant without a row.
      const setup = await startTestServer({}, { dataDir })
      const name = '0a1b2c3d-0000-4000-8000-00000000000d.jpg'
      oldUpload(setup, name, jpeg)
      await setup.close()
      const mediaDir = join(dataDir, 'media')
      mkdirSync(mediaDir, { recursive: true })
      writeFileSync(join(mediaDir, '.image-00000000deadbeef.tmp'), 'half')
      writeFileSync(join(mediaDir, '.upload-1234.tmp'), 'half')
      writeFileSync(join(mediaDir, '0a1b2c3d-0000-4000-8000-00000000000e-640.jpg'), 'orphan')

      const restarted = await startTestServer({}, { dataDir })
      try {
        expect(readdirSync(mediaDir).filter((f) => f.startsWith('.') || f.includes('00000000000e'))).toEqual([])
        await expect
          .poll(() => restarted.lines.some((line) => line.includes('reprocessing uploads') && line.includes('"done":1') && line.includes('"total":1')), { timeout: 60_000 })
          .toBe(true)
        expect(leaks(await readTags(join(mediaDir, name)))).toEqual([])
        await expectClean(`${restarted.url}/media/${name}`)
        // Readiness (and so the console) says how far it got.
        const report = await restarted.server.context.health.readiness(true)
        expect(report.checks?.['media:reprocess']?.[0]).toMatchObject({ status: 'pass', observedValue: 0, output: 'Uploads from before the image pipeline: all 1 processed.' })
      } finally {
        await restarted.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
