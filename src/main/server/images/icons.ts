import { DEFAULT_MAX_PIXELS } from './service'
import { loadSharp } from './sharp-loader'

/** One square PNG of the site icon. */
export interface IconImage {
  size: number
  png: Buffer
}

/** Sizes made for the site: the favicon's three, a browser tab's 32, Android's 192 and 512, Apple's 180. */
export const ICO_SIZES: readonly number[] = [16, 32, 48]
export const PNG_ICON_SIZES: readonly number[] = [32, 192, 512]
export const APPLE_TOUCH_SIZE = 180

/**
 * The built-in icon (no author photo, or one we cannot use): the app's own ring, drawn from SVG so no
 * binary file has to travel with the server.
 */
export const DEFAULT_ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">' +
  '<circle cx="256" cy="256" r="256" fill="#5a3fd0"/><circle cx="256" cy="256" r="114" fill="#ffffff"/></svg>'

/** What every size is cut from: a square, centred crop of the source, upright, no metadata. */
async function squareMaster(source: Buffer): Promise<Buffer> {
  const sharp = await loadSharp()
  const image = sharp(source, { limitInputPixels: DEFAULT_MAX_PIXELS, failOn: 'truncated', density: 144 }).rotate()
  return image.resize(512, 512, { fit: 'cover', position: 'attention' }).png().toBuffer()
}

export interface IconSet {
  /** favicon.ico sizes (PNG-in-ICO). */
  ico: IconImage[]
  png: IconImage[]
  /** 180 px on white: iOS fills transparency with black. */
  appleTouch: IconImage
}

/**
 * Every icon of the site from one picture (the author's photo, or DEFAULT_ICON_SVG when `source` is null).
 * A picture sharp cannot decode throws; the caller falls back to the default.
 */
export async function makeIconSet(source: Buffer | null): Promise<IconSet> {
  const master = await squareMaster(source ?? Buffer.from(DEFAULT_ICON_SVG))
  const sharp = await loadSharp()
  const at = async (size: number, flatten = false): Promise<IconImage> => {
    let pipeline = sharp(master).resize(size, size)
    if (flatten) pipeline = pipeline.flatten({ background: '#ffffff' })
    return { size, png: await pipeline.png({ compressionLevel: 9 }).toBuffer() }
  }
  const ico: IconImage[] = []
  for (const size of ICO_SIZES) ico.push(await at(size))
  const png: IconImage[] = []
  for (const size of PNG_ICON_SIZES) png.push(await at(size))
  return { ico, png, appleTouch: await at(APPLE_TOUCH_SIZE, true) }
}

/**
 * An ICO file holding PNG images (supported by every browser since Windows Vista's format change): a 6-byte
 * ICONDIR, one 16-byte entry per image, then the PNGs. Width/height 0 stands for 256.
 */
export function encodeIco(images: readonly IconImage[]): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length)
  header.writeUInt16LE(0, 0) // reserved
  header.writeUInt16LE(1, 2) // 1 = icon
  header.writeUInt16LE(images.length, 4)
  let offset = header.length
  images.forEach((image, index) => {
    const entry = 6 + 16 * index
    const side = image.size >= 256 ? 0 : image.size
    header.writeUInt8(side, entry)
    header.writeUInt8(side, entry + 1)
    header.writeUInt8(0, entry + 2) // no palette
    header.writeUInt8(0, entry + 3) // reserved
    header.writeUInt16LE(1, entry + 4) // colour planes
    header.writeUInt16LE(32, entry + 6) // bits per pixel
    header.writeUInt32LE(image.png.length, entry + 8)
    header.writeUInt32LE(offset, entry + 12)
    offset += image.png.length
  })
  return Buffer.concat([header, ...images.map((image) => image.png)])
}
