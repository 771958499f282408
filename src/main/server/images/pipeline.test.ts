import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import exifr from 'exifr'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../config'
import { createLogging } from '../logging'
import { createImageService, planWidths, type ImageService } from '.'
import { animation, colourAt, displayP3Red, isBlue, isRed, leaks, noisePicture, PRIVATE, readTags, sidewaysPhoto, uprightPicture, writePrivateTags } from './testing'

// The real service on real files: fixtures made here, every output read back with exiftool (and exifr).
let root: string
let images: ImageService
let inDir: string
let outDir: string
let n = 0

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'starpunk-images-'))
  inDir = join(root, 'in')
  mkdirSync(inDir)
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: root, STARPUNK_PORT: '0' } })
  images = createImageService({ logger: createLogging(config, { write: () => {} }).logger, maxPixels: config.media.maxImagePixels })
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
const out = (name: string) => join(outDir, name)

describe('privacy: metadata', () => {
  it('a JPEG with GPS, serial numbers, capture time, XMP and IPTC comes out with none of it, in every variant', async () => {
    const path = input('camera.jpg')
    await sidewaysPhoto(path, 1200, 1800)
    // The fixture really carries what must go (so this test can fail).
    const before = await readTags(path)
    expect(before['EXIF:SerialNumber']).toBe(PRIVATE.serial)
    expect(before['EXIF:GPSLatitude']).toBeCloseTo(PRIVATE.latitude, 3)
    expect(before['EXIF:DateTimeOriginal']).toBe(PRIVATE.taken)
    expect(before['XMP:Creator']).toEqual([PRIVATE.creator])
    expect(before['IPTC:City']).toBe(PRIVATE.city)
    expect((await exifr.gps(path))?.latitude).toBeCloseTo(PRIVATE.latitude, 3)

    const result = await images.process({ inputPath: path, outDir, baseName: 'camera' })
    expect(result.variants.length).toBeGreaterThan(1)
    for (const variant of result.variants) {
      const file = out(variant.fileName)
      expect(leaks(await readTags(file)), variant.fileName).toEqual([])
      // A second, independent reader.
      expect(await exifr.parse(file, { gps: true, exif: true, xmp: true, iptc: true, tiff: true })).toBeUndefined()
      expect(await exifr.gps(file)).toBeUndefined()
    }
  })

  it.each(['png', 'webp', 'avif'] as const)('a %s with EXIF and XMP comes out with none of it', async (format) => {
    const path = input(`tagged.${format}`)
    await uprightPicture(path, 700, 500, format)
    await writePrivateTags(path, { iptc: false })
    expect(leaks(await readTags(path)).length).toBeGreaterThan(3)
    const result = await images.process({ inputPath: path, outDir, baseName: 'tagged' })
    expect(result.type).toBe(`image/${format}`)
    for (const variant of result.variants) expect(leaks(await readTags(out(variant.fileName))), variant.fileName).toEqual([])
  })
})

describe('orientation', () => {
  it('a sideways-stored JPEG with Orientation 6 comes out upright in every variant (red above blue), untagged', async () => {
    const path = input('sideways.jpg')
    await sidewaysPhoto(path, 900, 1200)
    // Stored landscape: the red half is on the left until it is turned.
    expect(isRed(await colourAt(path, 100, 450))).toBe(true)
    const result = await images.process({ inputPath: path, outDir, baseName: 'sideways' })
    expect([result.width, result.height]).toEqual([900, 1200])
    for (const variant of result.variants) {
      const file = out(variant.fileName)
      const meta = await sharp(file).metadata()
      expect([meta.width, meta.height]).toEqual([variant.width, variant.height])
      expect(variant.height).toBeGreaterThan(variant.width)
      expect(meta.orientation).toBeUndefined()
      expect(isRed(await colourAt(file, Math.floor(variant.width / 2), Math.floor(variant.height * 0.1))), variant.fileName).toBe(true)
      expect(isBlue(await colourAt(file, Math.floor(variant.width / 2), Math.floor(variant.height * 0.9))), variant.fileName).toBe(true)
    }
  })
})

