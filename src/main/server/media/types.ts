import type { NamedCheck } from '../component-check'

export interface StoredMedia {
  id: number
  /** `<uuid>.<ext>`: the only name a file ever has on disk and in URLs. */
  filename: string
  mime: string
  size: number
  /** Absolute public URL (`<site>/media/<filename>`). */
  url: string
}

export interface MediaService {
  /**
   * Take a finished temp file (inside the media dir), check by content that it is an allowed image, and move it
   * atomically to its final name. Throws MEDIA_NOT_IMAGE (the temp file is removed either way).
   */
  storeTempFile(tempPath: string, size: number): Promise<StoredMedia>
  /** A fresh temp path in the media directory (same filesystem, so the final rename is atomic). */
  tempPath(): string
  /**
   * Make sure the media directory exists before writing into it (mkdir -p: a deleted one is created again).
   * Throws MEDIA_STORAGE_UNAVAILABLE (503) when it cannot be used (a file in its place, EACCES, EROFS...).
   */
  ensureDir(): Promise<void>
  /** Delete a temp file, ignoring one that is already gone. */
  discard(tempPath: string): Promise<void>
  /** Look up a served file by name; null for anything not in the table (including traversal attempts). */
  find(filename: string): Promise<{ filename: string; mime: string; size: number } | null>
  /** Attach media referenced by URL to a note (only URLs pointing at our own /media/). Returns how many. */
  attach(urls: string[], noteId: number): Promise<number>
  /** The filename when `url` points at one of our media files, else null. */
  filenameOf(url: string): string | null
  readonly dir: string
  /** The `media` readiness component (the directory is usable). */
  readonly healthChecks: NamedCheck[]
}
