/**
 * The one table of settings. Each entry says everything about one setting: its environment variable (the
 * key), what it means, how a raw string becomes a typed value (parse) and back (format), its default, the
 * Config field it fills (path), whether it is secret, environment-only or a test hook, and what to do when
 * it is rejected. The loader, the console's fields, the README table and docs/configuration.md all derive
 * from it (the docs through `npm run docs:settings`), so a setting is described here and nowhere else.
 */
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import type { LogLevel } from '../../../shared/contract'
import {
  boolean,
  host,
  httpUrl,
  integer,
  listenUrl,
  nonEmpty,
  oneOf,
  optionalText,
  optionalUrl,
  proxyList,
  secret,
  shortText,
  urlList,
  type ParseResult,
} from './parsers'
import type { Config } from './types'

export type { ParseResult } from './parsers'
export { boolean, httpUrl, integer, oneOf, proxyList } from './parsers'

type Leaf = string | number | boolean | null | readonly unknown[]

/** Every field of Config, as a dotted path: `port`, `feed.cacheSeconds`. */
export type ConfigPath = { [K in keyof Config]: Config[K] extends Leaf ? K : `${K}.${keyof Config[K] & string}` }[keyof Config]

/** The type of the Config field at a path. */
export type ConfigAt<P extends ConfigPath> = P extends `${infer Outer}.${infer Inner}`
  ? Outer extends keyof Config
    ? Inner extends keyof Config[Outer]
      ? Config[Outer][Inner]
      : never
    : never
  : P extends keyof Config
    ? Config[P]
    : never

/** What a setting's toConfig() may look at besides its own value. */
export interface ResolveContext {
  /** Where relative paths start. */
  cwd: string
  /** NODE_ENV=production. */
  production: boolean
  /**
   * The Config being built. Every setting without toConfig() is already in place, and so is every setting
   * with one that comes earlier in the table; nothing else is.
   */
  config: Readonly<Config>
}

export interface SettingSpec<T = unknown, P extends ConfigPath = ConfigPath> {
  /** Environment variable (and config.json key) name. */
  name: string
  /** The Config field this setting fills. */
  path: P
  description: string
  /** The value when the setting is not set. */
  default: T
  /** The default as a person reads it in the README and the console; `(not set)` when it formats to ''. */
  defaultText: string
  parse(raw: string): ParseResult<T>
  /** Back to text that parse() reads as the same value ('' for "not set"). */
  format(value: T): string
  /**
   * From the setting's value to the Config field, when they differ (a relative path resolved, a default that
   * depends on other settings). Without it the value is stored as it is.
   */
  toConfig?(value: T, context: ResolveContext): ConfigAt<P>
  /** What the console and check-config show, when not format(value): the Config field, for a resolved path. */
  show?(effective: ConfigAt<P>): string
  /** Masked everywhere it is shown (messages, console, check-config). */
  secret: boolean
  /**
   * Only an environment variable may set it: config.json and the console may not (the file lives inside the
   * data dir; a path anywhere on disk; native code; requests to private networks). `envOnlyReason` says why.
   */
  envOnly: boolean
  envOnlyReason?: string
  /** A hook for tests, not for people (always environment-only). */
  testHook: boolean
  /** What to do when the value is rejected. */
  suggestion: string
}

/** An entry as written in the table below; the flags default to false, defaultText to format(default). */
type Entry<T, P extends ConfigPath> = Omit<SettingSpec<T, P>, 'name' | 'defaultText' | 'secret' | 'envOnly' | 'testHook'> &
  Partial<Pick<SettingSpec<T, P>, 'defaultText' | 'secret' | 'envOnly' | 'testHook'>>

type Spec<T, P extends ConfigPath> = Omit<SettingSpec<T, P>, 'name'>

/** A setting stored in Config as it is parsed: its type must be the Config field's. */
function setting<P extends ConfigPath, T extends ConfigAt<P>>(entry: Entry<T, P> & { toConfig?: never }): Spec<T, P>
/** A setting whose value becomes the Config field through toConfig(). */
function setting<P extends ConfigPath, T>(entry: Entry<T, P> & { toConfig(value: T, context: ResolveContext): ConfigAt<P> }): Spec<T, P>
function setting<P extends ConfigPath, T>(entry: Entry<T, P>): Spec<T, P> {
  const text = entry.format(entry.default)
  return {
    ...entry,
    defaultText: entry.defaultText ?? (text === '' ? '(not set)' : text),
    secret: entry.secret ?? false,
    envOnly: entry.envOnly ?? false,
    testHook: entry.testHook ?? false,
  }
}

