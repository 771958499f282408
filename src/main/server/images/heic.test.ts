import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import exifr from 'exifr'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../config'
import { UserError } from '../errors'
import { createLogging, type Logger } from '../logging'
import { createImageService, type ImageService } from '.'
import { createHeicDecoder } from './heic-decoder'
import { colourAt, displayP3Red, heicFrom, isBlue, isRed, leaks, PRIVATE, readTags, uprightPicture, writePrivateTags } from './testing'

// HEIC through the real decoder thread (heic-decode, libheif in WebAssembly); files made with heif-enc.
let root: string
let logger: Logger
let images: ImageService
let inDir: string
let outDir: string
let n = 0
/** A tagged HEIC (red above blue, 1600 × 1200) made once: encoding with heif-enc takes a moment. */
let taggedHeic: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'starpunk-images-heic-'))
  inDir = join(root, 'in')
  mkdirSync(inDir)
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: root, STARPUNK_PORT: '0' } })
  logger = createLogging(config, { write: () => {} }).logger
  images = createImageService({ logger, maxPixels: config.media.maxImagePixels })
  const png = join(inDir, 'tagged.png')
  await uprightPicture(png, 1600, 1200, 'png')
  taggedHeic = join(inDir, 'tagged.heic')
  await heicFrom(png, taggedHeic)
  await writePrivateTags(taggedHeic, { orientation: 6, iptc: false })
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

describe('HEIC', () => {
  it('becomes JPEG variants with no GPS, serial or capture time, upright as stored (EXIF Orientation inside HEIF is ignored)', async () => {
    const before = await readTags(taggedHeic)
    expect(before['File:MIMEType']).toBe('image/heic')
    expect(before['EXIF:SerialNumber']).toBe(PRIVATE.serial)
    expect(before['EXIF:DateTimeOriginal']).toBe(PRIVATE.taken)
    expect(before['EXIF:Orientation']).toBe(6)
    expect((await exifr.gps(taggedHeic))?.latitude).toBeCloseTo(PRIVATE.latitude, 3)

    const result = await images.process({ inputPath: taggedHeic, outDir, baseName: 'phone', declaredType: 'image/heic', declaredName: 'IMG_0042.HEIC' })
    expect(result).toMatchObject({ sourceType: 'image/heic', type: 'image/jpeg', ext: 'jpg', width: 1600, height: 1200, frames: 1, colour: 'srgb' })
    expect(result.variants.map((v) => v.fileName)).toEqual(['phone-320.jpg', 'phone-640.jpg', 'phone-1024.jpg', 'phone.jpg'])
    expect(readdirSync(outDir).sort()).toEqual(result.variants.map((v) => v.fileName).sort())
    for (const variant of result.variants) {
      const file = out(variant.fileName)
      const meta = await sharp(file).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', variant.width, variant.height])
      expect(leaks(await readTags(file)), variant.fileName).toEqual([])
      expect(await exifr.gps(file)).toBeUndefined()
      // HEIF carries its rotation in its own boxes (applied by libheif); the EXIF tag would turn it a second time.
      expect(isRed(await colourAt(file, Math.floor(variant.width / 2), Math.floor(variant.height * 0.1))), variant.fileName).toBe(true)
      expect(isBlue(await colourAt(file, Math.floor(variant.width / 2), Math.floor(variant.height * 0.9))), variant.fileName).toBe(true)
    }
  })

  it('a Display-P3 HEIC is converted to sRGB: the JPEG carries no profile and shows the same red', async () => {
    const png = input('p3.png')
    await displayP3Red(png, 400, 300, 'png')
    const heic = input('p3.heic')
    await heicFrom(png, heic)
    expect(String((await readTags(heic))['ICC_Profile:ProfileDescription'])).toMatch(/P3/)
    const result = await images.process({ inputPath: heic, outDir, baseName: 'p3' })
    expect(result.colour).toBe('converted-to-srgb')
    const file = out(result.largest.fileName)
    expect((await sharp(file).metadata()).icc).toBeUndefined()
    // Without the conversion the P3 numbers (about 234, 51, 35) would be shown as sRGB: visibly duller.
    expect(isRed(await colourAt(file, 200, 150, { asStored: true }))).toBe(true)
  })

  it('a HEIC over the pixel limit is refused from its header, before decoding', async () => {
    const strict = createImageService({ logger, maxPixels: 1_000_000 })
    try {
      await expect(strict.process({ inputPath: taggedHeic, outDir, baseName: 'big' })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE', status: 413 })
      expect(strict.stats().heicThreadsStarted).toBe(0)
      expect(readdirSync(outDir)).toEqual([])
    } finally {
      await strict.close()
    }
  })

  it('a truncated HEIC is IMAGE_CORRUPT and leaves nothing', async () => {
    const cut = input('cut.heic')
    const whole = readFileSync(taggedHeic)
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.5)))
    const error = await images.process({ inputPath: cut, outDir, baseName: 'cut' }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(UserError)
    expect(error).toMatchObject({ code: 'IMAGE_CORRUPT', status: 400 })
    expect(readdirSync(outDir)).toEqual([])
  })
})

