import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// The site icon from a real server: a valid ICO of PNGs, PNG icons at their sizes, ETag/304, the built-in
// icon by default and the author's photo once the profile has one (a new set, new ETags).

interface IcoEntry {
  width: number
  height: number
  bitCount: number
  bytes: number
  offset: number
}

/** Read an ICO file's directory, checking its header and that every entry lies inside the file. */
function readIco(file: Buffer): { entries: IcoEntry[]; images: Buffer[] } {
  expect(file.readUInt16LE(0)).toBe(0) // reserved
  expect(file.readUInt16LE(2)).toBe(1) // type: icon
  const count = file.readUInt16LE(4)
  const entries: IcoEntry[] = []
  for (let i = 0; i < count; i++) {
    const at = 6 + 16 * i
    entries.push({
      width: file.readUInt8(at) || 256,
      height: file.readUInt8(at + 1) || 256,
      bitCount: file.readUInt16LE(at + 6),
      bytes: file.readUInt32LE(at + 8),
      offset: file.readUInt32LE(at + 12),
    })
    expect(file.readUInt16LE(at + 4)).toBe(1) // planes
  }
  let end = 6 + 16 * count
  for (const entry of entries) {
    expect(entry.offset).toBe(end) // images follow the directory, back to back
    end += entry.bytes
  }
  expect(end).toBe(file.length)
  return { entries, images: entries.map((e) => file.subarray(e.offset, e.offset + e.bytes)) }
}

const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer())

/** The mean colour of an image, as [r, g, b]. */
async function meanColour(png: Buffer): Promise<number[]> {
  const stats = await sharp(png).stats()
  return stats.channels.slice(0, 3).map((c) => Math.round(c.mean))
}

let ts: TestServer
let admin: AdminLogin
beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_SITE_NAME: 'Engine Notes' })
  admin = await loginAsAdmin(ts)
})
afterAll(() => ts.close())

