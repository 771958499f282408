/**
 * The one table of settings: environment variable name, default, meaning, and how a raw string becomes a
 * typed value. loadConfig() (startup), the README table and the console's config panel all read it, so a
 * setting is described in exactly one place.
 */
import { isIP } from 'node:net'
import type { LogLevel } from '../../../shared/contract'

/** A parsed value, or a reason the raw string is unacceptable (one sentence, no trailing period). */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string }

export interface SettingSpec<T = unknown> {
  /** Environment variable (and config.json key) name. */
  name: string
  /** Default as a person reads it in the README; `null` means "not set". */
  defaultText: string
  description: string
  /** Masked everywhere it is shown (messages, console, check-config). */
  secret: boolean
  /**
   * Settings that only an environment variable can set: neither config.json nor the console may (the file
   * lives inside the data dir; a path anywhere on disk; native code). `envOnlyReason` says why, for messages.
   */
  envOnly?: boolean
  envOnlyReason?: string
  /** Marked in docs as a hook for tests, not for people. */
  testHook?: boolean
  parse(raw: string): ParseResult<T>
  /** What to do when the value is rejected. */
  suggestion: string
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value })
const bad = <T>(reason: string): ParseResult<T> => ({ ok: false, reason })

export function integer(min: number, max: number, unit = ''): (raw: string) => ParseResult<number> {
  return (raw) => {
    const text = raw.trim().replace(/_/g, '')
    if (!/^-?\d+$/.test(text)) return bad(`must be a whole number from ${min} to ${max}${unit ? ` ${unit}` : ''}`)
    const value = Number(text)
    if (!Number.isSafeInteger(value) || value < min || value > max) return bad(`must be from ${min} to ${max}${unit ? ` ${unit}` : ''}`)
    return ok(value)
  }
}

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

export function boolean(raw: string): ParseResult<boolean> {
  const text = raw.trim().toLowerCase()
  if (TRUE.has(text)) return ok(true)
  if (FALSE.has(text)) return ok(false)
  return bad('must be true or false (also accepted: 1/0, yes/no, on/off)')
}

export function oneOf<T extends string>(values: readonly T[], aliases: Record<string, T> = {}): (raw: string) => ParseResult<T> {
  return (raw) => {
    const text = raw.trim()
    const match = values.find((v) => v.toLowerCase() === text.toLowerCase()) ?? aliases[text.toLowerCase()]
    return match ? ok(match) : bad(`must be one of ${values.join(', ')}`)
  }
}

/** An absolute http(s) URL without query or fragment; returned without a trailing slash. */
export function httpUrl(raw: string): ParseResult<string> {
  const text = raw.trim()
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return bad('must be an absolute URL such as https://example.com')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('must start with http:// or https://')
  if (url.username || url.password) return bad('must not contain a user name or password')
  if (url.search || url.hash) return bad('must not contain a query (?) or fragment (#)')
  return ok(url.href.replace(/\/+$/, ''))
}

function nonEmpty(maxLength: number): (raw: string) => ParseResult<string> {
  return (raw) => {
    const text = raw.trim()
    if (!text) return bad('must not be empty')
    if (text.length > maxLength) return bad(`must be at most ${maxLength} characters`)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
    if (/[\u0000-\u001f\u007f]/.test(text)) return bad('must not contain control characters (such as line breaks)')
    return ok(text)
  }
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

function host(raw: string): ParseResult<string> {
  const text = raw.trim().replace(/^\[(.*)\]$/, '$1')
  if (isIP(text) || HOSTNAME.test(text)) return ok(text)
  return bad('must be an IP address (such as 127.0.0.1 or ::1) or a host name (such as localhost)')
}

/** Names proxy-addr (Express's `trust proxy`) understands besides addresses and ranges. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** IP addresses and CIDR ranges, separated by commas or spaces; empty means none. */
export function proxyList(raw: string): ParseResult<string[]> {
  const items = raw.split(/[\s,]+/).filter(Boolean)
  for (const item of items) {
    if (PROXY_NAMES.has(item.toLowerCase())) continue
    const [address = '', prefix, ...rest] = item.split('/')
    const family = isIP(address)
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32))
    if (!family || !prefixOk || rest.length > 0) {
      return bad(`must list IP addresses or CIDR ranges (such as 127.0.0.1, 10.0.0.0/8 or loopback) separated by commas; ${JSON.stringify(item.slice(0, 60))} is neither`)
    }
  }
  return ok(items.map((item) => (PROXY_NAMES.has(item.toLowerCase()) ? item.toLowerCase() : item)))
}

