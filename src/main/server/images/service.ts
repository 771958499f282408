import { randomBytes } from 'node:crypto'
import { open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Metadata, SharpOptions } from 'sharp'
import { loadSharp } from './sharp-loader'
import { AppError, appError } from '../errors'
import type { Logger } from '../logging'
import { detectImage, type DetectedImage } from './detect'
import { createHeicDecoder, tooLarge, type HeicDecoder } from './heic-decoder'
import { pngWithIccProfile } from './png-icc'
import type { ImageService, ImageServiceStats, ImageVariant, OutputFormat, ProcessImageInput, ProcessedImage } from './types'

/**
 * Widths of the variants, px: phones at 1× to 3× and desktop columns, each step ~1.6×, so a browser
 * picking from srcset never fetches much more than it shows. The largest variant is the image itself
 * scaled to fit 2048 × 2048 (never enlarged), so a small image gets only the widths below its own.
 */
export const VARIANT_WIDTHS: readonly number[] = [320, 640, 1024, 1600]
/** Longest side of the largest variant, px. */
export const MAX_EDGE = 2048
/** A width within 10% of the largest variant's adds a file and saves almost nothing: left out. */
const NEAR_LARGEST = 0.9
export const DEFAULT_MAX_PIXELS = 50_000_000
/** Per image: well above what a 50-megapixel photo takes here (a few seconds), short of a hung upload. */
export const PROCESS_TIMEOUT_MS = 120_000

/** Temp files: written into outDir, renamed into place when every variant is ready. */
export const IMAGE_TEMP_FILE = /^\.image-[0-9a-f]{16}\.tmp$/
const BASE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/

const FORMATS: Record<OutputFormat, { type: string; ext: string }> = {
  jpeg: { type: 'image/jpeg', ext: 'jpg' },
  png: { type: 'image/png', ext: 'png' },
  gif: { type: 'image/gif', ext: 'gif' },
  webp: { type: 'image/webp', ext: 'webp' },
  avif: { type: 'image/avif', ext: 'avif' },
}

/** Encoder settings per format: good-looking web photos at a modest size. */
const ENCODE = {
  jpeg: { quality: 82, progressive: true },
  png: { compressionLevel: 8 },
  gif: {},
  webp: { quality: 82 },
  avif: { quality: 55, effort: 3 },
} as const satisfies Record<OutputFormat, object>

export interface ImageServiceOptions {
  logger: Logger
  /** Largest accepted image, width × height × frames (STARPUNK_IMAGE_MAX_PIXELS). */
  maxPixels?: number
  /**
   * Images processed at once (default 2). Each one runs its variants one after another, so at most this
   * many of libuv's 4 pool threads are busy with sharp and file and DNS work keeps the others.
   */
  concurrency?: number
  /** Images that may wait for a slot; more are refused at once with IMAGES_BUSY (default 16). */
  maxQueued?: number
  /** Per image (each sharp pipeline, the HEIC decode); past it: IMAGE_TOO_COMPLEX. */
  timeoutMs?: number
  /** Widths of the smaller variants (the largest is always there). */
  widths?: readonly number[]
  /** How long an idle HEIC thread lives (tests shorten it). */
  heicIdleMs?: number
}

/** `<base>.<ext>` for the largest variant, `<base>-<width>.<ext>` for the others. */
export function variantFileName(baseName: string, ext: string, width: number | null): string {
  return width === null ? `${baseName}.${ext}` : `${baseName}-${width}.${ext}`
}

/** Widths to make for an upright `width × height` image: the smaller ones, then the largest. */
export function planWidths(width: number, height: number, widths: readonly number[] = VARIANT_WIDTHS, maxEdge = MAX_EDGE): number[] {
  const scale = Math.min(1, maxEdge / width, maxEdge / height)
  const largest = Math.max(1, Math.round(width * scale))
  const smaller = [...new Set(widths)].filter((w) => w < largest * NEAR_LARGEST).sort((a, b) => a - b)
  return [...smaller, largest]
}

