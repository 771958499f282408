import { crc32, deflateSync } from 'node:zlib'

/** PNG signature (8) + IHDR chunk (length 4, type 4, data 13, CRC 4): IHDR is always first. */
const IHDR_END = 8 + 4 + 4 + 13 + 4

/**
 * A PNG (as sharp wrote it) with an iCCP chunk carrying `icc`, placed right after IHDR where the format
 * wants it. sharp attaches a profile only by converting into it; this is how bare decoded pixels (HEIC)
 * get their source profile back, so that sharp can then convert them to sRGB correctly.
 */
export function pngWithIccProfile(png: Buffer, icc: Buffer): Buffer {
  if (png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG written by sharp (IHDR is not first)')
  // Profile name, NUL, compression method 0 (zlib), the compressed profile.
  const data = Buffer.concat([Buffer.from('icc\0', 'latin1'), Buffer.from([0]), deflateSync(icc)])
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write('iCCP', 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0)
  return Buffer.concat([png.subarray(0, IHDR_END), head, data, crc, png.subarray(IHDR_END)])
}
