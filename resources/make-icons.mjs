#!/usr/bin/env node
// Draws the app and tray icons (anti-aliased discs) as PNGs with nothing but node:zlib, so they can be
// regenerated without an image editor: `node resources/make-icons.mjs`.
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(buf) {
  let c = 0xffffffff
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}
function png(size, pixel) {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 6 // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5)
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4)
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}
function disc(size, [r, g, b], ring = null) {
  const c = size / 2
  const radius = size / 2 - 1
  return png(size, (x, y) => {
    const d = Math.hypot(x - c, y - c)
    const alpha = Math.max(0, Math.min(1, radius - d + 0.5))
    if (ring && d < radius * 0.45) return [...ring, Math.round(255 * alpha)]
    return [r, g, b, Math.round(255 * alpha)]
  })
}
const colours = { pass: [23, 160, 90], warn: [230, 160, 20], fail: [210, 50, 40], off: [130, 138, 150] }
for (const [name, rgb] of Object.entries(colours)) writeFileSync(join(here, `tray-${name}.png`), disc(32, rgb))
writeFileSync(join(here, 'icon.png'), disc(512, [91, 63, 209], [255, 255, 255]))
console.log('icons written to resources/')
