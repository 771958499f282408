import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { copyFile, mkdir, readdir, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { HealthCheck } from '../../../shared/contract'
import type { Db } from '../db'
import { UserError } from '../errors'
import type { Logger } from '../logging'
import { errnoCode, mkdirFailure } from '../errors/errno'
import type { ImageService, ProcessedImage } from '../images'
import { ensureMediaDir, isStorageError, mediaDirCheck, mediaStorageError } from './storage'
import type { MediaItem, MediaService, MediaVariant, ReprocessProgress, ServedFile, StoredMedia } from './types'

/** Types we serve, by extension (the image pipeline writes JPEG, PNG, GIF, WebP or AVIF). */
export const IMAGE_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

/**
 * The only names we serve: a v4 UUID, for a variant its width, and one of our extensions. Anything else
 * (../, %2f, dots) never matches. Each name is written once and never changes, so it can be cached for ever.
 */
export const MEDIA_NAME = new RegExp(`^${UUID}(?:-\\d{2,4})?\\.(?:jpg|png|gif|webp|avif)$`)

/** Extension for a kept original, by the type the bytes were detected as. */
const ORIGINAL_EXT: Record<string, string> = { ...IMAGE_TYPES, 'image/heic': 'heic', 'image/heif': 'heif' }

export interface MediaServiceDeps {
  db: Db
  mediaDir: string
  logger: Logger
  siteBase: () => string
  images: ImageService
  /** Where uploads are kept as they arrived (never served), or null to keep only the cleaned copies. */
  originalsDir: string | null
}

interface MediaRow {
  id: number
  filename: string
  mime: string
  size: number
  width: number | null
  height: number | null
  created_at: string
  note_id: number | null
  processed_at: string | null
  refused: string | null
}

interface VariantRow {
  filename: string
  media_id: number
  width: number
  height: number
  bytes: number
  mime: string
}

const MEDIA_COLUMNS = 'id, filename, mime, size, width, height, created_at, note_id, processed_at, refused'

function reprocessReport(p: ReprocessProgress): HealthCheck {
  const finished = p.done >= p.total
  const tail = `${p.refused ? `, ${p.refused} refused (not served)` : ''}${p.failed ? `, ${p.failed} failed (tried again at the next start)` : ''}`
  return {
    componentType: 'component',
    observedValue: p.total - p.done,
    observedUnit: 'uploads left',
    status: 'pass',
    time: new Date().toISOString(),
    output: finished ? `Uploads from before the image pipeline: all ${p.total} processed${tail}.` : `Cleaning uploads from before the image pipeline: ${p.done} of ${p.total} done${tail}.`,
  }
}

export function createMediaService(deps: MediaServiceDeps): MediaService {
  const { db, mediaDir, images, logger } = deps
  try {
    mkdirSync(mediaDir, { recursive: true })
  } catch (err) {
    // Not fatal: the blog serves readers without it. Uploads answer MEDIA_STORAGE_UNAVAILABLE, readiness
    // names `media`, and both work again once the directory is fixed.
    logger.warn('media directory unavailable at start; uploads fail until it is fixed', { code: errnoCode(mkdirFailure(err)) ?? 'ERROR' })
  }
  const url = (filename: string) => `${deps.siteBase()}/media/${filename}`
  /** Old uploads being reprocessed, by row id: a request and the background run share one attempt. */
  const reprocessing = new Map<number, Promise<void>>()
  let closed = false
  let background: Promise<unknown> | null = null
  /** The latest reprocessing run of this process, for readiness (the console shows it). */
  let lastRun: ReprocessProgress | null = null

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

  function toVariant(row: VariantRow): MediaVariant {
    return { filename: row.filename, url: url(row.filename), width: row.width, height: row.height, bytes: row.bytes, mime: row.mime }
  }

  function toStored(row: MediaRow, variants: VariantRow[]): StoredMedia {
    return {
      id: row.id,
      filename: row.filename,
      mime: row.mime,
      size: row.size,
      url: url(row.filename),
      width: row.width,
      height: row.height,
      variants: variants.sort((a, b) => a.width - b.width).map(toVariant),
    }
  }

  /** The row's variants from a finished pipeline run (the largest under the row's own name). */
  function variantRows(processed: ProcessedImage): Array<Omit<VariantRow, 'media_id'>> {
    return processed.variants.map((v) => ({ filename: v.fileName, width: v.width, height: v.height, bytes: v.bytes, mime: v.type }))
  }

  function insertVariants(conn: Db['writer'], mediaId: number, processed: ProcessedImage): void {
    const stmt = conn.prepare('INSERT OR REPLACE INTO media_variants (filename, media_id, width, height, bytes, mime) VALUES (?, ?, ?, ?, ?, ?)')
    for (const v of variantRows(processed)) stmt.run(v.filename, mediaId, v.width, v.height, v.bytes, v.mime)
  }

  async function removeFiles(processed: ProcessedImage): Promise<void> {
    await Promise.all(processed.variants.map((v) => discard(join(mediaDir, v.fileName))))
  }

  /** Keep the upload as it arrived, in the private folder (same disk: a rename; else a copy). */
  async function keepOriginal(tempPath: string, name: string): Promise<string> {
    const dir = deps.originalsDir!
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const target = join(dir, name)
    try {
      await rename(tempPath, target)
    } catch (err) {
      if (errnoCode(err) !== 'EXDEV') throw err
      await copyFile(tempPath, target)
    }
    return target
  }

  /**
   * Run one upload from before the image pipeline through it, in place: the largest variant replaces the
   * old file under the same name (so old links keep working), then the row is marked processed. An upload
   * the pipeline refuses is marked refused and never served.
   */
  async function reprocess(row: MediaRow): Promise<void> {
    const running = reprocessing.get(row.id)
    if (running) return running
    const attempt = (async () => {
      // The background run listed its rows at the start: a request may have processed this one since.
      const current = await db.get<{ processed_at: string | null; refused: string | null }>('SELECT processed_at, refused FROM media WHERE id = ?', [row.id])
      if (!current || current.processed_at || current.refused) return
      const base = row.filename.slice(0, row.filename.indexOf('.'))
      let processed: ProcessedImage
      try {
        processed = await images.process({ inputPath: join(mediaDir, row.filename), outDir: mediaDir, baseName: base, declaredName: row.filename })
      } catch (err) {
        if (err instanceof UserError && err.code !== 'IMAGES_BUSY') {
          await db.write((conn) => conn.prepare('UPDATE media SET refused = ? WHERE id = ?').run(err.code, row.id))
          logger.warn('old upload refused by the image pipeline; it is no longer served', { filename: row.filename, code: err.code })
          return
        }
        throw err
      }
      if (processed.largest.fileName !== row.filename) {
        // Cannot happen for the formats stored before the pipeline (they keep their format); never serve it
        // under a name whose type changed.
        await removeFiles(processed)
        await db.write((conn) => conn.prepare('UPDATE media SET refused = ? WHERE id = ?').run('IMAGE_TYPE_MISMATCH', row.id))
        return
      }
      await db.write((conn) => {
        conn
          .prepare('UPDATE media SET mime = ?, size = ?, width = ?, height = ?, source_mime = ?, processed_at = ? WHERE id = ?')
          .run(processed.type, processed.largest.bytes, processed.largest.width, processed.largest.height, processed.sourceType, new Date().toISOString(), row.id)
        insertVariants(conn, row.id, processed)
      })
      logger.info('old upload reprocessed', { filename: row.filename, variants: processed.variants.length })
    })().finally(() => reprocessing.delete(row.id))
    reprocessing.set(row.id, attempt)
    return attempt
  }

  async function pendingRows(): Promise<MediaRow[]> {
    return db.all<MediaRow>(`SELECT ${MEDIA_COLUMNS} FROM media WHERE processed_at IS NULL AND refused IS NULL ORDER BY id`)
  }

  async function reprocessAll(onProgress?: (progress: ReprocessProgress) => void): Promise<ReprocessProgress> {
    const rows = await pendingRows()
    const progress: ReprocessProgress = { done: 0, total: rows.length, refused: 0, failed: 0 }
    if (rows.length > 0) lastRun = progress
    for (const row of rows) {
      if (closed) break
      try {
        await reprocess(row)
        const after = await db.get<{ refused: string | null }>('SELECT refused FROM media WHERE id = ?', [row.id])
        if (after?.refused) progress.refused++
      } catch (err) {
        progress.failed++
        // A failure of ours (disk, overload): the upload stays unprocessed (never served) and is tried again next start.
        logger.warn('reprocessing an old upload failed; it is tried again at the next start', { filename: row.filename, err })
      }
      progress.done++
      onProgress?.({ ...progress })
    }
    return progress
  }

  /** Variant files with no row (a crash between renaming the files and writing the row). Start-up only. */
  async function sweepOrphans(): Promise<number> {
    let names: string[]
    try {
      names = await readdir(mediaDir)
    } catch {
      return 0
    }
    const known = new Set<string>()
    for (const row of await db.all<{ filename: string }>('SELECT filename FROM media UNION SELECT filename FROM media_variants')) known.add(row.filename)
    let removed = 0
    for (const name of names) {
      const stale = name.startsWith('.upload-') && name.endsWith('.tmp')
      if (stale || (MEDIA_NAME.test(name) && !known.has(name))) {
        await discard(join(mediaDir, name))
        removed++
      }
    }
    return removed
  }

  return {
    dir: mediaDir,
    // Optional: readers are served without a media dir, so a broken one warns, not fails.
    healthChecks: [
      { name: 'media', check: mediaDirCheck(mediaDir, logger), required: false },
      // Progress of cleaning uploads from before the image pipeline (only once there were some): the console's
      // readiness view shows it. A pass either way: such files are simply not served until cleaned.
      { name: 'media-reprocess', check: (): Record<string, HealthCheck[]> => (lastRun ? { 'media:reprocess': [reprocessReport(lastRun)] } : {}), required: false },
    ],
    tempPath: () => join(mediaDir, `.upload-${randomUUID()}.tmp`),
    ensureDir: async () => {
      await ensureMediaDir(mediaDir, logger)
    },
    discard,
    filenameOf,
    reprocessAll,

    async storeTempFile(tempPath, options = {}): Promise<StoredMedia> {
      const base = randomUUID()
      let processed: ProcessedImage
      try {
        processed = await images.process({
          inputPath: tempPath,
          outDir: mediaDir,
          baseName: base,
          ...(options.declaredType ? { declaredType: options.declaredType } : {}),
          ...(options.declaredName ? { declaredName: options.declaredName } : {}),
        })
      } catch (err) {
        await discard(tempPath)
        // The temp file vanished with its directory, or the disk refused a variant: storage, not the upload.
        throw isStorageError(err) ? mediaStorageError(err) : err
      }
      let original: string | null = null
      try {
        if (deps.originalsDir) original = await keepOriginal(tempPath, `${base}.${ORIGINAL_EXT[processed.sourceType] ?? 'bin'}`)
        const { largest } = processed
        const now = new Date().toISOString()
        // Files first, then the row and its variants in one transaction: a crash in between leaves files
        // without a row (removed at the next start), never a row without its files.
        const id = await db.write((conn) => {
          const mediaId = Number(
            conn
              .prepare('INSERT INTO media (filename, mime, size, width, height, source_mime, original, created_at, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
              .run(largest.fileName, largest.type, largest.bytes, largest.width, largest.height, processed.sourceType, original ? original.slice(deps.originalsDir!.length + 1) : null, now, now)
              .lastInsertRowid,
          )
          insertVariants(conn, mediaId, processed)
          return mediaId
        })
        logger.info('media stored', { filename: largest.fileName, mime: largest.type, source: processed.sourceType, size: largest.bytes, variants: processed.variants.length })
        const variants = variantRows(processed).map((v) => ({ ...v, media_id: id }))
        return toStored(
          { id, filename: largest.fileName, mime: largest.type, size: largest.bytes, width: largest.width, height: largest.height, created_at: now, note_id: null, processed_at: now, refused: null },
          variants,
        )
      } catch (err) {
        // Nothing half-done stays behind: no row without files, no files without a row.
        await removeFiles(processed)
        if (original) await discard(original)
        throw isStorageError(err) ? mediaStorageError(err) : err
      } finally {
        await discard(tempPath)
      }
    },

    async find(filename): Promise<ServedFile | null> {
      if (!MEDIA_NAME.test(filename)) return null
      const variant = await db.get<VariantRow & { refused: string | null }>(
        'SELECT v.filename, v.media_id, v.width, v.height, v.bytes, v.mime, m.refused FROM media_variants v JOIN media m ON m.id = v.media_id WHERE v.filename = ?',
        [filename],
      )
      if (variant) return variant.refused ? null : { filename: variant.filename, mime: variant.mime, size: variant.bytes }
      // An upload from before the pipeline: cleaned on this first request, then served (never as it was).
      const row = await db.get<MediaRow>(`SELECT ${MEDIA_COLUMNS} FROM media WHERE filename = ?`, [filename])
      if (!row || row.refused || row.processed_at) return null
      try {
        await reprocess(row)
      } catch (err) {
        logger.warn('an old upload could not be reprocessed on request; not served', { filename, err })
        return null
      }
      const after = await db.get<VariantRow>('SELECT filename, media_id, width, height, bytes, mime FROM media_variants WHERE filename = ?', [filename])
      return after ? { filename: after.filename, mime: after.mime, size: after.bytes } : null
    },

    async describe(filenames) {
      const names = [...new Set(filenames.filter((n) => MEDIA_NAME.test(n)))]
      const result = new Map<string, StoredMedia>()
      if (names.length === 0) return result
      return db.withReader(async (reader) => {
        const marks = names.map(() => '?').join(', ')
        const ids = await reader.all<{ media_id: number }>(`SELECT DISTINCT media_id FROM media_variants WHERE filename IN (${marks})`, names)
        if (ids.length === 0) return result
        const idMarks = ids.map(() => '?').join(', ')
        const idList = ids.map((r) => r.media_id)
        const rows = await reader.all<MediaRow>(`SELECT ${MEDIA_COLUMNS} FROM media WHERE id IN (${idMarks}) AND refused IS NULL`, idList)
        const variants = await reader.all<VariantRow>(`SELECT filename, media_id, width, height, bytes, mime FROM media_variants WHERE media_id IN (${idMarks})`, idList)
        for (const row of rows) {
          const stored = toStored(row, variants.filter((v) => v.media_id === row.id))
          for (const v of stored.variants) if (names.includes(v.filename)) result.set(v.filename, stored)
        }
        return result
      })
    },

    async list({ limit, offset }): Promise<MediaItem[]> {
      return db.withReader(async (reader) => {
        const rows = await reader.all<MediaRow>(
          `SELECT ${MEDIA_COLUMNS} FROM media WHERE refused IS NULL AND processed_at IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
          [limit, offset],
        )
        if (rows.length === 0) return []
        const marks = rows.map(() => '?').join(', ')
        const variants = await reader.all<VariantRow>(`SELECT filename, media_id, width, height, bytes, mime FROM media_variants WHERE media_id IN (${marks})`, rows.map((r) => r.id))
        return rows.map((row) => ({ ...toStored(row, variants.filter((v) => v.media_id === row.id)), createdAt: row.created_at, noteId: row.note_id }))
      })
    },

    async forget(stored) {
      const original = await db.get<{ original: string | null }>('SELECT original FROM media WHERE id = ?', [stored.id])
      await db.write((conn) => conn.prepare('DELETE FROM media WHERE id = ?').run(stored.id))
      await Promise.all(stored.variants.map((v) => discard(join(mediaDir, v.filename))))
      if (original?.original && deps.originalsDir) await discard(join(deps.originalsDir, original.original))
    },

    async attach(urls, noteId) {
      const names = [...new Set(urls.map(filenameOf).filter((name): name is string => name !== null))]
      if (names.length === 0) return 0
      return db.write((conn) => {
        const stmt = conn.prepare('UPDATE media SET note_id = ? WHERE id = (SELECT media_id FROM media_variants WHERE filename = ?) OR (filename = ? AND processed_at IS NULL)')
        return names.reduce((count, name) => count + stmt.run(noteId, name, name).changes, 0)
      })
    },

    async start() {
      try {
        const temps = await images.sweep(mediaDir)
        const orphans = await sweepOrphans()
        if (temps + orphans > 0) logger.info('removed files an interrupted upload left', { temps, orphans })
      } catch (err) {
        logger.warn('could not clean the media directory at start', { err })
      }
      const pending = (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM media WHERE processed_at IS NULL AND refused IS NULL'))?.n ?? 0
      if (pending === 0) return
      logger.info('reprocessing uploads from before the image pipeline (metadata removed, variants made)', { total: pending })
      background = reprocessAll((p) => {
        if (p.done === p.total || p.done % 10 === 0) logger.info('reprocessing uploads', { done: p.done, total: p.total, refused: p.refused, failed: p.failed })
      }).catch((err: unknown) => logger.warn('reprocessing uploads stopped', { err }))
    },

    async close() {
      closed = true
      await images.close()
      await background
      await Promise.allSettled([...reprocessing.values()])
    },
  }
}