describe('the HEIC decoder thread', () => {
  it('checks the size in the header itself, before decoding', async () => {
    const decoder = createHeicDecoder({ logger, timeoutMs: 60_000 })
    try {
      await expect(decoder.decode(taggedHeic, 1_000_000)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' })
      const image = await decoder.decode(taggedHeic, 2_000_000)
      expect([image.width, image.height, image.rgba.length]).toEqual([1600, 1200, 1600 * 1200 * 4])
      expect(decoder.started()).toBe(1)
    } finally {
      await decoder.close()
    }
  })

  it('a decode past the time limit is stopped (IMAGE_TOO_COMPLEX), and the next one gets a new thread', async () => {
    const decoder = createHeicDecoder({ logger, timeoutMs: 1 })
    try {
      await expect(decoder.decode(taggedHeic, 50_000_000)).rejects.toMatchObject({ code: 'IMAGE_TOO_COMPLEX', status: 422 })
      await expect(decoder.decode(taggedHeic, 50_000_000)).rejects.toMatchObject({ code: 'IMAGE_TOO_COMPLEX' })
      expect(decoder.started()).toBe(2)
    } finally {
      await decoder.close()
    }
  })

  it('stops when idle (its WebAssembly memory goes with it) and starts again on the next HEIC', async () => {
    const decoder = createHeicDecoder({ logger, timeoutMs: 60_000, idleMs: 0 })
    try {
      await decoder.decode(taggedHeic, 50_000_000)
      await new Promise((resolve) => setTimeout(resolve, 50))
      await decoder.decode(taggedHeic, 50_000_000)
      expect(decoder.started()).toBe(2)
    } finally {
      await decoder.close()
    }
  })

  it('a command-line run (nothing else holds the event loop open) waits for the thread and finishes', async () => {
    const here = (file: string) => JSON.stringify(join(__dirname, file))
    const code = `
      const { createImageService } = await import(${here('index.ts')})
      const { createLogging } = await import(${here('../logging/index.ts')})
      const { loadConfig } = await import(${here('../config/index.ts')})
      const { config } = loadConfig({ env: { STARPUNK_PORT: '0' } })
      const images = createImageService({ logger: createLogging(config, { write: () => {} }).logger })
      const result = await images.process({ inputPath: ${JSON.stringify(taggedHeic)}, outDir: ${JSON.stringify(outDir)}, baseName: 'cli' })
      console.log(JSON.stringify(result.largest))
      await images.close()
    `
    const script = join(root, 'cli-run.mjs')
    writeFileSync(script, code)
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: join(__dirname, '..', '..', '..', '..') })
    expect(JSON.parse(stdout)).toMatchObject({ fileName: 'cli.jpg', width: 1600, height: 1200, type: 'image/jpeg' })
  })

  it('after close, decodes fail IMAGE_PROCESSING_UNAVAILABLE (503)', async () => {
    const decoder = createHeicDecoder({ logger, timeoutMs: 60_000 })
    await decoder.close()
    await expect(decoder.decode(taggedHeic, 50_000_000)).rejects.toMatchObject({ code: 'IMAGE_PROCESSING_UNAVAILABLE', status: 503 })
  })
})
