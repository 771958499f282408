/** One answer of the site's own routes. */
export interface SiteResponse {
  status: number
  contentType: string
  body: Buffer
}

/**
 * The public site as the server renders it for a static copy at one base URL (built by the wiring from
 * the server's own routers). The exporter asks it for paths, like a visitor would.
 */
export interface SiteRenderer {
  get(path: string): Promise<SiteResponse>
  /** The small page kept at a deleted note's address. */
  gonePage(path: string): string
  close(): Promise<void>
}

/** What exists on the site, read from the notes and media (never from the pages). */
export interface SiteInventory {
  /** Slugs of published, not deleted notes. */
  publishedSlugs(): Promise<string[]>
  /** Slugs of deleted notes that had been published: their addresses become gone pages. */
  goneSlugs(): Promise<string[]>
  /** Keys of the tags visible notes carry. */
  tags(): Promise<string[]>
  /** List pages other than home and tags (e.g. one per post type): their first-page paths. */
  extraLists?(): Promise<string[]>
  /** Every served media file: name and size. */
  mediaFiles(): Promise<Array<{ filename: string; bytes: number }>>
}

export type ExportPhase = 'listing' | 'pages' | 'media' | 'cleaning' | 'done'

export interface ExportProgress {
  phase: ExportPhase
  /** Files handled so far (written or found unchanged). */
  done: number
  /** Files known so far (grows while list pages are discovered). */
  total: number
}

export interface ExportReport {
  /** Files whose bytes changed (or were new), rewritten atomically. */
  written: string[]
  /** Files already holding the same bytes: not touched. */
  unchanged: number
  /** Files of an earlier export that no longer belong to the site, deleted. */
  removed: string[]
  /** Deleted notes kept as gone pages. */
  gone: number
  /** Every file of the copy, relative to its folder. */
  files: number
  bytes: number
  /** Paths that could not be exported (e.g. a note deleted while exporting), with the status they got. */
  skipped: Array<{ path: string; status: number }>
  durationMs: number
}

export interface ExportOptions {
  /** Absolute folder to write the copy into (created when missing). */
  dir: string
  /** The copy's public URL, no trailing slash. */
  baseUrl: string
  onProgress?: (progress: ExportProgress) => void
}