/** Adds each entry's key as its name. */
function table<S extends Record<string, Spec<unknown, ConfigPath>>>(entries: S): { [K in keyof S]: S[K] & { name: K } } {
  const named: Record<string, unknown> = {}
  for (const [name, entry] of Object.entries(entries)) named[name] = { name, ...entry }
  return named as { [K in keyof S]: S[K] & { name: K } }
}

export const SESSION_SECRET_MIN_LENGTH = 32

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']

const MiB = 1024 * 1024
const DAY = 86_400

function asText<T extends string | number | boolean>(value: T): string {
  return String(value)
}
const orEmpty = (value: string | null): string => value ?? ''

/** Reader threads for this machine: one per CPU (reads run side by side), at least 2, at most 4. */
export function defaultPoolSize(cpus: number = availableParallelism()): number {
  return Math.min(4, Math.max(2, cpus))
}

/** Every setting. Order is the order of the README table and the console panel. */
export const SETTINGS = table({
  STARPUNK_SITE_URL: setting({
    path: 'siteUrl',
    description: 'Public base URL of the blog, used in links, feeds and IndieAuth. A trailing slash is removed.',
    default: null as string | null,
    defaultText: 'http://<host>:<port> (the listen address)',
    parse: httpUrl,
    format: orEmpty,
    toConfig: (url, { config }) => url ?? listenUrl(config.host, config.port),
    show: (url) => url,
    suggestion: 'Set it to the address people use to reach the blog, such as https://notes.example.com.',
  }),
  STARPUNK_LIVE_URL: setting({
    path: 'publicSite.liveUrl',
    description:
      "Public URL of this server when the blog itself is a static mirror at STARPUNK_SITE_URL: pages advertise the Micropub, IndieAuth and Webmention endpoints here. Not set: on the live server they are advertised at the site URL, and an exported mirror leaves them out.",
    default: null,
    parse: optionalUrl,
    format: orEmpty,
    suggestion: 'Set it to the address where this server answers from outside, such as https://live.notes.example.com.',
  }),
  STARPUNK_MIRROR_DIR: setting({
    path: 'publicSite.mirrorDir',
    description:
      'A folder that holds a static copy of the public site, exported again in the background after every note change (a sync tool such as rsync or rclone then publishes it). Not set: no mirror.',
    default: null as string | null,
    envOnly: true,
    envOnlyReason: 'it names a place anywhere on disk where the server writes files',
    parse: optionalText,
    format: orEmpty,
    toConfig: (dir, { cwd }) => (dir ? resolve(cwd, dir) : null),
    show: (dir) => dir ?? '',
    suggestion: 'Point it at a directory the user running StarPunk can write to, outside the data directory.',
  }),
  STARPUNK_SITE_NAME: setting({
    path: 'siteName',
    description: 'Title of the blog and name of its feeds.',
    default: 'StarPunk',
    parse: nonEmpty(200),
    format: asText,
    suggestion: 'Use a short one-line title.',
  }),
  STARPUNK_ADMIN_ME: setting({
    path: 'adminMe',
    description: "The author's identity URL (IndieAuth `me`); the only identity allowed to sign in to the admin area.",
    default: null,
    parse: optionalUrl,
    format: orEmpty,
    suggestion: 'Set it to your home page URL, such as https://example.com/.',
  }),
  STARPUNK_AUTHOR_NAME: setting({
    path: 'authorName',
    description: "Author's display name in the h-card and feeds.",
    default: 'The Author',
    parse: nonEmpty(200),
    format: asText,
    suggestion: 'Use your name as you want readers to see it.',
  }),
  STARPUNK_AUTHOR_PHOTO: setting({
    path: 'authorPhoto',
    description: "Author's photo in the h-card and feeds: an absolute http(s) URL (the admin's profile page stores an upload of this site here).",
    default: null,
    parse: optionalUrl,
    format: orEmpty,
    suggestion: 'Upload a photo on the profile page of the admin area, or give the full URL of a picture, such as https://example.com/me.jpg.',
  }),
  STARPUNK_AUTHOR_BIO: setting({
    path: 'authorBio',
    description: "A short biography shown in the site-wide h-card, at most 500 characters. Unset: none.",
    default: null,
    parse: shortText(500),
    format: orEmpty,
    suggestion: 'Write one or two sentences, at most 500 characters.',
  }),
  STARPUNK_AUTHOR_LINKS: setting({
    path: 'authorLinks',
    description: "The author's other profiles (http(s) URLs separated by spaces or commas), linked rel=\"me\" from the h-card. Unset: none.",
    default: [] as string[],
    parse: urlList(10),
    format: (links) => links.join(' '),
    suggestion: 'List full profile URLs separated by spaces, such as https://github.com/ada https://mastodon.example/@ada.',
  }),
  STARPUNK_SESSION_SECRET: setting({
    path: 'sessionSecret',
    description: `Secret for signing sessions, CSRF tokens and one-time links; at least ${SESSION_SECRET_MIN_LENGTH} characters.`,
    // Not set: the data-dir preparation reads or generates `<data dir>/session-secret` and fills it in.
    default: null as string | null,
    defaultText: '(generated on first run, kept in <data dir>/session-secret)',
    secret: true,
    parse: secret(SESSION_SECRET_MIN_LENGTH),
    format: orEmpty,
    toConfig: (value) => value ?? '',
    show: (value) => value,
    suggestion: `Use at least ${SESSION_SECRET_MIN_LENGTH} random characters (for example \`openssl rand -base64 48\`), or unset it to use the generated one.`,
  }),
  STARPUNK_HOST: setting({
    path: 'host',
    description: 'Address to listen on. The default accepts connections from this computer only.',
    default: '127.0.0.1',
    parse: host,
    format: asText,
    suggestion: 'Use 127.0.0.1 (this computer only) unless a reverse proxy on another machine must reach it.',
  }),
  STARPUNK_PORT: setting({
    path: 'port',
    description: 'TCP port to listen on (0 picks any free port).',
    default: 8080,
    parse: integer(0, 65535),
    format: asText,
    suggestion: 'Use a free port such as 8080.',
  }),
  STARPUNK_TRUSTED_PROXIES: setting({
    path: 'trustedProxies',
    description:
      'Reverse proxies whose X-Forwarded-For header is believed: IP addresses or CIDR ranges, comma-separated (also loopback, linklocal, uniquelocal). Unset: none, every client is its socket address.',
    default: [] as string[],
    parse: proxyList,
    format: (proxies) => proxies.join(', '),
    suggestion: 'List the address of your TLS reverse proxy, such as 127.0.0.1 when it runs on this computer, or leave it unset without a proxy.',
  }),
  STARPUNK_DATA_DIR: setting({
    path: 'dataDir',
    description: 'Where the database, media, logs, the generated secret and config.json live. Created on first run.',
    default: './data',
    envOnly: true,
    envOnlyReason: 'the config file lives inside the data directory',
    parse: nonEmpty(4096),
    format: asText,
    toConfig: (dir, { cwd }) => resolve(cwd, dir),
    show: (dir) => dir,
    suggestion: 'Point it at a directory the user running StarPunk can write to.',
  }),
  STARPUNK_LOG_LEVEL: setting({
    path: 'logLevel',
    description: 'Lowest level written: DEBUG, INFO, WARNING, ERROR or CRITICAL.',
    default: 'INFO',
    parse: oneOf<LogLevel>(LOG_LEVELS, { warn: 'WARNING', error: 'ERROR', fatal: 'CRITICAL' }),
    format: asText,
    suggestion: 'Use INFO normally, DEBUG while diagnosing a problem.',
  }),
  STARPUNK_LOG_FORMAT: setting<'logFormat', 'json' | 'human' | 'auto'>({
    path: 'logFormat',
    description: 'Console log format: json (one JSON object per line), human, or auto (json when NODE_ENV=production, else human). Log files are always JSON lines.',
    default: 'auto',
    parse: oneOf(['json', 'human', 'auto'] as const),
    format: asText,
    toConfig: (choice, { production }) => (choice === 'auto' ? (production ? 'json' : 'human') : choice),
    suggestion: 'Use auto, or json when a log collector reads the output.',
  }),
  STARPUNK_LOG_DIR: setting({
    path: 'logDir',
    description: 'Where the rotating log files are written.',
    default: null as string | null,
    defaultText: '<data dir>/logs',
    envOnly: true,
    envOnlyReason: 'it names a place anywhere on disk where the server writes files',
    parse: optionalText,
    format: orEmpty,
    toConfig: (dir, { cwd, config }) => (dir ? resolve(cwd, dir) : resolve(config.dataDir, 'logs')),
    show: (dir) => dir,
    suggestion: 'Point it at a directory the user running StarPunk can write to.',
  }),
  STARPUNK_LOG_FILES: setting({
    path: 'logFiles.enabled',
    description: 'Write rotating log files (in addition to the console).',
    default: true,
    parse: boolean,
    format: asText,
    suggestion: 'Use true or false.',
  }),
  STARPUNK_LOG_FILE_MAX_BYTES: setting({
    path: 'logFiles.maxBytes',
    description: 'Size at which the log file is rotated, bytes (10 MiB).',
    default: 10 * MiB,
    parse: integer(64 * 1024, 1024 * MiB, 'bytes'),
    format: asText,
    suggestion: 'Use a size in bytes such as 10485760 (10 MiB).',
  }),
  STARPUNK_LOG_FILE_COUNT: setting({
    path: 'logFiles.count',
    description: 'How many rotated log files (generations) are kept.',
    default: 10,
    parse: integer(1, 1000),
    format: asText,
    suggestion: 'Use a number such as 10.',
  }),
  STARPUNK_DB_POOL_SIZE: setting({
    path: 'db.poolSize',
    description: 'Number of database read connections in the pool (each a worker thread, started when concurrent reads need it).',
    default: null as number | null,
    defaultText: 'the CPU count, at least 2 and at most 4',
    parse: integer(1, 64),
    format: (value: number | null) => (value === null ? '' : String(value)),
    toConfig: (value: number | null) => value ?? defaultPoolSize(),
    show: (size: number) => String(size),
    suggestion: 'Use a small number such as 4; more than the CPU count rarely helps.',
  }),
  STARPUNK_DB_POOL_TIMEOUT_MS: setting({
    path: 'db.poolTimeoutMs',
    description: 'How long a request waits for a free connection before answering 503, ms.',
    default: 5000,
    parse: integer(1, 600_000, 'ms'),
    format: asText,
    suggestion: 'Use a few seconds, such as 5000.',
  }),
  STARPUNK_DB_BUSY_TIMEOUT_MS: setting({
    path: 'db.busyTimeoutMs',
    description: 'How long SQLite waits for a lock held by another writer, ms.',
    default: 5000,
    parse: integer(0, 600_000, 'ms'),
    format: asText,
    suggestion: 'Use a few seconds, such as 5000.',
  }),
  STARPUNK_DB_SLOW_QUERY_MS: setting({
    path: 'db.slowQueryMs',
    description: 'Queries slower than this are logged as slow, ms.',
    default: 250,
    parse: integer(0, 600_000, 'ms'),
    format: asText,
    suggestion: 'Use a value such as 250.',
  }),
  STARPUNK_SQLITE_NATIVE_BINDING: setting({
    path: 'db.nativeBinding',
    description: 'Path to another better-sqlite3 native binding (e.g. one built without FTS5), for the FTS5-fallback tests.',
    default: null as string | null,
    testHook: true,
    envOnly: true,
    envOnlyReason: 'it loads native code into the server (a hook for tests)',
    parse: optionalText,
    format: orEmpty,
    toConfig: (path, { cwd }) => (path ? resolve(cwd, path) : null),
    show: orEmpty,
    suggestion: 'Unset it unless you are running the FTS5 fallback tests.',
  }),
  STARPUNK_SEARCH_ENABLED: setting({
    path: 'search.enabled',
    description: 'Offer full-text search.',
    default: true,
    parse: boolean,
    format: asText,
    suggestion: 'Use true or false.',
  }),
  STARPUNK_SEARCH_ENGINE: setting({
    path: 'search.engine',
    description: 'Search engine: auto (FTS5 when SQLite has it, else LIKE), fts5, or like.',
    default: 'auto',
    parse: oneOf(['auto', 'fts5', 'like'] as const),
    format: asText,
    suggestion: 'Use auto unless you are testing a specific engine.',
  }),
  STARPUNK_SESSION_TIMEOUT: setting({
    path: 'session.timeoutSeconds',
    description: 'Admin session idle timeout, seconds (sliding on use).',
    default: DAY,
    parse: integer(60, 365 * DAY, 'seconds'),
    format: asText,
    suggestion: 'Use a value such as 86400 (one day).',
  }),
  STARPUNK_SESSION_MAX_AGE: setting({
    path: 'session.maxAgeSeconds',
    description: 'Absolute maximum age of an admin session, seconds, whatever the activity (30 days).',
    default: 30 * DAY,
    parse: integer(60, 3650 * DAY, 'seconds'),
    format: asText,
    suggestion: 'Use a value such as 2592000 (30 days), no smaller than STARPUNK_SESSION_TIMEOUT.',
  }),
  STARPUNK_INDIEAUTH_TOKEN_LIFETIME: setting({
    path: 'indieauth.tokenLifetimeSeconds',
    description:
      'Lifetime of access tokens that apps get by signing in here, seconds (90 days), extended on every use; their refresh token stays valid for another lifetime after that.',
    default: 90 * DAY,
    parse: integer(300, 3650 * DAY, 'seconds'),
    format: asText,
    suggestion: 'Use a value such as 7776000 (90 days); apps that ignore refresh tokens must sign in again after this long without use.',
  }),
  STARPUNK_HEALTH_CHECK_DETAILED: setting({
    path: 'health.detailed',
    description: 'Show detailed component checks on /health/ready to everyone.',
    default: false,
    parse: boolean,
    format: asText,
    suggestion: 'Use true or false.',
  }),
  STARPUNK_HEALTH_TOKEN: setting({
    path: 'health.token',
    description: 'Bearer token that monitors send to /health/ready to get the detailed checks.',
    default: null,
    secret: true,
    parse: optionalText,
    format: orEmpty,
    suggestion: 'Use a long random value (for example `openssl rand -hex 24`).',
  }),
  STARPUNK_MEMORY_THRESHOLD_MB: setting({
    path: 'health.memoryThresholdMb',
    description: 'Resident memory above which readiness reports a warning, MB.',
    default: 1024,
    parse: integer(16, 1024 * 1024, 'MB'),
    format: asText,
    suggestion: 'Use a value such as 1024.',
  }),
  STARPUNK_METRICS_ENABLED: setting({
    path: 'metrics.enabled',
    description:
      'Collect request metrics and sample readiness into the monitoring history (metrics.db). false: no per-request counting, no traffic or health history, no alerts, and GET /metrics answers 404; server events are still kept.',
    default: true,
    parse: boolean,
    format: asText,
    suggestion: 'Use true or false.',
  }),
  STARPUNK_METRICS_PUBLIC: setting({
    path: 'metrics.public',
    description: 'Serve GET /metrics (Prometheus text format) to everyone. Otherwise a scraper needs STARPUNK_HEALTH_TOKEN as a bearer token, or an admin session.',
    default: false,
    parse: boolean,
    format: asText,
    suggestion: 'Use true or false; keep it false unless only trusted machines can reach the server.',
  }),
  STARPUNK_METRICS_RETENTION_DAYS: setting({
    path: 'metrics.retentionDays',
    description: 'Days of monitoring history kept in <data dir>/metrics.db (1-minute traffic rollups, health samples, incidents, events). 10-second points are kept for one hour.',
    default: 30,
    parse: integer(1, 366, 'days'),
    format: asText,
    suggestion: 'Use a value such as 30.',
  }),
  STARPUNK_METRICS_MAX_MB: setting({
    path: 'metrics.maxMb',
    description: 'Size bound of <data dir>/metrics.db, MiB: past it the oldest history is pruned first, whatever its age.',
    default: 256,
    parse: integer(8, 1024 * 1024, 'MiB'),
    format: asText,
    suggestion: 'Use a value such as 256.',
  }),
  STARPUNK_HEALTH_SAMPLE_SECONDS: setting({
    path: 'metrics.healthSampleSeconds',
    description: 'How often every readiness check is run and stored in the health history (heartbeats, uptime, incidents), seconds.',
    default: 30,
    parse: integer(5, 3600, 'seconds'),
    format: asText,
    suggestion: 'Use a value such as 30.',
  }),
  STARPUNK_ALERT_SAMPLES: setting({
    path: 'metrics.alertSamples',
    description: 'Readiness must stay warn or fail (or pass again) for this many samples in a row before a notification is shown, so a flapping check does not alert each time. Incidents still open at the first bad sample.',
    default: 2,
    parse: integer(1, 100),
    format: asText,
    suggestion: 'Use a value such as 2.',
  }),
  STARPUNK_DISK_WARN_PERCENT: setting({
    path: 'metrics.diskWarnPercent',
    description: "Readiness warns (disk:usage) when the data directory's disk is fuller than this, percent.",
    default: 90,
    parse: integer(1, 100, 'percent'),
    format: asText,
    suggestion: 'Use a value such as 90.',
  }),
  STARPUNK_FEED_MAX_ITEMS: setting({
    path: 'feed.maxItems',
    description: 'Items per feed.',
    default: 50,
    parse: integer(1, 1000),
    format: asText,
    suggestion: 'Use a value such as 50.',
  }),
  STARPUNK_FEED_MAX_BYTES: setting({
    path: 'feed.maxBytes',
    description:
      "Most note HTML in one feed, UTF-8 bytes: notes go in newest first, up to STARPUNK_FEED_MAX_ITEMS, while their HTML stays within this (the newest always goes in). Keeps a feed of long notes a size feed readers fetch, and what building it costs the server.",
    default: 512 * 1024,
    parse: integer(64 * 1024, 64 * MiB, 'bytes'),
    format: asText,
    suggestion: 'Use a size in bytes such as 524288 (512 KiB).',
  }),
  STARPUNK_CACHE_MAX_AGE: setting({
    path: 'cache.maxAge',
    description:
      "How long a browser or feed reader may reuse a public page or feed without asking again, seconds (Cache-Control max-age). 0 makes them ask every time, answered 304 while nothing changed, so the author sees a new note on reload. The server keeps each built page until a note changes, whatever this says.",
    default: 0,
    parse: integer(0, DAY, 'seconds'),
    format: asText,
    suggestion: 'Use a value such as 0 (browsers always revalidate) or 60.',
  }),
  STARPUNK_CACHE_S_MAXAGE: setting({
    path: 'cache.sMaxAge',
    description:
      'How long a shared cache (a reverse proxy such as nginx or Caddy, a CDN) may answer for a public page or feed without asking again, seconds (Cache-Control s-maxage). A new note shows up there within this time.',
    default: 60,
    parse: integer(0, DAY, 'seconds'),
    format: asText,
    suggestion: 'Use a value such as 60.',
  }),
  STARPUNK_CACHE_STALE_WHILE_REVALIDATE: setting({
    path: 'cache.staleWhileRevalidate',
    description:
      'After max-age or s-maxage ran out, how long a cache may still answer with its copy while it revalidates in the background, seconds (Cache-Control stale-while-revalidate). 0 leaves the directive out.',
    default: 60,
    parse: integer(0, 30 * DAY, 'seconds'),
    format: asText,
    suggestion: 'Use a value such as 60.',
  }),
  STARPUNK_CACHE_STALE_IF_ERROR: setting({
    path: 'cache.staleIfError',
    description:
      'How long a cache may keep answering with its copy of a public page or feed while this server cannot be reached or fails, seconds (Cache-Control stale-if-error): a CDN keeps serving the blog while the desktop sleeps. 0 leaves the directive out.',
    default: 604_800,
    parse: integer(0, 365 * DAY, 'seconds'),
    format: asText,
    suggestion: 'Use a value such as 604800 (one week).',
  }),
  STARPUNK_FAST_PATH: setting({
    path: 'fastPath',
    description:
      'Answer repeat requests for cached public pages and feeds (and GET /health) before the middleware stack, with the same headers and bytes, the request ID, access line and metrics. false sends every request through the full stack (to compare, or to rule it out while diagnosing).',
    default: true,
    parse: boolean,
    format: asText,
    suggestion: 'Use true, or false to send every request through the full stack.',
  }),
  STARPUNK_FEED_CACHE_SECONDS: setting({
    path: 'feed.cacheSeconds',
    description:
      'Deprecated: use STARPUNK_CACHE_MAX_AGE, which applies to pages and feeds alike. When set, it still replaces STARPUNK_CACHE_MAX_AGE for the feeds only (their Cache-Control max-age, seconds), and startup warns.',
    default: null as number | null,
    parse: integer(0, DAY, 'seconds'),
    format: (value: number | null) => (value === null ? '' : String(value)),
    suggestion: 'Remove it and set STARPUNK_CACHE_MAX_AGE instead.',
  }),
  STARPUNK_MEDIA_MAX_BYTES: setting({
    path: 'media.maxUploadBytes',
    description: 'Largest accepted media upload, bytes (10 MiB).',
    default: 10 * MiB,
    parse: integer(1024, 1024 * MiB, 'bytes'),
    format: asText,
    suggestion: 'Use a size in bytes such as 10485760 (10 MiB).',
  }),
  STARPUNK_IMAGE_MAX_PIXELS: setting({
    path: 'media.maxImagePixels',
    description: 'Largest accepted image, width × height in pixels (50 megapixels; an animation counts every frame). Larger ones are refused before they are decoded.',
    default: 50_000_000,
    parse: integer(100_000, 1_000_000_000, 'pixels'),
    format: asText,
    suggestion: 'Use a pixel count such as 50000000 (50 megapixels).',
  }),
  STARPUNK_KEEP_ORIGINALS: setting({
    path: 'media.keepOriginals',
    description: 'Also keep each uploaded photo exactly as it arrived (with its GPS position and camera data) in <data dir>/originals, a folder that is never served. Off: only the cleaned, resized copies are stored.',
    default: false,
    parse: boolean,
    format: asText,
    suggestion: 'Use true or false.',
  }),
  STARPUNK_BACKUP_KEEP: setting({
    path: 'backup.keep',
    description: 'How many archives "Back up now" (console and admin) keeps in <data dir>/backups; after each new one the oldest beyond this number are deleted. Archives written elsewhere with npm run backup are never deleted.',
    default: 7,
    parse: integer(1, 1000, 'archives'),
    format: asText,
    suggestion: 'Use a count such as 7.',
  }),
  STARPUNK_MAX_BODY_BYTES: setting({
    path: 'maxBodyBytes',
    description: 'Largest accepted form or JSON request body, bytes (1 MiB).',
    default: MiB,
    parse: integer(1024, 1024 * MiB, 'bytes'),
    format: asText,
    suggestion: 'Use a size in bytes such as 1048576 (1 MiB).',
  }),
  STARPUNK_WEBSUB_HUB: setting({
    path: 'websubHub',
    description:
      'A WebSub hub (such as https://pubsubhubbub.appspot.com/ or https://websub.superfeedr.com/) that readers subscribe to for instant updates: pages and feeds name it (rel="hub"), and it is pinged in the background after every publish, edit and delete. Unset: none.',
    default: null,
    parse: optionalUrl,
    format: orEmpty,
    suggestion: 'Give the full URL of the hub, such as https://pubsubhubbub.appspot.com/.',
  }),
  STARPUNK_FETCH_ENABLED: setting({
    path: 'fetch.enabled',
    description: 'Let the server make requests to other sites (IndieAuth sign-in and discovery, external token checks). false turns every outbound request off.',
    default: true,
    parse: boolean,
    format: asText,
    suggestion: 'Use true, or false to keep the server from contacting other sites.',
  }),
  STARPUNK_WEBMENTION_MODERATION: setting({
    path: 'webmention.moderation',
    description:
      'Which received Webmentions are shown without your approval: approve-likes-reposts (likes and reposts at once; replies, mentions, bookmarks and RSVPs wait in /admin/webmentions), approve-all, or hold-all.',
    default: 'approve-likes-reposts',
    parse: oneOf(['approve-likes-reposts', 'approve-all', 'hold-all'] as const),
    format: asText,
    suggestion: 'Use approve-likes-reposts (the default), approve-all or hold-all.',
  }),
  STARPUNK_FETCH_ALLOW_PRIVATE: setting({
    path: 'fetch.allowPrivate',
    description: 'Let outbound requests reach loopback, private, link-local and unique-local addresses (tests, two servers on one machine or a private network).',
    default: false,
    envOnly: true,
    envOnlyReason: 'it lets the server send requests to this computer and its private network',
    parse: boolean,
    format: asText,
    suggestion: 'Use false unless the IndieAuth server or site you sign in with runs on this machine or a private network.',
  }),
  STARPUNK_MAX_NOTE_BYTES: setting({
    path: 'maxNoteBytes',
    description: 'Largest accepted note text (Markdown or HTML), UTF-8 bytes (256 KiB: a long article several times over).',
    default: 256 * 1024,
    parse: integer(1024, 16 * MiB, 'bytes'),
    format: asText,
    suggestion: 'Use a size in bytes such as 262144 (256 KiB).',
  }),
  STARPUNK_EXCERPT_ABOVE_BYTES: setting({
    path: 'excerptAboveBytes',
    description:
      "On the home page and tag pages, a note whose HTML is longer than this, UTF-8 bytes, shows as the start of its text with a link to the whole note (its own page and the feeds always carry all of it). Keeps a page of long notes quick to load.",
    default: 16 * 1024,
    parse: integer(1024, 16 * MiB, 'bytes'),
    format: asText,
    suggestion: 'Use a size in bytes such as 16384 (16 KiB).',
  }),
  STARPUNK_PUBLISH_LOCATION: setting({
    path: 'publishLocation',
    description:
      'Show the location a post carries (location, geo, checkin coordinates that phone apps send) on its page and in feeds. Off: stored and returned to Micropub clients that can edit, never published. Each post can override this in the admin editor.',
    default: false,
    parse: boolean,
    format: asText,
    suggestion: 'Use true or false.',
  }),
  STARPUNK_NOTES_PER_PAGE: setting({
    path: 'notesPerPage',
    description: 'Notes per page on the home page and archives.',
    default: 20,
    parse: integer(1, 200),
    format: asText,
    suggestion: 'Use a value such as 20.',
  }),
})

