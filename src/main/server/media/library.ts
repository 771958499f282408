import { readdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { loadSharp } from '../images'
import type { Db } from '../db'
import { appError } from '../errors'
import type { Logger } from '../logging'
import { MEDIA_NAME } from './service'

/** A note that shows an upload (in its Markdown or as one of its photos). */
export interface MediaUse {
  slug: string
  title: string | null
  published: boolean
  deleted: boolean
}

export interface LibraryItem {
  filename: string
  url: string
  mime: string
  /** Bytes on disk: the upload and every resized copy of it. */
  bytes: number
  width: number | null
  height: number | null
  createdAt: string
  usedBy: MediaUse[]
  /** The catalog code when the image checks refused this (older) upload: it is never served. */
  refused: string | null
  /** False for an upload from before the image pipeline not yet cleaned (served only once cleaned). */
  processed: boolean
}

export interface MediaLibrary {
  /** Every upload, newest first, with the notes that use it; and the bytes all of them take. */
  list(): Promise<{ items: LibraryItem[]; totalBytes: number }>
  /** Delete an upload no note uses: its row and all its files. NOT_FOUND, or MEDIA_IN_USE (409) naming the count. */
  remove(filename: string): Promise<void>
}

export interface MediaLibraryDeps {
  db: Db
  mediaDir: string
  logger: Logger
  siteBase: () => string
  /** Where kept originals live (never served); an upload's original goes with it. */
  originalsDir?: string
}

interface MediaRow {
  id: number
  filename: string
  mime: string
  size: number
  created_at: string
  width?: number | null
  height?: number | null
  /** File name of the kept original in originalsDir, when one was kept. */
  original?: string | null
  refused?: string | null
  processed_at?: string | null
}

/** `<uuid>` of `<uuid>.<ext>`: every copy of one upload (`<uuid>-640.jpg`...) starts with it. */
function baseOf(filename: string): string {
  return filename.slice(0, 36)
}

/** The files of each upload in the media dir, by base name (resized copies are `<uuid>-<width>.<ext>`). */
async function filesByBase(mediaDir: string): Promise<Map<string, string[]>> {
  const byBase = new Map<string, string[]>()
  let names: string[]
  try {
    names = await readdir(mediaDir)
  } catch {
    // No media dir (yet): nothing on disk, the rows still list.
    return byBase
  }
  for (const name of names) {
    const match = /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})(?:-\d{2,4})?\.[a-z]{3,4}$/.exec(name)
    if (!match) continue
    const list = byBase.get(match[1]!) ?? []
    list.push(name)
    byBase.set(match[1]!, list)
  }
  return byBase
}

/**
 * The admin media library: what is stored, how big it is, who uses it. "Used" is read from the notes
 * themselves (their Markdown and photo properties name the upload's URL), not only from media.note_id, so
 * an upload a note links to by hand counts too; notes in the trash count, as they can come back.
 */
export function createMediaLibrary(deps: MediaLibraryDeps): MediaLibrary {
  const { db, mediaDir } = deps

  async function usesOf(filename: string): Promise<MediaUse[]> {
    // The UUID is hex and dashes only, so it needs no LIKE escaping; it matches every variant's name too.
    // media.note_id is not asked: it still names a note after the editor removed the photo from it.
    const pattern = `%/media/${baseOf(filename)}%`
    const rows = await db.all<{ slug: string; title: string | null; published: number; deleted_at: string | null }>(
      'SELECT slug, title, published, deleted_at FROM notes WHERE content LIKE ? OR properties LIKE ? ORDER BY created_at DESC',
      [pattern, pattern],
    )
    return rows.map((row) => ({ slug: row.slug, title: row.title, published: row.published === 1, deleted: row.deleted_at !== null }))
  }

  async function dimensions(row: MediaRow): Promise<{ width: number | null; height: number | null }> {
    if (typeof row.width === 'number' && typeof row.height === 'number') return { width: row.width, height: row.height }
    try {
      // Header only: sharp reads the size without decoding the pixels.
      const sharp = await loadSharp()
      const meta = await sharp(join(mediaDir, row.filename)).metadata()
      // EXIF Orientation 5-8 turns the picture a quarter: shown upright, its sides swap.
      const sideways = (meta.orientation ?? 1) >= 5
      const width = meta.width ?? null
      const height = meta.height ?? null
      return sideways ? { width: height, height: width } : { width, height }
    } catch {
      return { width: null, height: null }
    }
  }

  return {
    async list() {
      const rows = await db.all<MediaRow>('SELECT * FROM media ORDER BY created_at DESC, id DESC')
      const onDisk = await filesByBase(mediaDir)
      const items: LibraryItem[] = []
      let totalBytes = 0
      for (const row of rows) {
        let bytes = 0
        for (const name of onDisk.get(baseOf(row.filename)) ?? []) {
          bytes += await stat(join(mediaDir, name)).then((s) => s.size, () => 0)
        }
        totalBytes += bytes
        items.push({
          filename: row.filename,
          url: `${deps.siteBase()}/media/${row.filename}`,
          mime: row.mime,
          bytes,
          ...(await dimensions(row)),
          createdAt: row.created_at,
          usedBy: await usesOf(row.filename),
          refused: typeof row.refused === 'string' ? row.refused : null,
          processed: row.processed_at === undefined || row.processed_at !== null,
        })
      }
      return { items, totalBytes }
    },

    async remove(filename) {
      if (!MEDIA_NAME.test(filename)) throw appError('NOT_FOUND')
      const row = await db.get<MediaRow>('SELECT * FROM media WHERE filename = ?', [filename])
      if (!row) throw appError('NOT_FOUND')
      const uses = await usesOf(filename)
      if (uses.length > 0) throw appError('MEDIA_IN_USE', { vars: { count: uses.length === 1 ? '1 note' : `${uses.length} notes` } })
      // The row first: once it is gone nothing serves the files, so removing them after cannot break a page.
      await db.write((conn) => conn.prepare('DELETE FROM media WHERE id = ?').run(row.id))
      const files = (await filesByBase(mediaDir)).get(baseOf(filename)) ?? []
      for (const name of files) await unlink(join(mediaDir, name)).catch(() => undefined)
      if (deps.originalsDir && typeof row.original === 'string' && /^[\w.-]+$/.test(row.original)) {
        await unlink(join(deps.originalsDir, row.original)).catch(() => undefined)
      }
      deps.logger.info('media deleted', { filename, files: files.length })
    },
  }
}