describe('variants', () => {
  it('plans the smaller widths below the largest and the largest within 2048 × 2048', () => {
    expect(planWidths(4032, 3024)).toEqual([320, 640, 1024, 1600, 2048])
    expect(planWidths(3024, 4032)).toEqual([320, 640, 1024, 1536])
    expect(planWidths(1100, 800)).toEqual([320, 640, 1100])
    expect(planWidths(300, 200)).toEqual([300])
    expect(planWidths(20000, 100)).toEqual([320, 640, 1024, 1600, 2048])
  })

  it('a large photo gets every width; names, sizes and bytes match the files', async () => {
    const path = input('big.jpg')
    await noisePicture(path, 2600, 1950, 'jpeg')
    const result = await images.process({ inputPath: path, outDir, baseName: 'big' })
    expect(result.variants.map((v) => v.width)).toEqual([320, 640, 1024, 1600, 2048])
    expect(result.variants.map((v) => v.fileName)).toEqual(['big-320.jpg', 'big-640.jpg', 'big-1024.jpg', 'big-1600.jpg', 'big.jpg'])
    expect(result.largest).toEqual(result.variants[4])
    for (const variant of result.variants) {
      const meta = await sharp(out(variant.fileName)).metadata()
      expect(meta.format).toBe('jpeg')
      expect([meta.width, meta.height]).toEqual([variant.width, variant.height])
      expect(variant.height).toBe(Math.round((variant.width * 1950) / 2600))
      expect(statSync(out(variant.fileName)).size).toBe(variant.bytes)
      expect(variant.type).toBe('image/jpeg')
    }
    expect(readdirSync(outDir).sort()).toEqual(result.variants.map((v) => v.fileName).sort())
  })

  it('never enlarges: a small image is one file at its own size', async () => {
    const path = input('small.png')
    await noisePicture(path, 300, 200, 'png')
    const result = await images.process({ inputPath: path, outDir, baseName: 'small' })
    expect(result.variants).toEqual([{ fileName: 'small.png', width: 300, height: 200, bytes: statSync(out('small.png')).size, type: 'image/png' }])
  })

  it('keeps the format: PNG, WebP and AVIF stay themselves', async () => {
    for (const format of ['png', 'webp', 'avif'] as const) {
      const path = input(`keep.${format}`)
      await uprightPicture(path, 800, 600, format)
      const result = await images.process({ inputPath: path, outDir, baseName: `keep-${format}` })
      expect(result.sourceType).toBe(`image/${format}`)
      for (const variant of result.variants) expect((await sharp(out(variant.fileName)).metadata()).format).toBe(format === 'avif' ? 'heif' : format)
      expect(result.variants.map((v) => v.width)).toEqual([320, 640, 800])
    }
  })

  it('writes nothing but the variants (temp files are renamed away) and takes a declared type that matches', async () => {
    const path = input('plain.jpg')
    await noisePicture(path, 700, 400, 'jpeg')
    const result = await images.process({ inputPath: path, outDir, baseName: 'plain', declaredType: 'image/jpeg; charset=binary', declaredName: 'IMG_0001.JPG' })
    expect(readdirSync(outDir).sort()).toEqual(result.variants.map((v) => v.fileName).sort())
    // The input is the caller's: read, never moved.
    expect(statSync(path).size).toBeGreaterThan(0)
  })

  it('drops bytes after the image (a phone appends a motion-photo video to its JPEG)', async () => {
    const path = input('motion.jpg')
    await noisePicture(path, 640, 480, 'jpeg')
    appendFileSync(path, Buffer.concat([Buffer.from('ftypmp42'), Buffer.alloc(4096, 7)]))
    const result = await images.process({ inputPath: path, outDir, baseName: 'motion' })
    const { size } = statSync(path)
    expect(result.largest.bytes).toBeLessThan(size)
    expect(leaks(await readTags(out(result.largest.fileName)))).toEqual([])
  })
})

describe('animations', () => {
  it.each(['gif', 'webp'] as const)('an animated %s keeps every frame, its timing and its colours, in every variant', async (format) => {
    const path = input(`anim.${format}`)
    await animation(path, format, 5, 800, 600)
    const result = await images.process({ inputPath: path, outDir, baseName: 'anim' })
    expect(result.frames).toBe(5)
    expect([result.width, result.height]).toEqual([800, 600])
    expect(result.variants.map((v) => [v.width, v.height])).toEqual([
      [320, 240],
      [640, 480],
      [800, 600],
    ])
    for (const variant of result.variants) {
      const file = out(variant.fileName)
      const meta = await sharp(file).metadata()
      expect(meta.format).toBe(format)
      expect(meta.pages, variant.fileName).toBe(5)
      expect(meta.delay).toEqual([100, 100, 100, 100, 100])
      expect([meta.width, meta.pageHeight ?? meta.height]).toEqual([variant.width, variant.height])
      const [red] = await colourAt(file, 10, 10, { page: 3 })
      expect(Math.abs(red! - 120)).toBeLessThan(16)
    }
  })
})

