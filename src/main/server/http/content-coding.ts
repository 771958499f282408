/**
 * Content codings (RFC 9110 §8.4, §12.5.3): choosing one from Accept-Encoding, and compressing a body once
 * into every coding it is worth sending in. node:zlib does the compressing; nothing here knows Express.
 */
import { promisify } from 'node:util'
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib'

export type Coding = 'br' | 'gzip'
/** What a response is sent in: a compression, or the body as it is. */
export type ChosenCoding = Coding | 'identity'

/** In order of preference when the client weighs them the same: brotli is smaller for text. */
export const CODINGS: readonly Coding[] = ['br', 'gzip']

/** Below this a compressed body saves less than the headers and a round of (de)compression cost. */
export const MIN_COMPRESS_BYTES = 1024

/**
 * Text worth compressing: HTML, CSS, JavaScript, JSON (feeds too), XML (RSS, Atom, OPML). Images, audio,
 * video and archives are compressed already and never match.
 */
const COMPRESSIBLE = /^(?:text\/|application\/(?:javascript|json|(?:[\w.+-]+\+)?json|xml|(?:[\w.+-]+\+)?xml)\b)/i

export function isCompressible(contentType: string): boolean {
  return COMPRESSIBLE.test(contentType.trim())
}

interface Weighted {
  coding: string
  q: number
}

function parseAcceptEncoding(header: string): Weighted[] {
  const list: Weighted[] = []
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';')
    const coding = name?.trim().toLowerCase()
    if (!coding) continue
    let q = 1
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim())
      if (key?.toLowerCase() !== 'q') continue
      // A malformed weight is not a refusal: read it as the default rather than dropping the coding.
      const parsed = value !== undefined && /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value) ? Number(value) : 1
      q = parsed
    }
    list.push({ coding, q })
  }
  return list
}

/**
 * The coding to send, from the request's Accept-Encoding and the codings this body exists in; null when the
 * client refuses all of them, identity included (a 406). No header: identity (RFC 9110 allows any coding,
 * but a client that says nothing may not decode one). `x-gzip` counts as gzip; `*` covers what is not named;
 * `identity` is weighed when named, else it is the fallback: acceptable unless refused by `*;q=0`.
 */
export function chooseCoding(header: string | undefined, available: readonly Coding[]): ChosenCoding | null {
  if (header === undefined) return 'identity'
  const weights = parseAcceptEncoding(header)
  const weightOf = (coding: ChosenCoding): number | undefined => {
    let found: number | undefined
    for (const w of weights) {
      if (w.coding === coding || (coding === 'gzip' && w.coding === 'x-gzip')) found = Math.max(found ?? 0, w.q)
    }
    return found
  }
  const star = weights.find((w) => w.coding === '*')?.q
  let best: ChosenCoding | null = null
  let bestQ = 0
  for (const coding of CODINGS) {
    if (!available.includes(coding)) continue
    const q = weightOf(coding) ?? star ?? 0
    if (q > bestQ) {
      best = coding
      bestQ = q
    }
  }
  // identity competes by weight only when named; otherwise it is the fallback, acceptable unless `*;q=0`.
  const identityNamed = weightOf('identity')
  if (identityNamed !== undefined && identityNamed > bestQ) return 'identity'
  if (best) return best
  const identityAcceptable = identityNamed !== undefined ? identityNamed > 0 : star !== 0
  return identityAcceptable ? 'identity' : null
}

const brotli = promisify(brotliCompress)
const gzipAsync = promisify(gzip)

export interface CompressedBodies {
  br?: Buffer
  gzip?: Buffer
}

/**
 * The body in each coding that makes it smaller, computed once (in the thread pool, off the event loop).
 * Empty for a body that is not text or under MIN_COMPRESS_BYTES. Brotli quality 5: here it is within a few
 * percent of quality 9 in size at a tenth of its time (docs/performance.md), and a write rebuilds many pages.
 */
export async function compressBody(body: Buffer, contentType: string): Promise<CompressedBodies> {
  if (body.length < MIN_COMPRESS_BYTES || !isCompressible(contentType)) return {}
  const [br, gz] = await Promise.all([
    brotli(body, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: 5,
        [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    gzipAsync(body, { level: 6 }),
  ])
  const out: CompressedBodies = {}
  if (br.length < body.length) out.br = br
  if (gz.length < body.length) out.gzip = gz
  return out
}
