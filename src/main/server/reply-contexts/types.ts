/** What a post we respond to says about itself: shown as an h-cite above our reply, like, repost or bookmark. */
export interface ReplyContext {
  /** The target URL as our post names it (the key). */
  url: string
  /** The entry's name, or the page's title / og:title; null when it has none. */
  title: string | null
  /** A short plain-text excerpt (≤ 280 characters). */
  text: string | null
  authorName: string | null
  authorUrl: string | null
  /** Remote URL as published; pages show it only through remote media (our own copy), never hotlinked. */
  authorPhoto: string | null
  /** ISO-8601 when the page gives a readable date. */
  published: string | null
  /** ISO-8601: when it was fetched. */
  fetchedAt: string
}

export interface ReplyContextsService {
  /** What is stored for these URLs (successful fetches only), from the database: pages never wait on the network. */
  get(urls: readonly string[]): Promise<Map<string, ReplyContext>>
  /**
   * Fetch, in the background, the targets not yet known or not refreshed for a long while. Returns at once;
   * a failure leaves the plain link.
   */
  request(urls: readonly string[]): void
  /** Resolves when nothing is queued or being fetched (tests, shutdown). */
  idle(): Promise<void>
  /** Counts stored changes: pages and feeds that show contexts key their caches on it. */
  readonly version: number
  close(): Promise<void>
}
