import { describe, expect, it } from 'vitest'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { chooseCoding, compressBody, isCompressible, MIN_COMPRESS_BYTES } from './content-coding'

const BOTH = ['br', 'gzip'] as const

describe('chooseCoding (Accept-Encoding, RFC 9110 §12.5.3)', () => {
  it.each([
    [undefined, 'identity'], // says nothing: it may not decode anything
    ['', 'identity'], // empty: identity only
    ['gzip, deflate, br', 'br'], // equal weights: brotli first
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'], // refusals, identity still acceptable
    ['gzip;q=0.5, identity', 'identity'], // identity weighed higher
    ['identity', 'identity'],
    ['*', 'br'],
    ['*;q=0.5, gzip', 'gzip'],
    ['BR;Q=1', 'br'],
    ['deflate, compress', 'identity'], // nothing we have: uncompressed
    ['br;q=bogus', 'br'], // a malformed weight is not a refusal
    ['gzip;q=0.001, identity;q=0', 'gzip'],
  ])('%j → %s', (header, expected) => {
    expect(chooseCoding(header, BOTH)).toBe(expected)
  })

  it('refusing identity and everything available leaves nothing (406)', () => {
    expect(chooseCoding('identity;q=0', BOTH)).toBeNull()
    expect(chooseCoding('*;q=0', BOTH)).toBeNull()
    expect(chooseCoding('br;q=0, *;q=0', BOTH)).toBeNull()
    expect(chooseCoding('identity;q=0, gzip', BOTH)).toBe('gzip')
  })

  it('only offers the codings the body exists in', () => {
    expect(chooseCoding('br', ['gzip'])).toBe('identity')
    expect(chooseCoding('br, gzip', [])).toBe('identity')
    expect(chooseCoding('br, identity;q=0', [])).toBeNull()
  })
})

describe('compressBody', () => {
  const text = Buffer.from('<p>Hello, compression.</p>\n'.repeat(200))

  it('compresses text into both codings, each decoding back to the same bytes', async () => {
    const out = await compressBody(text, 'text/html; charset=utf-8')
    expect(brotliDecompressSync(out.br!).equals(text)).toBe(true)
    expect(gunzipSync(out.gzip!).equals(text)).toBe(true)
    expect(out.br!.length).toBeLessThan(text.length / 4)
  })

  it('leaves small bodies and compressed media alone', async () => {
    expect(await compressBody(Buffer.alloc(MIN_COMPRESS_BYTES - 1, 'a'), 'text/html')).toEqual({})
    expect(await compressBody(text, 'image/jpeg')).toEqual({})
    expect(await compressBody(text, 'image/webp')).toEqual({})
  })

  it('knows text from media', () => {
    for (const type of ['text/html; charset=utf-8', 'text/css', 'text/javascript', 'application/rss+xml; charset=utf-8', 'application/atom+xml', 'application/feed+json', 'application/json', 'text/x-opml', 'application/health+json'])
      expect(isCompressible(type), type).toBe(true)
    for (const type of ['image/png', 'image/jpeg', 'image/gif', 'video/mp4', 'application/zip', 'application/octet-stream', 'font/woff2'])
      expect(isCompressible(type), type).toBe(false)
  })
})