describe('colour', () => {
  it('a Display-P3 JPEG keeps its profile and its numbers: it looks the same', async () => {
    const path = input('p3.jpg')
    await displayP3Red(path, 800, 600, 'jpeg')
    const stored = await colourAt(path, 10, 10, { asStored: true })
    expect(isRed(stored)).toBe(false) // the P3 numbers, not sRGB red
    const result = await images.process({ inputPath: path, outDir, baseName: 'p3' })
    expect(result.colour).toBe('icc-kept')
    for (const variant of result.variants) {
      const file = out(variant.fileName)
      const tags = await readTags(file)
      expect(tags['ICC_Profile:ProfileDescription']).toMatch(/P3/)
      const kept = await colourAt(file, 10, 10, { asStored: true })
      kept.forEach((value, i) => expect(Math.abs(value - stored[i]!)).toBeLessThan(6))
      expect(isRed(await colourAt(file, 10, 10))).toBe(true)
    }
  })

  it('a CMYK JPEG comes out as sRGB (its CMYK profile cannot ride on RGB pixels)', async () => {
    const path = input('print.jpg')
    await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .withIccProfile('cmyk')
      .jpeg({ quality: 95 })
      .toFile(path)
    expect((await sharp(path).metadata()).space).toBe('cmyk')
    expect((await readTags(path))['ICC_Profile:ColorSpaceData']).toMatch(/CMYK/)
    const result = await images.process({ inputPath: path, outDir, baseName: 'print' })
    const meta = await sharp(out(result.largest.fileName)).metadata()
    expect([meta.space, meta.channels]).toEqual(['srgb', 3])
    expect(JSON.stringify(await readTags(out(result.largest.fileName)))).not.toContain('CMYK')
    expect(result.colour).toBe('converted-to-srgb')
    const [r, g, b] = await colourAt(out(result.largest.fileName), 200, 150, { asStored: true })
    expect(r).toBeGreaterThan(200)
    expect(Math.max(g!, b!)).toBeLessThan(90)
  })

  it('a transparent PNG stays transparent', async () => {
    const path = input('clear.png')
    await sharp({ create: { width: 700, height: 500, channels: 4, background: { r: 0, g: 128, b: 0, alpha: 0 } } }).png().toFile(path)
    const result = await images.process({ inputPath: path, outDir, baseName: 'clear' })
    for (const variant of result.variants) {
      const { data, info } = await sharp(out(variant.fileName)).raw().toBuffer({ resolveWithObject: true })
      expect(info.channels).toBe(4)
      expect(data[3]).toBe(0)
    }
  })

  it('an sRGB image without a profile gets none', async () => {
    const path = input('srgb.png')
    await uprightPicture(path, 400, 300, 'png')
    const result = await images.process({ inputPath: path, outDir, baseName: 'srgb' })
    expect(result.colour).toBe('srgb')
    expect((await sharp(out(result.largest.fileName)).metadata()).icc).toBeUndefined()
  })
})

describe('atomic output', () => {
  it('a failure part way leaves nothing of the call: no temp file, no variant without its siblings', async () => {
    const path = input('blocked.jpg')
    await noisePicture(path, 1400, 1000, 'jpeg')
    // The largest variant's name is taken by a directory: its rename fails after the smaller ones are in place.
    mkdirSync(out('blocked.jpg'))
    const error = await images.process({ inputPath: path, outDir, baseName: 'blocked' }).catch((err: unknown) => err as NodeJS.ErrnoException)
    // The file system's own error (errno code), for the caller to map like any storage failure.
    expect((error as NodeJS.ErrnoException).code).toMatch(/^E[A-Z]+$/)
    expect(readdirSync(outDir)).toEqual(['blocked.jpg'])
    expect(statSync(out('blocked.jpg')).isDirectory()).toBe(true)
  })

  it('processing an upload again under its own name replaces it in place', async () => {
    const path = out('again.jpg')
    await sidewaysPhoto(path, 500, 700)
    const result = await images.process({ inputPath: path, outDir, baseName: 'again' })
    expect(result.largest.fileName).toBe('again.jpg')
    expect(leaks(await readTags(path))).toEqual([])
    expect(readdirSync(outDir).sort()).toEqual(result.variants.map((v) => v.fileName).sort())
  })

  it('sweep removes the temp files a crash left, and nothing else', async () => {
    writeFileSync(out('.image-0123456789abcdef.tmp'), 'half a file')
    writeFileSync(out('keep.jpg'), 'a variant')
    expect(await images.sweep(outDir)).toBe(1)
    expect(readdirSync(outDir)).toEqual(['keep.jpg'])
    expect(await images.sweep(join(root, 'missing'))).toBe(0)
  })
})