export const SESSION_SECRET_MIN_LENGTH = 32

function secret(minLength: number): (raw: string) => ParseResult<string> {
  return (raw) => {
    if (raw.length < minLength) return bad(`is too short: at least ${minLength} characters are needed, it has ${raw.length}`)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
    if (/[\u0000-\u001f\u007f]/.test(raw)) return bad('must not contain control characters (such as line breaks)')
    return ok(raw)
  }
}

function optionalUrl(raw: string): ParseResult<string | null> {
  if (raw.trim() === '') return ok(null)
  return httpUrl(raw)
}

function optionalText(raw: string): ParseResult<string | null> {
  return ok(raw.trim() === '' ? null : raw.trim())
}

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']

const MiB = 1024 * 1024

function spec<T>(s: SettingSpec<T>): SettingSpec<T> {
  return s
}

/** Every setting. Order is the order of the README table and the console panel. */
export const SETTINGS = {
  STARPUNK_SITE_URL: spec<string>({
    name: 'STARPUNK_SITE_URL',
    defaultText: 'http://<host>:<port> (the listen address)',
    description: 'Public base URL of the blog, used in links, feeds and IndieAuth. A trailing slash is removed.',
    secret: false,
    parse: httpUrl,
    suggestion: 'Set it to the address people use to reach the blog, such as https://notes.example.com.',
  }),
  STARPUNK_SITE_NAME: spec<string>({
    name: 'STARPUNK_SITE_NAME',
    defaultText: 'StarPunk',
    description: 'Title of the blog and name of its feeds.',
    secret: false,
    parse: nonEmpty(200),
    suggestion: 'Use a short one-line title.',
  }),
  STARPUNK_ADMIN_ME: spec<string | null>({
    name: 'STARPUNK_ADMIN_ME',
    defaultText: '(not set)',
    description: "The author's identity URL (IndieAuth `me`); the only identity allowed to sign in to the admin area.",
    secret: false,
    parse: optionalUrl,
    suggestion: 'Set it to your home page URL, such as https://example.com/.',
  }),
  STARPUNK_AUTHOR_NAME: spec<string>({
    name: 'STARPUNK_AUTHOR_NAME',
    defaultText: 'The Author',
    description: "Author's display name in the h-card and feeds.",
    secret: false,
    parse: nonEmpty(200),
    suggestion: 'Use your name as you want readers to see it.',
  }),
  STARPUNK_SESSION_SECRET: spec<string>({
    name: 'STARPUNK_SESSION_SECRET',
    defaultText: `(generated on first run, kept in <data dir>/session-secret)`,
    description: `Secret for signing sessions, CSRF tokens and one-time links; at least ${SESSION_SECRET_MIN_LENGTH} characters.`,
    secret: true,
    parse: secret(SESSION_SECRET_MIN_LENGTH),
    suggestion: `Use at least ${SESSION_SECRET_MIN_LENGTH} random characters (for example \`openssl rand -base64 48\`), or unset it to use the generated one.`,
  }),
  STARPUNK_HOST: spec<string>({
    name: 'STARPUNK_HOST',
    defaultText: '127.0.0.1',
    description: 'Address to listen on. The default accepts connections from this computer only.',
    secret: false,
    parse: host,
    suggestion: 'Use 127.0.0.1 (this computer only) unless a reverse proxy on another machine must reach it.',
  }),
  STARPUNK_PORT: spec<number>({
    name: 'STARPUNK_PORT',
    defaultText: '8080',
    description: 'TCP port to listen on (0 picks any free port).',
    secret: false,
    parse: integer(0, 65535),
    suggestion: 'Use a free port such as 8080.',
  }),
  STARPUNK_TRUSTED_PROXIES: spec<string[]>({
    name: 'STARPUNK_TRUSTED_PROXIES',
    defaultText: '(not set)',
    description:
      'Reverse proxies whose X-Forwarded-For header is believed: IP addresses or CIDR ranges, comma-separated (also loopback, linklocal, uniquelocal). Unset: none, every client is its socket address.',
    secret: false,
    parse: proxyList,
    suggestion: 'List the address of your TLS reverse proxy, such as 127.0.0.1 when it runs on this computer, or leave it unset without a proxy.',
  }),
  STARPUNK_DATA_DIR: spec<string>({
    name: 'STARPUNK_DATA_DIR',
    defaultText: './data',
    description: 'Where the database, media, logs, the generated secret and config.json live. Created on first run. Environment only.',
    secret: false,
    envOnly: true,
    envOnlyReason: 'the config file lives inside the data directory',
    parse: nonEmpty(4096),
    suggestion: 'Point it at a directory the user running StarPunk can write to.',
  }),
  STARPUNK_LOG_LEVEL: spec<LogLevel>({
    name: 'STARPUNK_LOG_LEVEL',
    defaultText: 'INFO',
    description: 'Lowest level written: DEBUG, INFO, WARNING, ERROR or CRITICAL.',
    secret: false,
    parse: oneOf(LOG_LEVELS, { warn: 'WARNING', error: 'ERROR', fatal: 'CRITICAL' }),
    suggestion: 'Use INFO normally, DEBUG while diagnosing a problem.',
  }),
  STARPUNK_LOG_FORMAT: spec<'json' | 'human' | 'auto'>({
    name: 'STARPUNK_LOG_FORMAT',
    defaultText: 'auto',
    description: 'Console log format: json (one JSON object per line), human, or auto (json when NODE_ENV=production, else human). Log files are always JSON lines.',
    secret: false,
    parse: oneOf(['json', 'human', 'auto'] as const),
    suggestion: 'Use auto, or json when a log collector reads the output.',
  }),
  STARPUNK_LOG_DIR: spec<string | null>({
    name: 'STARPUNK_LOG_DIR',
    defaultText: '<data dir>/logs',
    description: 'Where the rotating log files are written. Environment only.',
    secret: false,
    envOnly: true,
    envOnlyReason: 'it names a place anywhere on disk where the server writes files',
    parse: optionalText,
    suggestion: 'Point it at a directory the user running StarPunk can write to.',
  }),
  STARPUNK_LOG_FILES: spec<boolean>({
    name: 'STARPUNK_LOG_FILES',
    defaultText: 'true',
    description: 'Write rotating log files (in addition to the console).',
    secret: false,
    parse: boolean,
    suggestion: 'Use true or false.',
  }),
  STARPUNK_LOG_FILE_MAX_BYTES: spec<number>({
    name: 'STARPUNK_LOG_FILE_MAX_BYTES',
    defaultText: String(10 * MiB),
    description: 'Size at which the log file is rotated, bytes (10 MiB).',
    secret: false,
    parse: integer(64 * 1024, 1024 * MiB, 'bytes'),
    suggestion: 'Use a size in bytes such as 10485760 (10 MiB).',
  }),
  STARPUNK_LOG_FILE_COUNT: spec<number>({
    name: 'STARPUNK_LOG_FILE_COUNT',
    defaultText: '10',
    description: 'How many rotated log files (generations) are kept.',
    secret: false,
    parse: integer(1, 1000),
    suggestion: 'Use a number such as 10.',
  }),
  STARPUNK_DB_POOL_SIZE: spec<number>({
    name: 'STARPUNK_DB_POOL_SIZE',
    defaultText: '4',
    description: 'Number of database read connections in the pool.',
    secret: false,
    parse: integer(1, 64),
    suggestion: 'Use a small number such as 4; more than the CPU count rarely helps.',
  }),
  STARPUNK_DB_POOL_TIMEOUT_MS: spec<number>({
    name: 'STARPUNK_DB_POOL_TIMEOUT_MS',
    defaultText: '5000',
    description: 'How long a request waits for a free connection before answering 503, ms.',
    secret: false,
    parse: integer(1, 600_000, 'ms'),
    suggestion: 'Use a few seconds, such as 5000.',
  }),
  STARPUNK_DB_BUSY_TIMEOUT_MS: spec<number>({
    name: 'STARPUNK_DB_BUSY_TIMEOUT_MS',
    defaultText: '5000',
    description: 'How long SQLite waits for a lock held by another writer, ms.',
    secret: false,
    parse: integer(0, 600_000, 'ms'),
    suggestion: 'Use a few seconds, such as 5000.',
  }),
  STARPUNK_DB_SLOW_QUERY_MS: spec<number>({
    name: 'STARPUNK_DB_SLOW_QUERY_MS',
    defaultText: '250',
    description: 'Queries slower than this are logged as slow, ms.',
    secret: false,
    parse: integer(0, 600_000, 'ms'),
    suggestion: 'Use a value such as 250.',
  }),
  STARPUNK_SQLITE_NATIVE_BINDING: spec<string | null>({
    name: 'STARPUNK_SQLITE_NATIVE_BINDING',
    defaultText: '(not set)',
    description: 'Test hook: path to another better-sqlite3 native binding (e.g. one built without FTS5). Not for normal use. Environment only.',
    secret: false,
    testHook: true,
    envOnly: true,
    envOnlyReason: 'it loads native code into the server (a hook for tests)',
    parse: optionalText,
    suggestion: 'Unset it unless you are running the FTS5 fallback tests.',
  }),
  STARPUNK_SEARCH_ENABLED: spec<boolean>({
    name: 'STARPUNK_SEARCH_ENABLED',
    defaultText: 'true',
    description: 'Offer full-text search.',
    secret: false,
    parse: boolean,
    suggestion: 'Use true or false.',
  }),
  STARPUNK_SEARCH_ENGINE: spec<'auto' | 'fts5' | 'like'>({
    name: 'STARPUNK_SEARCH_ENGINE',
    defaultText: 'auto',
    description: 'Search engine: auto (FTS5 when SQLite has it, else LIKE), fts5, or like.',
    secret: false,
    parse: oneOf(['auto', 'fts5', 'like'] as const),
    suggestion: 'Use auto unless you are testing a specific engine.',
  }),
  STARPUNK_SESSION_TIMEOUT: spec<number>({
    name: 'STARPUNK_SESSION_TIMEOUT',
    defaultText: '86400',
    description: 'Admin session idle timeout, seconds (sliding on use).',
    secret: false,
    parse: integer(60, 365 * 86_400, 'seconds'),
    suggestion: 'Use a value such as 86400 (one day).',
  }),
  STARPUNK_SESSION_MAX_AGE: spec<number>({
    name: 'STARPUNK_SESSION_MAX_AGE',
    defaultText: String(30 * 86_400),
    description: 'Absolute maximum age of an admin session, seconds, whatever the activity (30 days).',
    secret: false,
    parse: integer(60, 3650 * 86_400, 'seconds'),
    suggestion: 'Use a value such as 2592000 (30 days), no smaller than STARPUNK_SESSION_TIMEOUT.',
  }),
  STARPUNK_INDIEAUTH_TOKEN_LIFETIME: spec<number>({
    name: 'STARPUNK_INDIEAUTH_TOKEN_LIFETIME',
    defaultText: String(90 * 86_400),
    description:
      'Lifetime of access tokens that apps get by signing in here, seconds (90 days), extended on every use; their refresh token stays valid for another lifetime after that.',
    secret: false,
    parse: integer(300, 3650 * 86_400, 'seconds'),
    suggestion: 'Use a value such as 7776000 (90 days); apps that ignore refresh tokens must sign in again after this long without use.',
  }),
  STARPUNK_HEALTH_CHECK_DETAILED: spec<boolean>({
    name: 'STARPUNK_HEALTH_CHECK_DETAILED',
    defaultText: 'false',
    description: 'Show detailed component checks on /health/ready to everyone.',
    secret: false,
    parse: boolean,
    suggestion: 'Use true or false.',
  }),
  STARPUNK_HEALTH_TOKEN: spec<string | null>({
    name: 'STARPUNK_HEALTH_TOKEN',
    defaultText: '(not set)',
    description: 'Bearer token that monitors send to /health/ready to get the detailed checks.',
    secret: true,
    parse: optionalText,
    suggestion: 'Use a long random value (for example `openssl rand -hex 24`).',
  }),
  STARPUNK_MEMORY_THRESHOLD_MB: spec<number>({
    name: 'STARPUNK_MEMORY_THRESHOLD_MB',
    defaultText: '1024',
    description: 'Resident memory above which readiness reports a warning, MB.',
    secret: false,
    parse: integer(16, 1024 * 1024, 'MB'),
    suggestion: 'Use a value such as 1024.',
  }),
  STARPUNK_DEV_MODE: spec<boolean>({
    name: 'STARPUNK_DEV_MODE',
    defaultText: 'false',
    description: 'Development conveniences (never in production).',
    secret: false,
    parse: boolean,
    suggestion: 'Use false outside development.',
  }),
  STARPUNK_FEED_MAX_ITEMS: spec<number>({
    name: 'STARPUNK_FEED_MAX_ITEMS',
    defaultText: '50',
    description: 'Items per feed.',
    secret: false,
    parse: integer(1, 1000),
    suggestion: 'Use a value such as 50.',
  }),
  STARPUNK_FEED_CACHE_SECONDS: spec<number>({
    name: 'STARPUNK_FEED_CACHE_SECONDS',
    defaultText: '300',
    description: 'How long a built feed is cached, seconds (0 disables the cache).',
    secret: false,
    parse: integer(0, 86_400, 'seconds'),
    suggestion: 'Use a value such as 300.',
  }),
  STARPUNK_MEDIA_MAX_BYTES: spec<number>({
    name: 'STARPUNK_MEDIA_MAX_BYTES',
    defaultText: String(10 * MiB),
    description: 'Largest accepted media upload, bytes (10 MiB).',
    secret: false,
    parse: integer(1024, 1024 * MiB, 'bytes'),
    suggestion: 'Use a size in bytes such as 10485760 (10 MiB).',
  }),
  STARPUNK_IMAGE_MAX_PIXELS: spec<number>({
    name: 'STARPUNK_IMAGE_MAX_PIXELS',
    defaultText: '50000000',
    description: 'Largest accepted image, width × height in pixels (50 megapixels; an animation counts every frame). Larger ones are refused before they are decoded.',
    secret: false,
    parse: integer(100_000, 1_000_000_000, 'pixels'),
    suggestion: 'Use a pixel count such as 50000000 (50 megapixels).',
  }),
  STARPUNK_MAX_BODY_BYTES: spec<number>({
    name: 'STARPUNK_MAX_BODY_BYTES',
    defaultText: String(MiB),
    description: 'Largest accepted form or JSON request body, bytes (1 MiB).',
    secret: false,
    parse: integer(1024, 1024 * MiB, 'bytes'),
    suggestion: 'Use a size in bytes such as 1048576 (1 MiB).',
  }),
  STARPUNK_FETCH_ENABLED: spec<boolean>({
    name: 'STARPUNK_FETCH_ENABLED',
    defaultText: 'true',
    description: 'Let the server make requests to other sites (IndieAuth sign-in and discovery, external token checks). false turns every outbound request off.',
    secret: false,
    parse: boolean,
    suggestion: 'Use true, or false to keep the server from contacting other sites.',
  }),
  STARPUNK_FETCH_ALLOW_PRIVATE: spec<boolean>({
    name: 'STARPUNK_FETCH_ALLOW_PRIVATE',
    defaultText: 'false',
    description: 'Let outbound requests reach loopback, private, link-local and unique-local addresses (tests, two servers on one machine or a private network).',
    secret: false,
    parse: boolean,
    suggestion: 'Use false unless the IndieAuth server or site you sign in with runs on this machine or a private network.',
  }),
  STARPUNK_MAX_NOTE_BYTES: spec<number>({
    name: 'STARPUNK_MAX_NOTE_BYTES',
    defaultText: String(256 * 1024),
    description: 'Largest accepted note text (Markdown or HTML), UTF-8 bytes (256 KiB: a long article several times over).',
    secret: false,
    parse: integer(1024, 16 * MiB, 'bytes'),
    suggestion: 'Use a size in bytes such as 262144 (256 KiB).',
  }),
  STARPUNK_NOTES_PER_PAGE: spec<number>({
    name: 'STARPUNK_NOTES_PER_PAGE',
    defaultText: '20',
    description: 'Notes per page on the home page and archives.',
    secret: false,
    parse: integer(1, 200),
    suggestion: 'Use a value such as 20.',
  }),
} as const

export type SettingName = keyof typeof SETTINGS
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[]

export function isSettingName(name: string): name is SettingName {
  return Object.prototype.hasOwnProperty.call(SETTINGS, name)
}
