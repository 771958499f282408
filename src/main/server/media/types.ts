import type { NamedCheck } from '../component-check'

export interface MediaVariant {
  /** `<uuid>.<ext>` for the largest, `<uuid>-<width>.<ext>` for the others. */
  filename: string
  url: string
  width: number
  height: number
  bytes: number
  mime: string
}

export interface StoredMedia {
  id: number
  /** `<uuid>.<ext>`: the largest variant, the name the upload's URL has always had. */
  filename: string
  /** Type of the served file (a HEIC upload is served as image/jpeg). */
  mime: string
  /** Bytes of the largest variant. */
  size: number
  /** Absolute public URL (`<site>/media/<filename>`) of the largest variant. */
  url: string
  /** Size of the largest variant (null for an upload from before the image pipeline not yet reprocessed). */
  width: number | null
  height: number | null
  /** Every served file of the upload, narrowest first (the largest last); empty until processed. */
  variants: MediaVariant[]
}

export interface MediaItem extends StoredMedia {
  createdAt: string
  noteId: number | null
}

/** What the media route serves for one file name. */
export interface ServedFile {
  filename: string
  mime: string
  size: number
}

export interface StoreOptions {
  /** The Content-Type the client gave the part (checked against the bytes). */
  declaredType?: string
  /** The client's file name (its extension is checked against the bytes; never used for storage). */
  declaredName?: string
}

export interface ReprocessProgress {
  done: number
  total: number
  refused: number
  /** Failed for a reason of ours (disk, overload): still unprocessed, tried again next time. */
  failed: number
}

export interface MediaService {
  /**
   * Take a finished temp file (inside the media dir) through the image pipeline (type from the bytes,
   * metadata stripped, upright, HEIC to JPEG, variants), then record it: files first, then the row and its
   * variants in one transaction. Throws the pipeline's catalog errors (IMAGE_*) or MEDIA_STORAGE_UNAVAILABLE.
   * The temp file is removed either way, and a failure leaves no file and no row.
   */
  storeTempFile(tempPath: string, options?: StoreOptions): Promise<StoredMedia>
  /** A fresh temp path in the media directory (same filesystem, so the final rename is atomic). */
  tempPath(): string
  /**
   * Make sure the media directory exists before writing into it (mkdir -p: a deleted one is created again).
   * Throws MEDIA_STORAGE_UNAVAILABLE (503) when it cannot be used (a file in its place, EACCES, EROFS...).
   */
  ensureDir(): Promise<void>
  /** Delete a temp file, ignoring one that is already gone. */
  discard(tempPath: string): Promise<void>
  /**
   * Look up a served file by name (the largest or any variant); null for anything not in the table
   * (traversal attempts included) and for an old upload the pipeline refused. An old upload not yet
   * reprocessed is processed first, so nothing with its camera metadata is ever served.
   */
  find(filename: string): Promise<ServedFile | null>
  /** Uploads with their variants by file name (largest or variant name): for srcset, width/height, feeds. */
  describe(filenames: string[]): Promise<Map<string, StoredMedia>>
  /** The newest uploads first (the Micropub media query, the admin media library). */
  list(options: { limit: number; offset: number }): Promise<MediaItem[]>
  /** Undo a store whose post was then refused: its row and every file of it (and a kept original). */
  forget(stored: StoredMedia): Promise<void>
  /** Attach media referenced by URL to a note (only URLs pointing at our own /media/). Returns how many. */
  attach(urls: string[], noteId: number): Promise<number>
  /** The filename when `url` points at one of our media files, else null. */
  filenameOf(url: string): string | null
  /**
   * At start-up: remove what a crash left (temp files, variant files without a row). Then, in the
   * background, reprocess every upload from before the image pipeline, once (progress in the log).
   */
  start(): Promise<void>
  /** Reprocess every upload not yet processed; resolves with the counts. */
  reprocessAll(onProgress?: (progress: ReprocessProgress) => void): Promise<ReprocessProgress>
  /** Stop the background reprocessing and close the image service. */
  close(): Promise<void>
  readonly dir: string
  /** The `media` readiness component (the directory is usable). */
  readonly healthChecks: NamedCheck[]
}