describe('the built-in icon', () => {
  it('/favicon.ico is an ICO of 16, 32 and 48 px PNGs that decode at their sizes', async () => {
    const res = await fetch(`${ts.url}/favicon.ico`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/x-icon')
    const { entries, images } = readIco(await bytesOf(res))
    expect(entries.map((e) => [e.width, e.height, e.bitCount])).toEqual([
      [16, 16, 32],
      [32, 32, 32],
      [48, 48, 32],
    ])
    for (const [index, image] of images.entries()) {
      expect(image.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
      const meta = await sharp(image).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['png', entries[index]!.width, entries[index]!.height])
    }
  })

  it.each([
    ['/icons/icon-32.png', 32],
    ['/icons/icon-192.png', 192],
    ['/icons/icon-512.png', 512],
    ['/apple-touch-icon.png', 180],
    ['/apple-touch-icon-precomposed.png', 180],
  ])('%s is a %i px PNG, answered 304 to its ETag', async (path, size) => {
    const res = await fetch(`${ts.url}${path}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    const body = await bytesOf(res)
    expect(Number(res.headers.get('content-length'))).toBe(body.length)
    const meta = await sharp(body).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['png', size, size])
    const etag = res.headers.get('etag')
    expect(etag).toMatch(/^"[\w-]+"$/)
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+/)
    const again = await fetch(`${ts.url}${path}`, { headers: { 'if-none-match': etag! } })
    expect(again.status).toBe(304)
    expect((await again.arrayBuffer()).byteLength).toBe(0)
    const head = await fetch(`${ts.url}${path}`, { method: 'HEAD' })
    expect([head.status, head.headers.get('etag')]).toEqual([200, etag])
  })

  it('the apple-touch icon is opaque (iOS would paint transparency black); the others keep their transparency', async () => {
    const apple = await sharp(await bytesOf(await fetch(`${ts.url}/apple-touch-icon.png`))).stats()
    expect(apple.isOpaque).toBe(true)
    const icon = await sharp(await bytesOf(await fetch(`${ts.url}/icons/icon-192.png`))).stats()
    expect(icon.isOpaque).toBe(false)
  })

  it('the web manifest names the site and lists icons that are served', async () => {
    const res = await fetch(`${ts.url}/manifest.webmanifest`)
    expect(res.headers.get('content-type')).toBe('application/manifest+json; charset=utf-8')
    const manifest = (await res.json()) as { name: string; start_url: string; icons: Array<{ src: string; sizes: string; type: string }> }
    expect(manifest.name).toBe('Engine Notes')
    expect(manifest.start_url).toBe('/')
    expect(manifest.icons.map((i) => i.sizes)).toEqual(['192x192', '512x512'])
    for (const icon of manifest.icons) {
      const meta = await sharp(await bytesOf(await fetch(`${ts.url}${icon.src}`))).metadata()
      expect(`${meta.width}x${meta.height}`).toBe(icon.sizes)
    }
  })

  it('every public page and the admin link the icons', async () => {
    for (const path of ['/', '/search?q=x', '/admin/login', '/notes/missing']) {
      const html = await (await fetch(`${ts.url}${path}`, { headers: { accept: 'text/html' } })).text()
      expect(html).toContain('<link rel="icon" href="/favicon.ico"')
      expect(html).toContain('<link rel="apple-touch-icon" href="/apple-touch-icon.png"/>')
      expect(html).toContain('<link rel="manifest" href="/manifest.webmanifest"/>')
    }
  })
})

describe("from the author's photo", () => {
  it('saving a profile photo makes a new icon set from it (new ETags); removing it brings the built-in icon back', async () => {
    const before = await fetch(`${ts.url}/icons/icon-192.png`)
    const builtInEtag = before.headers.get('etag')!
    const builtIn = await meanColour(await bytesOf(before))

    // A green photo, uploaded through the profile page like the author does.
    const photo = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#1a9c3a' } }).jpeg().toBuffer()
    const form = new FormData()
    form.append('photo', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'me.jpg')
    const saved = await fetch(`${ts.url}/admin/profile?_csrf=${encodeURIComponent(admin.csrfToken)}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { accept: 'text/html', cookie: admin.cookie },
      body: form,
    })
    expect(saved.status).toBe(303)
    expect(ts.server.context.config.authorPhoto).toMatch(/\/media\//)

    const stale = await fetch(`${ts.url}/icons/icon-192.png`, { headers: { 'if-none-match': builtInEtag } })
    expect(stale.status).toBe(200)
    expect(stale.headers.get('etag')).not.toBe(builtInEtag)
    const body = await bytesOf(stale)
    const meta = await sharp(body).metadata()
    expect([meta.width, meta.height]).toEqual([192, 192]) // cropped square from a 3:2 photo
    const [r, g, b] = await meanColour(body)
    expect(g).toBeGreaterThan(130)
    expect(r).toBeLessThan(60)
    expect(b).toBeLessThan(90)
    expect([r, g, b]).not.toEqual(builtIn)
    const ico = readIco(await bytesOf(await fetch(`${ts.url}/favicon.ico`)))
    const [, g16] = await meanColour(ico.images[0]!)
    expect(g16).toBeGreaterThan(130)

    const removeForm = new FormData()
    removeForm.append('photo_remove', '1')
    const removed = await fetch(`${ts.url}/admin/profile?_csrf=${encodeURIComponent(admin.csrfToken)}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { accept: 'text/html', cookie: admin.cookie },
      body: removeForm,
    })
    expect(removed.status).toBe(303)
    expect((await fetch(`${ts.url}/icons/icon-192.png`)).headers.get('etag')).toBe(builtInEtag)
  })

  it('an author photo that is no upload here (an outside URL, a file no longer known) leaves the built-in icon, never an error', async () => {
    const { config } = ts.server.context
    const builtIn = (await fetch(`${ts.url}/favicon.ico`)).headers.get('etag')
    try {
      for (const photo of [`${ts.url}/media/00000000-0000-0000-0000-000000000000.jpg`, 'https://photos.example/me.jpg']) {
        config.authorPhoto = photo
        const res = await fetch(`${ts.url}/favicon.ico`)
        expect(res.status).toBe(200)
        expect(res.headers.get('etag')).toBe(builtIn)
        expect(readIco(await bytesOf(res)).entries).toHaveLength(3)
      }
    } finally {
      config.authorPhoto = null
    }
  })
})
