/**
 * What an upload really is, from its bytes, and whether it claims to be something else.
 *
 * Policy (the bytes decide; claims and riders are checked):
 * - The type comes from the content (file-type). Anything other than JPEG, PNG (APNG: its first frame),
 *   GIF, WebP, AVIF, HEIC or HEIF is IMAGE_UNSUPPORTED.
 * - A declared media type or a file name extension that names a different image type, or a page, script,
 *   archive or document, is IMAGE_TYPE_MISMATCH. A generic declaration (none, application/octet-stream)
 *   or an extension we do not know (`photo.jpg_large`) is no claim.
 * - A second file format riding along is IMAGE_POLYGLOT: a ZIP/JAR (its end-of-central-directory record
 *   ends the file: GIFAR and friends), a PDF (`%PDF-` in the first KiB, where readers look for it) or
 *   HTML/script in the first KiB (where browsers sniff).
 * - Other bytes after the image (phones append motion-photo videos and maker data after a JPEG) are
 *   not refused: nothing of the input is ever served, every output is encoded anew from the pixels.
 */
import { open } from 'node:fs/promises'
import { appError } from '../errors'
import type { ImageKind } from './types'

/** Accepted media types, as file-type names them, and their kind. */
export const ACCEPTED_IMAGE_TYPES: Readonly<Record<string, ImageKind>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/apng': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/heic': 'heif',
  'image/heif': 'heif',
  'image/heic-sequence': 'heif',
  'image/heif-sequence': 'heif',
}

/** Other names clients use for the same kinds. */
const DECLARED_ALIASES: Readonly<Record<string, ImageKind>> = {
  'image/jpg': 'jpeg',
  'image/pjpeg': 'jpeg',
  'image/x-png': 'png',
}

/** Declarations that claim nothing. */
const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/unknown'])

const IMAGE_EXTENSIONS: Readonly<Record<string, ImageKind>> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  jfif: 'jpeg',
  png: 'png',
  apng: 'png',
  gif: 'gif',
  webp: 'webp',
  avif: 'avif',
  heic: 'heif',
  heif: 'heif',
  hif: 'heif',
}

/** Extensions of things a browser or a desktop would run or render as something other than an image. */
const ACTIVE_EXTENSIONS = new Set(['html', 'htm', 'xhtml', 'shtml', 'svg', 'svgz', 'xml', 'js', 'mjs', 'php', 'pdf', 'zip', 'jar', 'exe', 'bat', 'cmd', 'sh', 'ps1', 'swf', 'hta'])

export interface DetectedImage {
  /** As file-type names it. */
  mime: string
  kind: ImageKind
}

/** Bytes that start a page or a script, looked for in the first KiB (lower-cased, latin1). */
const MARKUP_MARKERS = ['<html', '<script', '<body', '<head', '<iframe', '<svg', '<?php', '<!doctype html']
const HEAD_BYTES = 1024
/** A ZIP's end-of-central-directory record: 22 bytes plus a comment of up to 65535. */
const EOCD_SIZE = 22
const TAIL_BYTES = EOCD_SIZE + 0xffff

function kindOfDeclaredType(declared: string): ImageKind | 'other' | null {
  const type = declared.split(';')[0]!.trim().toLowerCase()
  if (GENERIC_TYPES.has(type)) return null
  return ACCEPTED_IMAGE_TYPES[type] ?? DECLARED_ALIASES[type] ?? 'other'
}

function kindOfFileName(name: string): ImageKind | 'other' | null {
  const dot = name.lastIndexOf('.')
  if (dot < 0) return null
  const ext = name.slice(dot + 1).trim().toLowerCase()
  return IMAGE_EXTENSIONS[ext] ?? (ACTIVE_EXTENSIONS.has(ext) ? 'other' : null)
}

/** Find a ZIP end-of-central-directory record that really ends the file (its comment length matches). */
function endsWithZip(tail: Buffer): boolean {
  const signature = Buffer.from([0x50, 0x4b, 0x05, 0x06])
  for (let at = tail.lastIndexOf(signature); at >= 0; at = at > 0 ? tail.lastIndexOf(signature, at - 1) : -1) {
    if (at + EOCD_SIZE <= tail.length && at + EOCD_SIZE + tail.readUInt16LE(at + 20) === tail.length) return true
  }
  return false
}

/** The other format a file also is, in words for the refusal, or null. */
export function riderIn(head: Buffer, tail: Buffer): string | null {
  const start = head.toString('latin1').toLowerCase()
  if (start.includes('%pdf-')) return 'a PDF document'
  if (MARKUP_MARKERS.some((marker) => start.includes(marker))) return 'web page or script code'
  if (endsWithZip(tail)) return 'a ZIP archive'
  return null
}

async function readEnds(path: string, size: number): Promise<{ head: Buffer; tail: Buffer }> {
  const handle = await open(path, 'r')
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size))
    await handle.read(head, 0, head.length, 0)
    const tailLength = Math.min(TAIL_BYTES, size)
    const tail = Buffer.alloc(tailLength)
    await handle.read(tail, 0, tailLength, size - tailLength)
    return { head, tail }
  } finally {
    await handle.close()
  }
}

/**
 * The image kind of the file at `path` (`size` bytes, already known not to be 0), checked against what the
 * client claimed. Throws IMAGE_UNSUPPORTED, IMAGE_TYPE_MISMATCH or IMAGE_POLYGLOT.
 */
export async function detectImage(path: string, size: number, claims: { declaredType?: string; declaredName?: string } = {}): Promise<DetectedImage> {
  // Loaded on first use, like sharp: an image upload is rare next to everything else the server does.
  const { fileTypeFromFile } = await import('file-type')
  const detected = await fileTypeFromFile(path)
  const kind = detected ? ACCEPTED_IMAGE_TYPES[detected.mime] : undefined
  if (!detected || !kind) throw appError('IMAGE_UNSUPPORTED', { vars: { found: detected ? detected.mime : 'not a format this server recognises' } })

  const claimedByType = claims.declaredType === undefined ? null : kindOfDeclaredType(claims.declaredType)
  if (claimedByType !== null && claimedByType !== kind) {
    throw appError('IMAGE_TYPE_MISMATCH', { vars: { declared: claims.declaredType!.split(';')[0]!.trim().toLowerCase(), found: detected.mime } })
  }
  const claimedByName = claims.declaredName === undefined ? null : kindOfFileName(claims.declaredName)
  if (claimedByName !== null && claimedByName !== kind) {
    const ext = claims.declaredName!.slice(claims.declaredName!.lastIndexOf('.')).toLowerCase()
    throw appError('IMAGE_TYPE_MISMATCH', { vars: { declared: `a ${ext} file`, found: detected.mime } })
  }

  const { head, tail } = await readEnds(path, size)
  const rider = riderIn(head, tail)
  if (rider) throw appError('IMAGE_POLYGLOT', { vars: { other: rider } })
  return { mime: detected.mime, kind }
}
