export type SearchEngineName = 'fts5' | 'like'

export interface SearchHit {
  slug: string
  title: string | null
  /** HTML: the matching excerpt, every character escaped except the <mark> wrappers. */
  snippet: string
  createdAt: string
  published: boolean
  /** Engine score (bm25 for FTS5; 0 for LIKE). Lower is better for bm25. */
  rank: number
  /** Set when the note is in the trash (only admin searches return such notes). */
  deletedAt: string | null
}

export interface SearchQuery {
  q: string
  limit: number
  offset: number
  /** Admin sessions see drafts and deleted notes. */
  includeDrafts?: boolean
}

/** What the console and /health/ready show about search. */
export interface SearchStatus {
  /** The engine answering, or 'disabled' by configuration. */
  engine: SearchEngineName | 'disabled'
  /** The configured choice (auto | fts5 | like). */
  configured: 'auto' | 'fts5' | 'like'
  /** Whether this SQLite has the FTS5 module (probed once at startup). */
  fts5Available: boolean
  sqliteVersion: string
  /** Why this engine was chosen, in one sentence. */
  reason: string
  /** What startup found and did to the index, e.g. "in sync", "rebuilt: index missing". */
  indexState: string
}

export interface SearchService {
  /** Which engine answers, or null when search is disabled by configuration. */
  readonly engine: SearchEngineName | null
  /** Throws BAD_REQUEST (400) for queries that cannot be searched, SEARCH_DISABLED when turned off. */
  search(query: SearchQuery): Promise<{ hits: SearchHit[]; total: number }>
  status(): SearchStatus
}
