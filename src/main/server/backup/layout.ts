/**
 * What a backup holds, by name: the files of the data directory that are the blog. The archive uses the
 * same names as the data directory, so a restored archive is a data directory. Logs are not in it (they
 * are history, not the blog, and can be large); neither are the backups themselves.
 */
import { join } from 'node:path'
import { CONFIG_FILE_NAME, SECRET_FILE_NAME } from '../config'

/** The notes database's name in the archive (`config.databasePath` is always `<data dir>/starpunk.db`). */
export const NOTES_DB = 'starpunk.db'
/** The monitoring history, its own SQLite file (metrics/service.ts METRICS_DB_FILE). */
export const METRICS_DB = 'metrics.db'
export const MANIFEST = 'manifest.json'
/** Folders of plain files, no subfolders: uploads with their variants, and the originals kept on request. */
export const MEDIA_DIR = 'media'
export const ORIGINALS_DIR = 'originals'
/** Where the console's and the admin's "Back up now" write, inside the data directory. */
export const BACKUPS_DIR = 'backups'

export const ARCHIVE_FORMAT = 'starpunk-backup'
export const ARCHIVE_VERSION = 1

/** The single files an archive may hold, besides what is under the folders. */
export const ARCHIVE_FILES = [MANIFEST, NOTES_DB, METRICS_DB, CONFIG_FILE_NAME, SECRET_FILE_NAME] as const
export const ARCHIVE_DIRS = [MEDIA_DIR, ORIGINALS_DIR] as const

/**
 * A media or original file name: what the media service writes (`<uuid>.<ext>`, `<uuid>-<width>.<ext>`).
 * No leading dot, so its temp files (`.upload-….tmp`, `.image-….tmp`) are never backed up.
 */
export const STORED_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$/

export interface DataLayout {
  dataDir: string
  /** The notes database (`config.databasePath`). */
  databasePath: string
  mediaDir: string
  /** An alternative better-sqlite3 native binding (the test hook `STARPUNK_SQLITE_NATIVE_BINDING`). */
  nativeBinding: string | null
}

export function layoutPaths(layout: DataLayout) {
  return {
    metricsDb: join(layout.dataDir, METRICS_DB),
    originalsDir: join(layout.dataDir, ORIGINALS_DIR),
    configFile: join(layout.dataDir, CONFIG_FILE_NAME),
    secretFile: join(layout.dataDir, SECRET_FILE_NAME),
    backupsDir: join(layout.dataDir, BACKUPS_DIR),
  }
}

/**
 * Whether an archive entry may be restored: one of the known files, one of the two folders, or a plain
 * file name directly inside one of them. Absolute paths, `..`, `.`, backslashes, empty segments and
 * anything else are refused, so nothing can land outside the target or be a surprise in it.
 */
export function entryProblem(rawPath: string, type: string): string | null {
  const isDir = type === 'Directory'
  const isFile = type === 'File' || type === 'OldFile'
  if (!isDir && !isFile) return `"${printable(rawPath)}" is a ${type === 'SymbolicLink' ? 'symbolic link' : type === 'Link' ? 'hard link' : `${type} entry`}, not a plain file`
  if (rawPath.startsWith('/') || /^[A-Za-z]:/.test(rawPath) || rawPath.includes('\\')) return `"${printable(rawPath)}" is an absolute path`
  const path = isDir ? rawPath.replace(/\/$/, '') : rawPath
  const segments = path.split('/')
  if (segments.some((s) => s === '..')) return `"${printable(rawPath)}" climbs out of the archive (..)`
  if (segments.some((s) => s === '' || s === '.')) return `"${printable(rawPath)}" is not a plain path`
  if (segments.length === 1) {
    if (isDir ? (ARCHIVE_DIRS as readonly string[]).includes(path) : (ARCHIVE_FILES as readonly string[]).includes(path)) return null
    return `"${printable(rawPath)}" is not part of a StarPunk backup`
  }
  const [dir, name] = segments
  if (segments.length === 2 && isFile && (ARCHIVE_DIRS as readonly string[]).includes(dir ?? '') && STORED_FILE_NAME.test(name ?? '')) return null
  return `"${printable(rawPath)}" is not part of a StarPunk backup`
}

/** An entry name as it may be shown: control characters replaced, length bounded. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?')
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean
}
