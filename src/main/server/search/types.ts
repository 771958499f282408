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
}

export interface SearchQuery {
  q: string
  limit: number
  offset: number
  /** Admin sessions see drafts and deleted notes. */
  includeDrafts?: boolean
}

export interface SearchService {
  /** Which engine answers, or null when search is disabled by configuration. */
  readonly engine: SearchEngineName | null
  search(query: SearchQuery): Promise<{ hits: SearchHit[]; total: number }>
}
