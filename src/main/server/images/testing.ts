/**
 * Test support for the image pipeline: every fixture is generated here, on the spot (no photo is committed).
 * Pictures come from sharp; camera metadata is written onto them with exiftool and HEIC files are encoded
 * with heif-enc (Debian: libimage-exiftool-perl, libheif-examples), and outputs are read back with exiftool,
 * a reader that shares no code with sharp or libvips.
 */
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'

const run = promisify(execFile)

export const EXIFTOOL = '/usr/bin/exiftool'
export const HEIF_ENC = '/usr/bin/heif-enc'

/** What a phone writes that must never be published: where, which camera, when. */
export const PRIVATE = {
  latitude: 48.8566,
  longitude: 2.3522,
  serial: 'SN-7734-PRIVATE',
  lensSerial: 'LENS-0042-PRIVATE',
  taken: '2024:05:06 07:08:09',
  creator: 'Jo Private',
  city: 'Paris',
} as const

export const RED = [255, 0, 0] as const
export const BLUE = [0, 0, 255] as const

/** Write GPS, camera and lens serials, capture time, XMP and IPTC (and an Orientation) onto `path`. */
export async function writePrivateTags(path: string, options: { orientation?: number; iptc?: boolean } = {}): Promise<void> {
  const args = [
    '-overwrite_original',
    '-q',
    `-GPSLatitude=${PRIVATE.latitude}`,
    '-GPSLatitudeRef=N',
    `-GPSLongitude=${PRIVATE.longitude}`,
    '-GPSLongitudeRef=E',
    '-GPSAltitude=35',
    `-SerialNumber=${PRIVATE.serial}`,
    `-LensSerialNumber=${PRIVATE.lensSerial}`,
    `-DateTimeOriginal=${PRIVATE.taken}`,
    `-CreateDate=${PRIVATE.taken}`,
    '-Make=StarPunk Optics',
    '-Model=Field Camera 1',
    `-XMP-dc:Creator=${PRIVATE.creator}`,
    `-XMP-photoshop:City=${PRIVATE.city}`,
  ]
  if (options.iptc !== false) args.push(`-IPTC:City=${PRIVATE.city}`)
  if (options.orientation !== undefined) args.push(`-Orientation#=${options.orientation}`)
  await run(EXIFTOOL, [...args, path])
}

/** Every tag exiftool finds, grouped (`EXIF:GPSLatitude`...), numbers as numbers. */
export async function readTags(path: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(EXIFTOOL, ['-j', '-G', '-a', '-n', '-struct', path])
  return (JSON.parse(stdout) as Record<string, unknown>[])[0]!
}

/** exiftool's family-0 groups that hold camera metadata (a clean image has only File, Composite, ICC_Profile, PNG...). */
const PRIVATE_GROUPS = new Set(['EXIF', 'XMP', 'IPTC', 'MakerNotes', 'Photoshop', 'FlashPix', 'APP14', 'Ducky', 'JUMBF', 'C2PA'])

/** Tags in `tags` that give away place, camera, person or time, as `group:name=value`. */
export function leaks(tags: Record<string, unknown>): string[] {
  const found: string[] = []
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value))
  for (const [key, value] of Object.entries(tags)) {
    const [group = '', name = key] = key.includes(':') ? key.split(':') : ['', key]
    const privateGroup = PRIVATE_GROUPS.has(group)
    // An ICC profile names the device it describes (DeviceModel...): that is the profile, not the camera.
    const privateName = group !== 'ICC_Profile' && /GPS|Serial|DateTimeOriginal|CreateDate|DateCreated|Make$|Model$|Creator|City|Orientation|Comment/i.test(name)
    const privateValue = [PRIVATE.serial, PRIVATE.lensSerial, PRIVATE.creator, PRIVATE.taken, '48.85'].some((s) => text(value).includes(s))
    if (privateGroup || privateName || privateValue) found.push(`${key}=${text(value)}`)
  }
  return found
}

/** An upright picture, red above blue (`width × height`), as raw RGB. */
function redOverBlue(width: number, height: number) {
  const data = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(y < height / 2 ? RED : BLUE, (y * width + x) * 3)
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
}