interface Source {
  /** A file path or an in-memory image sharp reads. */
  input: string | Buffer
  options: SharpOptions
  format: OutputFormat
  /** Carry the input's ICC profile (pixels untouched) instead of converting to sRGB. */
  keepIcc: boolean
  /** Transparent parts onto white (into JPEG, which has no alpha: they would turn black). */
  flatten: boolean
  colour: ProcessedImage['colour']
  width: number
  height: number
  frames: number
}

interface Waiter {
  resolve: () => void
  reject: (err: Error) => void
}

export function createImageService(options: ImageServiceOptions): ImageService {
  const log = options.logger.child({ component: 'images' })
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS
  const concurrency = Math.max(1, options.concurrency ?? 2)
  const maxQueued = Math.max(0, options.maxQueued ?? 16)
  const timeoutMs = options.timeoutMs ?? PROCESS_TIMEOUT_MS
  const widths = options.widths ?? VARIANT_WIDTHS
  const heic: HeicDecoder = createHeicDecoder({ logger: options.logger, timeoutMs, idleMs: options.heicIdleMs })

  const counts = { processed: 0, refused: 0, failed: 0 }
  const waiting: Waiter[] = []
  let active = 0
  let closed = false

  const unavailable = (reason: string) => appError('IMAGE_PROCESSING_UNAVAILABLE', { cause: new Error(reason) })

  async function slot(): Promise<void> {
    if (closed) throw unavailable('image service closed')
    if (active < concurrency) {
      active++
      return
    }
    if (waiting.length >= maxQueued) throw appError('IMAGES_BUSY', { headers: { 'Retry-After': '10' } })
    // The finishing image hands its slot over (active stays as it is).
    await new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }))
  }

  function release(): void {
    const next = waiting.shift()
    if (next) next.resolve()
    else active--
  }

  /** The header, read without decoding pixels; null for a HEIF sharp cannot parse (the HEIC thread checks it). */
  async function header(path: string, detected: DetectedImage): Promise<Metadata | null> {
    try {
      // No limit here: the header is all that is read, and the caller compares its size with ours.
      const sharp = await loadSharp()
      return await sharp(path, { failOn: 'truncated', limitInputPixels: false }).metadata()
    } catch (err) {
      if (detected.kind === 'heif') return null
      throw appError('IMAGE_CORRUPT', { cause: err })
    }
  }

  function framesOf(detected: DetectedImage, meta: Metadata): number {
    return detected.kind === 'gif' || detected.kind === 'webp' ? Math.max(1, meta.pages ?? 1) : 1
  }

  /** sharp's failures, as the caller should see them (the cause is logged by whoever answers). */
  function fromSharp(err: unknown): AppError {
    if (err instanceof AppError) return err
    const message = err instanceof Error ? err.message : String(err)
    if (/timeout/i.test(message)) return appError('IMAGE_TOO_COMPLEX', { cause: err })
    // The header check comes first, so this means a decoder saw more pixels than the header admitted.
    if (/pixel limit/i.test(message)) return appError('IMAGE_TOO_LARGE', { message: 'The image holds more pixels than this server takes.', cause: err })
    return appError('IMAGE_CORRUPT', { cause: err })
  }

  /** HEIC/HEIF with HEVC inside (sharp cannot decode it): pixels from the HEIC thread, then a PNG carrying the profile. */
  async function heicSource(path: string, meta: Metadata | null): Promise<Source> {
    const decoded = await heic.decode(path, maxPixels)
    const [largest] = planWidths(decoded.width, decoded.height, [])
    let master: Buffer
    try {
      const sharp = await loadSharp()
      master = await sharp(decoded.rgba, { raw: { width: decoded.width, height: decoded.height, channels: 4 }, limitInputPixels: maxPixels })
        .resize({ width: largest, withoutEnlargement: true })
        // JPEG has no alpha: transparent parts become white, not black.
        .flatten({ background: '#ffffff' })
        .png({ compressionLevel: 0 })
        .timeout({ seconds: Math.ceil(timeoutMs / 1000) })
        .toBuffer()
    } catch (err) {
      throw fromSharp(err)
    }
    const icc = meta?.icc
    return {
      // The largest variant already: the smaller ones are made from it (a lossless PNG, quick to read again).
      input: icc ? pngWithIccProfile(master, icc) : master,
      options: { failOn: 'truncated' },
      format: 'jpeg',
      // heic-decode gives bare pixels, and the profile now rides on the PNG: sharp converts to sRGB.
      keepIcc: false,
      flatten: false,
      colour: icc ? 'converted-to-srgb' : 'srgb',
      width: decoded.width,
      height: decoded.height,
      frames: 1,
    }
  }

  function sharpSource(path: string, detected: DetectedImage, meta: Metadata): Source {
    const frames = framesOf(detected, meta)
    const animated = frames > 1
    const format: OutputFormat = detected.kind === 'heif' ? 'jpeg' : detected.kind
    // Carrying the profile keeps wide-gamut colours exact. Not into GIF (no profile there), and not from CMYK
    // or Lab (the output is RGB; sharp converts those to sRGB).
    const keepIcc = meta.icc !== undefined && format !== 'gif' && meta.space !== 'cmyk' && meta.space !== 'lab'
    const upright = meta.autoOrient ?? { width: meta.width, height: meta.height }
    return {
      input: path,
      // Animations keep every frame; EXIF rotation applies to stills (an animation with an Orientation tag is rare
      // and sharp cannot rotate one).
      options: { failOn: 'truncated', limitInputPixels: maxPixels, animated, autoOrient: !animated },
      format,
      keepIcc,
      flatten: format === 'jpeg' && detected.kind !== 'jpeg',
      colour: meta.icc === undefined ? 'srgb' : keepIcc ? 'icc-kept' : 'converted-to-srgb',
      width: animated ? meta.width : upright.width,
      height: animated ? (meta.pageHeight ?? meta.height) : upright.height,
      frames,
    }
  }

  async function encode(source: Source, width: number): Promise<{ data: Buffer; width: number; height: number }> {
    const sharp = await loadSharp()
    let pipeline = sharp(source.input, source.options)
    if (width < source.width) pipeline = pipeline.resize({ width, withoutEnlargement: true })
    if (source.flatten) pipeline = pipeline.flatten({ background: '#ffffff' })
    if (source.keepIcc) pipeline = pipeline.keepIccProfile()
    try {
      const { data, info } = await pipeline
        .toFormat(source.format, ENCODE[source.format])
        .timeout({ seconds: Math.ceil(timeoutMs / 1000) })
        .toBuffer({ resolveWithObject: true })
      // An animation comes back as one tall strip: its frame height is pageHeight.
      return { data, width: info.width, height: info.pageHeight ?? info.height }
    } catch (err) {
      throw fromSharp(err)
    }
  }

  /** Write `data` to a fresh temp file in `dir` and flush it to disk. */
  async function writeTemp(dir: string, data: Buffer, temps: string[]): Promise<string> {
    const path = join(dir, `.image-${randomBytes(8).toString('hex')}.tmp`)
    temps.push(path)
    const handle = await open(path, 'wx')
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    return path
  }

  async function syncDir(dir: string): Promise<void> {
    // Makes the renames durable; a directory cannot be opened this way on Windows, where rename is durable enough.
    const handle = await open(dir, 'r').catch(() => null)
    if (!handle) return
    await handle.sync().catch(() => undefined)
    await handle.close()
  }

  async function render(input: ProcessImageInput, detected: DetectedImage, meta: Metadata | null): Promise<ProcessedImage> {
    const source = detected.kind === 'heif' && meta?.compression !== 'av1' ? await heicSource(input.inputPath, meta) : sharpSource(input.inputPath, detected, meta!)
    const { type, ext } = FORMATS[source.format]
    const plan = planWidths(source.width, source.height, widths)
    const temps: string[] = []
    const placed: string[] = []
    try {
      const made: { temp: string; variant: ImageVariant }[] = []
      for (const [index, width] of plan.entries()) {
        const out = await encode(source, width)
        const temp = await writeTemp(input.outDir, out.data, temps)
        const isLargest = index === plan.length - 1
        made.push({ temp, variant: { fileName: variantFileName(input.baseName, ext, isLargest ? null : out.width), width: out.width, height: out.height, bytes: out.data.length, type } })
      }
      // The largest goes last: when an upload is processed again under its own name, the old file stays
      // until everything else is in place.
      for (const { temp, variant } of made) {
        const final = join(input.outDir, variant.fileName)
        await rename(temp, final)
        placed.push(final)
      }
      await syncDir(input.outDir)
      const variants = made.map((m) => m.variant)
      return {
        sourceType: detected.mime,
        type,
        ext,
        width: source.width,
        height: source.height,
        frames: source.frames,
        variants,
        largest: variants[variants.length - 1]!,
        colour: source.colour,
      }
    } catch (err) {
      // Nothing of this call stays behind: no temp file, no variant without its siblings.
      await Promise.all([...temps, ...placed].map((path) => unlink(path).catch(() => undefined)))
      throw err
    }
  }

  async function processImage(input: ProcessImageInput): Promise<ProcessedImage> {
    if (!BASE_NAME.test(input.baseName)) throw new Error(`image base name must be letters, digits, - and _ (got ${JSON.stringify(input.baseName)})`)
    if (closed) throw unavailable('image service closed')
    const { size } = await stat(input.inputPath)
    if (size === 0) throw appError('IMAGE_EMPTY')
    const detected = await detectImage(input.inputPath, size, { declaredType: input.declaredType, declaredName: input.declaredName })
    const meta = await header(input.inputPath, detected)
    if (meta) {
      const frames = framesOf(detected, meta)
      const frameHeight = frames > 1 ? (meta.pageHeight ?? meta.height) : meta.height
      if (meta.width * frameHeight * frames > maxPixels) throw tooLarge(meta.width, frameHeight, maxPixels, frames)
    }
    await slot()
    try {
      const started = performance.now()
      const result = await render(input, detected, meta)
      log.info('image processed', {
        sourceType: result.sourceType,
        width: result.width,
        height: result.height,
        frames: result.frames,
        variants: result.variants.length,
        bytes: result.variants.reduce((sum, v) => sum + v.bytes, 0),
        ms: Math.round(performance.now() - started),
      })
      return result
    } finally {
      release()
    }
  }

  return {
    async process(input) {
      try {
        const result = await processImage(input)
        counts.processed++
        return result
      } catch (err) {
        if (err instanceof AppError && err.kind === 'user') counts.refused++
        else counts.failed++
        throw err
      }
    },

    async sweep(dir) {
      let names: string[]
      try {
        names = await readdir(dir)
      } catch {
        return 0
      }
      const stale = names.filter((name) => IMAGE_TEMP_FILE.test(name))
      await Promise.all(stale.map((name) => unlink(join(dir, name)).catch(() => undefined)))
      if (stale.length > 0) log.warn('removed temp files left by an interrupted image', { count: stale.length })
      return stale.length
    },

    stats(): ImageServiceStats {
      return { queued: waiting.length, active, processed: counts.processed, refused: counts.refused, failed: counts.failed, heicThreadsStarted: heic.started() }
    },

    async close() {
      closed = true
      for (const waiter of waiting.splice(0)) waiter.reject(unavailable('image service closed'))
      await heic.close()
    },
  }
}
