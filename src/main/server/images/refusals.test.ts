import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../config'
import { ERROR_CATALOG, UserError } from '../errors'
import { createLogging, type Logger } from '../logging'
import { createImageService, type ImageService } from '.'
import { animation, EMPTY_ZIP, noisePicture, pngClaiming, writeComment } from './testing'

// Bad input of every kind: a clear catalog error, and nothing left in the output directory.
let root: string
let logger: Logger
let images: ImageService
let inDir: string
let outDir: string
let n = 0

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'starpunk-images-bad-'))
  inDir = join(root, 'in')
  mkdirSync(inDir)
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: root, STARPUNK_PORT: '0' } })
  logger = createLogging(config, { write: () => {} }).logger
  images = createImageService({ logger, maxPixels: config.media.maxImagePixels })
})
afterAll(async () => {
  await images.close()
  rmSync(root, { recursive: true, force: true })
})
beforeEach(() => {
  outDir = join(root, `out-${++n}`)
  mkdirSync(outDir)
})

const input = (name: string) => join(inDir, `${n}-${name}`)

/** Process `path` with `service`, expect the refusal `code` (a UserError with the catalog's status), and an empty outDir. */
async function refused(path: string, code: keyof typeof ERROR_CATALOG, claims: { declaredType?: string; declaredName?: string } = {}, service = images) {
  const error = await service.process({ inputPath: path, outDir, baseName: 'refused', ...claims }).then(
    () => null,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(UserError)
  expect(error).toMatchObject({ code, status: ERROR_CATALOG[code].status })
  const info = (error as UserError).info
  expect(info.troubleshooting.length).toBeGreaterThan(0)
  // Placeholders filled, no path in what a client is shown.
  expect(JSON.stringify(info)).not.toMatch(/\{\w+\}|starpunk-images-bad/)
  expect(readdirSync(outDir)).toEqual([])
  return error as UserError
}

describe('not an image', () => {
  it('a zero-byte file is IMAGE_EMPTY', async () => {
    const path = input('empty.jpg')
    writeFileSync(path, '')
    await refused(path, 'IMAGE_EMPTY')
  })

  it.each([
    ['text', Buffer.from('just some words, not a picture\n')],
    ['PDF', Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n')],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>')],
    ['ZIP', EMPTY_ZIP],
  ])('a %s file is IMAGE_UNSUPPORTED (415)', async (_name, bytes) => {
    const path = input('wrong.jpg')
    writeFileSync(path, bytes)
    const error = await refused(path, 'IMAGE_UNSUPPORTED')
    expect(error.status).toBe(415)
  })

  it('a TIFF (an image, but not one browsers show) is IMAGE_UNSUPPORTED and names what it is', async () => {
    const path = input('scan.tiff')
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#123456' } }).tiff().toFile(path)
    const error = await refused(path, 'IMAGE_UNSUPPORTED')
    expect(error.message).toContain('image/tiff')
  })
})

describe('damaged', () => {
  it.each(['jpeg', 'png', 'webp', 'gif'] as const)('a truncated %s is IMAGE_CORRUPT', async (format) => {
    const path = input(`cut.${format}`)
    await noisePicture(path, 800, 600, format)
    const whole = readFileSync(path)
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length * 0.6)))
    await refused(path, 'IMAGE_CORRUPT')
  })

  it('a JPEG whose header is garbage after the signature is IMAGE_CORRUPT', async () => {
    const path = input('garbage.jpg')
    writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x41)]))
    await refused(path, 'IMAGE_CORRUPT')
  })
})

describe('decompression bombs', () => {
  it('a tiny PNG claiming 100000 × 100000 is refused from its header, with its size in the message', async () => {
    const path = input('bomb.png')
    await pngClaiming(path, 100_000, 100_000)
    const error = await refused(path, 'IMAGE_TOO_LARGE')
    expect(error.status).toBe(413)
    expect(error.message).toContain('100000 × 100000')
    expect(error.message).toContain('10000.0 megapixels')
  })

  it('a real solid PNG over a lower limit is refused; under it, it is taken', async () => {
    const strict = createImageService({ logger, maxPixels: 2_000_000 })
    try {
      const path = input('solid.png')
      await sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#ff8800' } }).png().toFile(path)
      const error = await refused(path, 'IMAGE_TOO_LARGE', {}, strict)
      expect(error.message).toContain('3.0 megapixels')
      expect(error.message).toContain('2.0 megapixels')
      const small = input('solid-small.png')
      await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#ff8800' } }).png().toFile(small)
      await expect(strict.process({ inputPath: small, outDir, baseName: 'ok' })).resolves.toMatchObject({ width: 1600 })
    } finally {
      await strict.close()
    }
  })

  it('an animation counts every frame', async () => {
    const strict = createImageService({ logger, maxPixels: 1_000_000 })
    try {
      const path = input('long.gif')
      // 8 frames of 400 × 400: 0.16 MP each, 1.28 MP in all.
      await animation(path, 'gif', 8, 400, 400)
      const error = await refused(path, 'IMAGE_TOO_LARGE', {}, strict)
      expect(error.message).toContain('8 frames')
    } finally {
      await strict.close()
    }
  })
})