export type SettingName = keyof typeof SETTINGS
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[]

export function isSettingName(name: string): name is SettingName {
  return Object.prototype.hasOwnProperty.call(SETTINGS, name)
}

/** Every setting, typed loosely enough to loop over (each entry's own types hold in the table above). */
export function allSettings(): SettingSpec[] {
  return SETTING_NAMES.map((name) => SETTINGS[name] as SettingSpec)
}

/** Config fields no setting fills: the loader derives them (paths inside the data dir, NODE_ENV). */
export const DERIVED_PATHS = ['databasePath', 'mediaDir', 'production', 'staticCopy'] as const satisfies readonly ConfigPath[]

/** Compiles only when `Missing` is empty: names the Config fields that neither a setting nor the loader fills. */
type NoneMissing<Missing extends never> = Missing
/** Every Config field is filled: by one setting (its `path`) or derived by the loader. */
export type EveryConfigFieldFilled = NoneMissing<Exclude<ConfigPath, (typeof SETTINGS)[SettingName]['path'] | (typeof DERIVED_PATHS)[number]>>

/**
 * Settings that existed once. Met in config.json or the environment they give a warning, never a failure,
 * so a file written by an older version still starts. The reason completes "… is no longer a setting: ".
 */
export const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
  STARPUNK_DEV_MODE: 'it never changed anything',
}

/** Config fields that group several settings (`logFiles`, `db`, ...). */
export type ConfigGroup = { [K in keyof Config]: Config[K] extends Leaf ? never : K }[keyof Config]

/**
 * A group's defaults, from the table: for code that takes part of a Config and must fill what a caller left
 * out (a test's logging without log-file settings), without restating the defaults.
 */
export function defaultsOf<G extends ConfigGroup>(group: G): Config[G] {
  const values: Record<string, unknown> = {}
  for (const setting of allSettings()) {
    const [outer, inner] = setting.path.split('.')
    if (outer === group && inner !== undefined && !setting.toConfig) values[inner] = setting.default
  }
  // Every field of a group is a plain setting for the groups this is used for; settings.test.ts checks it.
  return values as Config[G]
}