/**
 * A JPEG as a camera held sideways stores it: the upright picture (red above blue, `width × height`) turned
 * a quarter to the left, with EXIF Orientation 6 ("turn 90° clockwise to show") and the private tags.
 */
export async function sidewaysPhoto(path: string, width: number, height: number): Promise<void> {
  const upright = await redOverBlue(width, height).png().toBuffer()
  await sharp(upright).rotate(-90).jpeg({ quality: 95 }).toFile(path)
  await writePrivateTags(path, { orientation: 6 })
}

/** An upright red-above-blue picture in `format` (PNG input for heif-enc, WebP, AVIF...). */
export async function uprightPicture(path: string, width: number, height: number, format: 'png' | 'jpeg' | 'webp' | 'avif' = 'png'): Promise<void> {
  await redOverBlue(width, height).toFormat(format).toFile(path)
}

/**
 * A Display-P3 picture of pure sRGB red: stored as P3 numbers (about 234, 51, 35) with the P3 profile. Shown
 * right, it looks (255, 0, 0); shown with its profile ignored, visibly duller.
 */
export async function displayP3Red(path: string, width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: { r: 255, g: 0, b: 0 } } })
    .withIccProfile('p3')
    .toFormat(format, format === 'jpeg' ? { quality: 95 } : {})
    .toFile(path)
}

/** HEIC from a PNG, with heif-enc (the PNG's ICC profile rides along). */
export async function heicFrom(pngPath: string, heicPath: string): Promise<void> {
  await run(HEIF_ENC, ['-q', '90', '-o', heicPath, pngPath])
}

/** Random pixels (they compress badly, like a photo), in `format`. */
export async function noisePicture(path: string, width: number, height: number, format: 'png' | 'jpeg' | 'webp' | 'gif' = 'jpeg'): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .toFormat(format)
    .toFile(path)
}

/** An animation of `frames` solid frames, each its own colour (frame i has red = 40 × i), 100 ms apiece. */
export async function animation(path: string, format: 'gif' | 'webp', frames: number, width: number, height: number): Promise<void> {
  const strip = Buffer.alloc(width * height * frames * 4)
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < width * height; i++) strip.set([40 * f, 255 - 40 * f, 60, 255], (f * width * height + i) * 4)
  }
  await sharp(strip, { raw: { width, height: height * frames, channels: 4, pageHeight: height } })
    .toFormat(format, { delay: Array.from({ length: frames }, () => 100), loop: 0 })
    .toFile(path)
}

/** Colour of pixel (x, y) of an image file, as sRGB (its profile applied) unless `asStored`. */
export async function colourAt(path: string, x: number, y: number, options: { page?: number; asStored?: boolean } = {}): Promise<number[]> {
  const { data, info } = await sharp(path, { page: options.page ?? 0, ignoreIcc: options.asStored ?? false })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
  const at = (y * info.width + x) * info.channels
  return [...data.subarray(at, at + 3)]
}

export function isRed([r, g, b]: number[]): boolean {
  return r! > 240 && g! < 25 && b! < 25
}

export function isBlue([r, g, b]: number[]): boolean {
  return r! < 25 && g! < 25 && b! > 240
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0)
  return Buffer.concat([head, data, crc])
}

/** A valid little PNG whose header claims `width × height` (a decompression bomb's calling card). */
export async function pngClaiming(path: string, width: number, height: number): Promise<void> {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, deflate, no filter, no interlace
  // One all-zero row's worth of compressed data: the rest would unpack from almost nothing.
  const idat = deflateSync(Buffer.alloc(Math.min(width * 3 + 1, 1 << 20)))
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))])
  await writeFile(path, png)
}

/** The smallest valid ZIP: an end-of-central-directory record and nothing else. */
export const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)])

/** Put a JPEG comment (COM) on `path` with exiftool. */
export async function writeComment(path: string, comment: string): Promise<void> {
  await run(EXIFTOOL, ['-overwrite_original', '-q', `-Comment=${comment}`, path])
}
