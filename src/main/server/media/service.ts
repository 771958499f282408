import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { fileTypeFromFile } from 'file-type'
import type { Db } from '../db'
import { appError } from '../errors'
import type { Logger } from '../logging'
import { errnoCode, mkdirFailure } from '../errors/errno'
import { ensureMediaDir, isStorageError, mediaDirCheck, mediaStorageError } from './storage'
import type { MediaService, StoredMedia } from './types'

/** Allowed image types, detected from the bytes: media type → file extension. */
export const IMAGE_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
}

/** The only names we serve: a v4 UUID and one of our extensions. Anything else (../, %2f, dots) never matches. */
export const MEDIA_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.(?:jpg|png|gif|webp)$/

export interface MediaServiceDeps {
  db: Db
  mediaDir: string
  logger: Logger
  siteBase: () => string
}

export function createMediaService(deps: MediaServiceDeps): MediaService {
  const { db, mediaDir } = deps
  try {
    mkdirSync(mediaDir, { recursive: true })
  } catch (err) {
    // Not fatal: the blog serves readers without it. Uploads answer MEDIA_STORAGE_UNAVAILABLE, readiness
    // names `media`, and both work again once the directory is fixed.
    deps.logger.warn('media directory unavailable at start; uploads fail until it is fixed', { code: errnoCode(mkdirFailure(err)) ?? 'ERROR' })
  }
  const url = (filename: string) => `${deps.siteBase()}/media/${filename}`

  async function discard(tempPath: string): Promise<void> {
    await unlink(tempPath).catch(() => undefined)
  }

  function filenameOf(value: string): string | null {
    let parsed: URL
    try {
      parsed = new URL(value, `${deps.siteBase()}/`)
    } catch {
      return null
    }
    const base = new URL(`${deps.siteBase()}/`)
    if (parsed.origin !== base.origin || !parsed.pathname.startsWith('/media/')) return null
    const name = parsed.pathname.slice('/media/'.length)
    return MEDIA_NAME.test(name) ? name : null
  }

  return {
    dir: mediaDir,
    // Optional: readers are served without a media dir, so a broken one warns, not fails.
    healthChecks: [{ name: 'media', check: mediaDirCheck(mediaDir, deps.logger), required: false }],
    tempPath: () => join(mediaDir, `.upload-${randomUUID()}.tmp`),
    ensureDir: async () => {
      await ensureMediaDir(mediaDir, deps.logger)
    },
    discard,
    filenameOf,

    async storeTempFile(tempPath, size): Promise<StoredMedia> {
      let detected: { mime: string } | undefined
      try {
        detected = await fileTypeFromFile(tempPath)
      } catch (err) {
        await discard(tempPath)
        // The temp file vanished with its directory (or the disk failed): storage, not the upload's fault.
        throw isStorageError(err) ? mediaStorageError(err) : appError('MEDIA_NOT_IMAGE', { cause: err })
      }
      const ext = detected ? IMAGE_TYPES[detected.mime] : undefined
      if (!detected || !ext) {
        await discard(tempPath)
        throw appError('MEDIA_NOT_IMAGE')
      }
      const filename = `${randomUUID()}.${ext}`
      try {
        try {
          await rename(tempPath, join(mediaDir, filename))
        } catch (err) {
          throw isStorageError(err) ? mediaStorageError(err) : err
        }
        const id = await db.write((conn) =>
          Number(
            conn.prepare('INSERT INTO media (filename, mime, size, created_at) VALUES (?, ?, ?, ?)').run(filename, detected.mime, size, new Date().toISOString())
              .lastInsertRowid,
          ),
        )
        deps.logger.info('media stored', { filename, mime: detected.mime, size })
        return { id, filename, mime: detected.mime, size, url: url(filename) }
      } catch (err) {
        // Nothing half-done stays behind: no row without a file, no file without a row.
        await discard(tempPath)
        await discard(join(mediaDir, filename))
        throw err
      }
    },

    async find(filename) {
      if (!MEDIA_NAME.test(filename)) return null
      const row = await db.get<{ filename: string; mime: string; size: number }>('SELECT filename, mime, size FROM media WHERE filename = ?', [filename])
      return row ?? null
    },

    async attach(urls, noteId) {
      const names = [...new Set(urls.map(filenameOf).filter((name): name is string => name !== null))]
      if (names.length === 0) return 0
      return db.write((conn) => {
        const stmt = conn.prepare('UPDATE media SET note_id = ? WHERE filename = ?')
        return names.reduce((count, name) => count + stmt.run(noteId, name).changes, 0)
      })
    },
  }
}
