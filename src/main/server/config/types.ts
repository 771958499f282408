import type { LogLevel } from '../../../shared/contract'

export type LogFormat = 'json' | 'human'
export type SearchEngineChoice = 'auto' | 'fts5' | 'like'

/** The whole, typed, validated configuration. Built once by loadConfig(); nothing reads process.env elsewhere. */
export interface Config {
  /** Public base URL, no trailing slash (e.g. http://127.0.0.1:8080). */
  siteUrl: string
  siteName: string
  /** The single author's identity URL (IndieAuth `me`); null until configured. */
  adminMe: string | null
  /** WebSub hub advertised in pages and feeds and pinged after note changes (null: none). */
  websubHub: string | null
  /** Author display name for the h-card. */
  authorName: string
  /** The author's photo (an absolute URL, usually an upload of this site) for the h-card and feeds; null for none. */
  authorPhoto: string | null
  /** A short biography shown in the site-wide h-card; null for none. */
  authorBio: string | null
  /** The author's other profiles, linked rel="me" from the h-card (IndieWeb identity consolidation). */
  authorLinks: string[]
  /** Secret for HMACs (CSRF tokens, one-time links). Generated and persisted on first run. */
  sessionSecret: string
  host: string
  port: number
  /** Proxies whose X-Forwarded-For is believed (Express `trust proxy`); empty: trust none. */
  trustedProxies: string[]
  dataDir: string
  /** Where the SQLite file lives (default `<dataDir>/starpunk.db`). */
  databasePath: string
  /** Where rotating log files live (default `<dataDir>/logs`). */
  logDir: string
  /** Where uploaded media live (default `<dataDir>/media`). */
  mediaDir: string
  logLevel: LogLevel
  /** Console format, resolved from STARPUNK_LOG_FORMAT (auto → json when NODE_ENV=production). */
  logFormat: LogFormat
  /** Rotating JSON-lines log files in logDir. */
  logFiles: {
    enabled: boolean
    /** Rotate when the current file reaches this size, bytes. */
    maxBytes: number
    /** Rotated generations kept. */
    count: number
  }
  db: {
    poolSize: number
    poolTimeoutMs: number
    busyTimeoutMs: number
    slowQueryMs: number
    /** Test hook: path to an alternative better-sqlite3 native binding (e.g. one built without FTS5). */
    nativeBinding: string | null
  }
  search: {
    enabled: boolean
    engine: SearchEngineChoice
  }
  session: {
    /** Idle timeout, seconds; sliding on use. */
    timeoutSeconds: number
    /** Absolute maximum session age, seconds, whatever the activity. */
    maxAgeSeconds: number
  }
  indieauth: {
    /** Access tokens from the built-in provider expire this long after their last use, seconds. */
    tokenLifetimeSeconds: number
  }
  health: {
    detailed: boolean
    token: string | null
    memoryThresholdMb: number
  }
  /** Monitoring: GET /metrics, the history in <dataDir>/metrics.db, health sampling and alerts. */
  metrics: {
    /** Request metrics, sampling and the monitoring history (false: all off, /metrics 404). */
    enabled: boolean
    /** GET /metrics answers everyone (else: the health token or an admin session). */
    public: boolean
    /** Days of history kept (1-minute rollups, health samples, incidents, events). */
    retentionDays: number
    /** Size bound of metrics.db, MiB: past it the oldest history goes first. */
    maxMb: number
    /** How often every readiness check is sampled into the health history, seconds. */
    healthSampleSeconds: number
    /** A readiness status must hold this many samples in a row before it alerts. */
    alertSamples: number
    /** Readiness warns when the data directory's disk is fuller than this, percent. */
    diskWarnPercent: number
  }
  feed: {
    maxItems: number
    /** Most note HTML in one feed, bytes (the newest note always goes in). */
    maxBytes: number
    /** Deprecated STARPUNK_FEED_CACHE_SECONDS: when set, the feeds' max-age instead of cache.maxAge. */
    cacheSeconds: number | null
  }
  /** Answer cached public pages, feeds and /health before Express. */
  fastPath: boolean
  /** Cache-Control of public pages and feeds (one family for both). */
  cache: {
    /** max-age, seconds: browsers and feed readers. */
    maxAge: number
    /** s-maxage, seconds: shared caches (reverse proxies, CDNs). */
    sMaxAge: number
    /** stale-while-revalidate, seconds (0: left out). */
    staleWhileRevalidate: number
    /** stale-if-error, seconds (0: left out). */
    staleIfError: number
  }
  media: {
    maxUploadBytes: number
    /** Largest accepted image, width × height (× frames for an animation). */
    maxImagePixels: number
    /** Keep each upload as it arrived in <dataDir>/originals (never served). */
    keepOriginals: boolean
  }
  /** "Back up now" into <dataDir>/backups. */
  backup: {
    /** Archives kept there; the oldest beyond this are deleted after each new one. */
    keep: number
  }
  /** Largest accepted request body for forms/JSON, bytes. */
  maxBodyBytes: number
  /** Largest accepted note text, UTF-8 bytes (admin form, Micropub, import). */
  maxNoteBytes: number
  /** Requests the server makes to other sites (the outbound module). */
  fetch: {
    enabled: boolean
    /** Allow loopback and private-network targets. */
    allowPrivate: boolean
  }
  /** Webmentions received: what is shown without the author's approval. */
  webmention: {
    moderation: 'approve-all' | 'approve-likes-reposts' | 'hold-all'
  }
  /** Home and tag pages show a note whose HTML is longer than this, bytes, as an excerpt. */
  excerptAboveBytes: number
  /** Publish posts' location properties (each post may override it). Default false: kept private. */
  publishLocation: boolean
  notesPerPage: number
  /** When the public site is also published as static files (site-export). */
  publicSite: {
    /** This server's own public URL when the site URL is a static mirror: where the endpoints are advertised. */
    liveUrl: string | null
    /** A folder re-exported after every note change; null: no mirror. */
    mirrorDir: string | null
  }
  /**
   * Pages rendered for a static copy (set only by the site export, never by a setting): endpoint links only
   * at publicSite.liveUrl, path-based pagination, the search form sent to the live server.
   */
  staticCopy: boolean
  /** NODE_ENV=production. */
  production: boolean
}