describe('claims and riders', () => {
  it('a PNG declared as image/jpeg is IMAGE_TYPE_MISMATCH', async () => {
    const path = input('liar.png')
    await noisePicture(path, 50, 50, 'png')
    const error = await refused(path, 'IMAGE_TYPE_MISMATCH', { declaredType: 'image/jpeg' })
    expect(error.message).toBe('The file says it is image/jpeg, but its content is image/png.')
  })

  it.each(['photo.html', 'photo.svg', 'photo.gif', 'report.pdf'])('a JPEG named %s is IMAGE_TYPE_MISMATCH', async (name) => {
    const path = input('named.jpg')
    await noisePicture(path, 50, 50, 'jpeg')
    await refused(path, 'IMAGE_TYPE_MISMATCH', { declaredName: name })
  })

  it('a JPEG declared as text/html is IMAGE_TYPE_MISMATCH', async () => {
    const path = input('html.jpg')
    await noisePicture(path, 50, 50, 'jpeg')
    await refused(path, 'IMAGE_TYPE_MISMATCH', { declaredType: 'text/html' })
  })

  it('generic or unknown claims are no claim: application/octet-stream, image/jpg, photo.jpg_large, no extension', async () => {
    const path = input('fine.jpg')
    await noisePicture(path, 50, 50, 'jpeg')
    for (const claims of [{ declaredType: 'application/octet-stream' }, { declaredType: 'image/jpg' }, { declaredName: 'photo.jpg_large' }, { declaredName: 'IMG_0001' }, { declaredType: '' }]) {
      await expect(images.process({ inputPath: path, outDir, baseName: `fine${readdirSync(outDir).length}`, ...claims })).resolves.toMatchObject({ type: 'image/jpeg' })
    }
  })

  it('a JPEG with a ZIP archive appended (a GIFAR-style polyglot) is IMAGE_POLYGLOT', async () => {
    const path = input('jar.jpg')
    await noisePicture(path, 200, 200, 'jpeg')
    appendFileSync(path, EMPTY_ZIP)
    const error = await refused(path, 'IMAGE_POLYGLOT')
    expect(error.message).toContain('ZIP')
  })

  it('a GIF with a ZIP archive (and a comment) appended is IMAGE_POLYGLOT', async () => {
    const path = input('gifar.gif')
    await noisePicture(path, 64, 64, 'gif')
    const comment = Buffer.from('built by hand')
    const record = Buffer.from(EMPTY_ZIP)
    record.writeUInt16LE(comment.length, 20)
    appendFileSync(path, Buffer.concat([record, comment]))
    await refused(path, 'IMAGE_POLYGLOT')
  })

  it.each([
    ['a script', '<script>alert(document.cookie)</script>', 'script'],
    ['an HTML page', '<!DOCTYPE html><html><body>hi</body></html>', 'script'],
    ['a PDF header', '%PDF-1.5 hidden document', 'PDF'],
  ])('a JPEG whose comment near the start is %s is IMAGE_POLYGLOT', async (_what, comment, word) => {
    const path = input('comment.jpg')
    await noisePicture(path, 100, 100, 'jpeg')
    await writeComment(path, comment)
    const error = await refused(path, 'IMAGE_POLYGLOT')
    expect(error.message).toContain(word)
  })

  it('the letters PK inside image data are not a ZIP (the record must end the file)', async () => {
    const path = input('pk.jpg')
    await noisePicture(path, 100, 100, 'jpeg')
    await writeComment(path, `PK\u0005\u0006${'x'.repeat(40)}`)
    await expect(images.process({ inputPath: path, outDir, baseName: 'pk' })).resolves.toMatchObject({ type: 'image/jpeg' })
  })
})

describe('overload', () => {
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((resolve) => setImmediate(resolve))
  }

  it('runs at most `concurrency` images at once, queues up to maxQueued, and refuses the next with IMAGES_BUSY (503, Retry-After)', async () => {
    const bounded = createImageService({ logger, concurrency: 1, maxQueued: 1 })
    try {
      const slow = input('slow.jpg')
      await noisePicture(slow, 3000, 2200, 'jpeg')
      const quick = input('quick.png')
      await noisePicture(quick, 60, 40, 'png')
      const first = bounded.process({ inputPath: slow, outDir, baseName: 'first' })
      await until(() => bounded.stats().active === 1)
      const second = bounded.process({ inputPath: quick, outDir, baseName: 'second' })
      await until(() => bounded.stats().queued === 1)
      const third = await bounded.process({ inputPath: quick, outDir, baseName: 'third' }).catch((err: unknown) => err)
      expect(third).toMatchObject({ code: 'IMAGES_BUSY', status: 503, headers: { 'Retry-After': '10' } })
      expect(bounded.stats()).toMatchObject({ active: 1, queued: 1 })
      await expect(first).resolves.toMatchObject({ width: 3000 })
      await expect(second).resolves.toMatchObject({ width: 60 })
      expect(bounded.stats()).toMatchObject({ active: 0, queued: 0, processed: 2, failed: 1 })
      expect(readdirSync(outDir).some((name) => name.startsWith('third'))).toBe(false)
    } finally {
      await bounded.close()
    }
  })
})

describe('counts', () => {
  it('refusals are counted as refused, not failed', () => {
    const stats = images.stats()
    expect(stats.refused).toBeGreaterThan(10)
    expect(stats.failed).toBe(0)
  })
})
