/**
 * Configuration: STARPUNK_* environment variables, then `<dataDir>/config.json`, then defaults.
 * Validation collects every problem at once; each is an ErrorInfo whose message starts with the setting's
 * name. Nothing is cached in module state: calling loadConfig() again is a reload.
 */
import { randomBytes } from 'node:crypto'
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ErrorInfo } from '../../../shared/errors'
import type { ConfigField, LogLevel } from '../../../shared/contract'
import { errorInfo } from '../errors/app-error'
import type { Config } from './types'
import { SESSION_SECRET_MIN_LENGTH, SETTING_NAMES, SETTINGS, isSettingName, type SettingName } from './settings'

export interface LoadConfigOptions {
  /** Environment to read (default process.env). Tests pass their own. */
  env?: Record<string, string | undefined>
  /** Working directory for resolving a relative data dir (default process.cwd()). */
  cwd?: string
  /** Values that win over everything (tests; the desktop app's edits). */
  overrides?: Partial<Record<string, string>>
  /** Create the data dir and persist a generated secret (default true). check-config passes false. */
  persist?: boolean
  /** Use these as the config file's contents instead of reading `<dataDir>/config.json` (validation of edits). */
  file?: Record<string, unknown>
}

export interface LoadedConfig {
  /** Always complete: a rejected value falls back to its default, so the console can still show it. */
  config: Config
  /** Problems that stop the server from starting. */
  problems: ErrorInfo[]
  /** Worth knowing, not fatal (unknown STARPUNK_* variables, binding beyond loopback...). */
  warnings: ErrorInfo[]
  fields: ConfigField[]
  filePath: string
}

/** What a secret looks like wherever it is shown. */
export const SECRET_MASK = '********'
export const CONFIG_FILE_NAME = 'config.json'
export const SECRET_FILE_NAME = 'session-secret'

type Source = ConfigField['source']

/** A value as it may appear in a message: quoted, control characters escaped, bounded. */
function shown(raw: string, secret: boolean): string {
  if (secret) return `(hidden, ${raw.length} characters)`
  const clipped = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw
  return JSON.stringify(clipped)
}

function closestName(name: string): string | null {
  let best: { name: string; distance: number } | null = null
  for (const candidate of SETTING_NAMES) {
    const distance = levenshtein(name.toUpperCase(), candidate)
    if (!best || distance < best.distance) best = { name: candidate, distance }
  }
  return best && best.distance <= Math.max(3, Math.floor(name.length / 4)) ? best.name : null
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length] as number
}

function unknownSetting(name: string, where: string): ErrorInfo {
  const guess = closestName(name)
  return errorInfo('CONFIG_UNKNOWN_SETTING', {
    vars: { name },
    message: `Unknown setting ${name} in ${where}.`,
    suggestion: guess ? `Did you mean ${guess}?` : 'Check the spelling against the configuration table in README.md.',
  })
}

/** The data dir must exist (or be creatable) and take a file. Root ignores permissions, so we probe. */
function checkDataDir(dataDir: string, persist: boolean): ErrorInfo | null {
  const problem = (why: string) =>
    errorInfo('DATA_DIR_NOT_WRITABLE', {
      message: `The data directory is not writable: ${why}.`,
      details: `Data directory: ${dataDir} (STARPUNK_DATA_DIR).`,
    })
  try {
    if (persist) {
      mkdirSync(dataDir, { recursive: true })
      const probe = join(dataDir, `.write-test-${process.pid}-${randomBytes(4).toString('hex')}`)
      writeFileSync(probe, '')
      unlinkSync(probe)
      return null
    }
    // Without persisting: the dir, or its nearest existing ancestor, must be a writable directory.
    let dir = dataDir
    while (!existsSync(dir)) {
      const parent = dirname(dir)
      if (parent === dir) break
      dir = parent
    }
    if (!statSync(dir).isDirectory()) return problem(`${dir === dataDir ? 'it' : 'a parent'} is a file, not a directory`)
    accessSync(dir, constants.W_OK)
    return null
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'it or one of its parents is a file, not a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EROFS'
            ? 'the file system is read-only'
            : code === 'ENOSPC'
              ? 'the disk is full'
              : `the system reported ${code ?? 'an error'}`
    return problem(why)
  }
}

interface FileRead {
  values: Record<string, string>
  problems: ErrorInfo[]
}

function readConfigFile(filePath: string, given: Record<string, unknown> | undefined): FileRead {
  const problems: ErrorInfo[] = []
  let parsed: unknown = given
  if (parsed === undefined) {
    let text: string
    try {
      text = readFileSync(filePath, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return { values: {}, problems }
      return {
        values: {},
        problems: [errorInfo('CONFIG_FILE_INVALID', { vars: { detail: 'it cannot be read.' }, details: `File: ${filePath}` })],
      }
    }
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      // JSON.parse's message names the position, never the file's contents beyond a character.
      return {
        values: {},
        problems: [errorInfo('CONFIG_FILE_INVALID', { vars: { detail: `it is not valid JSON (${(err as Error).message}).` }, details: `File: ${filePath}` })],
      }
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return {
      values: {},
      problems: [errorInfo('CONFIG_FILE_INVALID', { vars: { detail: 'it must hold one JSON object, such as {"STARPUNK_SITE_NAME": "My notes"}.' }, details: `File: ${filePath}` })],
    }
  }
  const values: Record<string, string> = {}
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!isSettingName(name)) {
      problems.push(unknownSetting(name, CONFIG_FILE_NAME))
      continue
    }
    if (SETTINGS[name].envOnly) {
      problems.push(
        errorInfo('CONFIG_INVALID', {
          message: `${name} cannot be set in ${CONFIG_FILE_NAME}: ${SETTINGS[name].envOnlyReason ?? 'only the environment may set it'}.`,
          suggestion: `Set ${name} as an environment variable instead, and remove it from ${CONFIG_FILE_NAME}.`,
        }),
      )
      continue
    }
    if (value === null || value === undefined) continue
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[name] = String(value)
    else
      problems.push(
        errorInfo('CONFIG_INVALID', {
          message: `${name} in ${CONFIG_FILE_NAME} must be a string, number or boolean, not ${Array.isArray(value) ? 'a list' : 'an object'}.`,
          suggestion: SETTINGS[name].suggestion,
        }),
      )
  }
  return { values, problems }
}

interface SecretResult {
  secret: string
  source: Source
  problem: ErrorInfo | null
  warning: ErrorInfo | null
}

/** The session secret: generated once, kept in `<dataDir>/session-secret` (0600) so sessions survive restarts. */
function persistedSecret(dataDir: string, persist: boolean): SecretResult {
  const file = join(dataDir, SECRET_FILE_NAME)
  const read = (): SecretResult | null => {
    let text: string
    try {
      text = readFileSync(file, 'utf8').trim()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null
      throw err
    }
    let warning: ErrorInfo | null = null
    if (persist && process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
      chmodSync(file, 0o600)
      warning = errorInfo('CONFIG_INVALID', {
        message: `The session secret file was readable by other users; its permissions were reset to 0600.`,
        suggestion: 'Check who else could have read it; delete it to generate a new secret (this signs everyone out).',
        details: `File: ${file}`,
      })
    }
    if (text.length < SESSION_SECRET_MIN_LENGTH) {
      return {
        secret: text,
        source: 'generated',
        warning,
        problem: errorInfo('CONFIG_INVALID', {
          message: `The generated session secret file is damaged (only ${text.length} characters).`,
          suggestion: `Delete ${SECRET_FILE_NAME} in the data directory; a new one is generated at the next start (this signs everyone out).`,
          details: `File: ${file}`,
        }),
      }
    }
    return { secret: text, source: 'generated', problem: null, warning }
  }
  try {
    const existing = read()
    if (existing) return existing
    const secret = randomBytes(48).toString('base64url')
    if (!persist) return { secret, source: 'generated', problem: null, warning: null }
    try {
      // 'wx': two processes starting at once must not overwrite each other's secret.
      writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' })
      return { secret, source: 'generated', problem: null, warning: null }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        const raced = read()
        if (raced) return raced
      }
      throw err
    }
  } catch (err) {
    return {
      secret: randomBytes(48).toString('base64url'),
      source: 'generated',
      warning: null,
      problem: errorInfo('DATA_DIR_NOT_WRITABLE', {
        message: `The session secret cannot be kept in the data directory (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
        details: `File: ${file}`,
      }),
    }
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env
  const overrides = options.overrides ?? {}
  const persist = options.persist ?? true
  const cwd = options.cwd ?? process.cwd()
  const problems: ErrorInfo[] = []
  const warnings: ErrorInfo[] = []

  // An empty variable counts as unset (as `STARPUNK_SITE_URL=` in a compose file usually means).
  const fromEnv = (name: string): string | undefined => {
    const o = overrides[name]
    if (o !== undefined && o !== '') return o
    const e = env[name]
    return e !== undefined && e !== '' ? e : undefined
  }

  const dataDir = resolve(cwd, fromEnv('STARPUNK_DATA_DIR') ?? 'data')
  const filePath = join(dataDir, CONFIG_FILE_NAME)
  const dataDirProblem = checkDataDir(dataDir, persist)
  if (dataDirProblem) problems.push(dataDirProblem)

  const file = readConfigFile(filePath, options.file)
  problems.push(...file.problems)

  for (const name of Object.keys(env)) {
    if (name.startsWith('STARPUNK_') && !isSettingName(name)) warnings.push(unknownSetting(name, 'the environment'))
  }

  const values = new Map<SettingName, unknown>()
  const sources = new Map<SettingName, Source>()
  for (const name of SETTING_NAMES) {
    const setting = SETTINGS[name]
    const envRaw = fromEnv(name)
    const fileRaw = file.values[name]
    // A file value is checked even when the environment shadows it: it will apply once the variable goes.
    if (fileRaw !== undefined && envRaw !== undefined) {
      const shadowed = setting.parse(fileRaw)
      if (!shadowed.ok) problems.push(invalid(name, fileRaw, shadowed.reason, 'file'))
    }
    const raw = envRaw ?? fileRaw
    if (raw === undefined) continue
    const parsed = setting.parse(raw)
    if (!parsed.ok) {
      problems.push(invalid(name, raw, parsed.reason, envRaw !== undefined ? 'env' : 'file'))
      continue
    }
    values.set(name, parsed.value)
    sources.set(name, envRaw !== undefined ? 'env' : 'file')
  }

  const get = <T>(name: SettingName, fallback: T): T => (values.has(name) ? (values.get(name) as T) : fallback)

  let sessionSecret = get<string | null>('STARPUNK_SESSION_SECRET', null)
  if (sessionSecret === null && !problems.some((p) => p.message.startsWith('STARPUNK_SESSION_SECRET'))) {
    const generated = persistedSecret(dataDir, persist && !dataDirProblem)
    sessionSecret = generated.secret
    sources.set('STARPUNK_SESSION_SECRET', generated.source)
    if (generated.problem) problems.push(generated.problem)
    if (generated.warning) warnings.push(generated.warning)
  }
  // A rejected secret still leaves something non-empty in config (never used: startup refuses).
  sessionSecret ??= randomBytes(48).toString('base64url')

  const host = get<string>('STARPUNK_HOST', '127.0.0.1')
  const port = get('STARPUNK_PORT', 8080)
  const production = env.NODE_ENV === 'production'
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  const logFormatChoice = get<'json' | 'human' | 'auto'>('STARPUNK_LOG_FORMAT', 'auto')
  const logDirRaw = get<string | null>('STARPUNK_LOG_DIR', null)
  const nativeBinding = get<string | null>('STARPUNK_SQLITE_NATIVE_BINDING', null)
  const healthToken = get<string | null>('STARPUNK_HEALTH_TOKEN', null)

  const config: Config = {
    siteUrl: get<string>('STARPUNK_SITE_URL', `http://${urlHost}:${port}`),
    siteName: get<string>('STARPUNK_SITE_NAME', 'StarPunk'),
    adminMe: get<string | null>('STARPUNK_ADMIN_ME', null),
    authorName: get<string>('STARPUNK_AUTHOR_NAME', 'The Author'),
    sessionSecret,
    host,
    port,
    trustedProxies: get<string[]>('STARPUNK_TRUSTED_PROXIES', []),
    dataDir,
    databasePath: join(dataDir, 'starpunk.db'),
    logDir: logDirRaw ? resolve(cwd, logDirRaw) : join(dataDir, 'logs'),
    mediaDir: join(dataDir, 'media'),
    logLevel: get<LogLevel>('STARPUNK_LOG_LEVEL', 'INFO'),
    logFormat: logFormatChoice === 'auto' ? (production ? 'json' : 'human') : logFormatChoice,
    logFiles: {
      enabled: get('STARPUNK_LOG_FILES', true),
      maxBytes: get('STARPUNK_LOG_FILE_MAX_BYTES', 10 * 1024 * 1024),
      count: get('STARPUNK_LOG_FILE_COUNT', 10),
    },
    db: {
      poolSize: get('STARPUNK_DB_POOL_SIZE', 4),
      poolTimeoutMs: get('STARPUNK_DB_POOL_TIMEOUT_MS', 5000),
      busyTimeoutMs: get('STARPUNK_DB_BUSY_TIMEOUT_MS', 5000),
      slowQueryMs: get('STARPUNK_DB_SLOW_QUERY_MS', 250),
      nativeBinding: nativeBinding ? resolve(cwd, nativeBinding) : null,
    },
    search: { enabled: get('STARPUNK_SEARCH_ENABLED', true), engine: get<Config['search']['engine']>('STARPUNK_SEARCH_ENGINE', 'auto') },
    session: { timeoutSeconds: get('STARPUNK_SESSION_TIMEOUT', 86_400), maxAgeSeconds: get('STARPUNK_SESSION_MAX_AGE', 30 * 86_400) },
    indieauth: { tokenLifetimeSeconds: get('STARPUNK_INDIEAUTH_TOKEN_LIFETIME', 90 * 86_400) },
    health: {
      detailed: get('STARPUNK_HEALTH_CHECK_DETAILED', false),
      token: healthToken,
      memoryThresholdMb: get('STARPUNK_MEMORY_THRESHOLD_MB', 1024),
    },
    feed: { maxItems: get('STARPUNK_FEED_MAX_ITEMS', 50), cacheSeconds: get('STARPUNK_FEED_CACHE_SECONDS', 300) },
    media: { maxUploadBytes: get('STARPUNK_MEDIA_MAX_BYTES', 10 * 1024 * 1024), maxImagePixels: get('STARPUNK_IMAGE_MAX_PIXELS', 50_000_000) },
    maxBodyBytes: get('STARPUNK_MAX_BODY_BYTES', 1024 * 1024),
    maxNoteBytes: get('STARPUNK_MAX_NOTE_BYTES', 256 * 1024),
    fetch: { enabled: get('STARPUNK_FETCH_ENABLED', true), allowPrivate: get('STARPUNK_FETCH_ALLOW_PRIVATE', false) },
    notesPerPage: get('STARPUNK_NOTES_PER_PAGE', 20),
    devMode: get('STARPUNK_DEV_MODE', false),
    production,
  }

  // Rules across settings.
  if (config.session.maxAgeSeconds < config.session.timeoutSeconds && values.has('STARPUNK_SESSION_MAX_AGE')) {
    problems.push(
      errorInfo('CONFIG_INVALID', {
        message: `STARPUNK_SESSION_MAX_AGE is ${config.session.maxAgeSeconds}: it must not be smaller than STARPUNK_SESSION_TIMEOUT (${config.session.timeoutSeconds}).`,
        suggestion: SETTINGS.STARPUNK_SESSION_MAX_AGE.suggestion,
      }),
    )
  }
  if (config.db.nativeBinding && !existsSync(config.db.nativeBinding)) {
    problems.push(
      errorInfo('CONFIG_INVALID', {
        message: `STARPUNK_SQLITE_NATIVE_BINDING names a file that does not exist.`,
        suggestion: SETTINGS.STARPUNK_SQLITE_NATIVE_BINDING.suggestion,
        details: `File: ${config.db.nativeBinding}`,
      }),
    )
  }
  if (!isLoopback(host)) {
    warnings.push(
      errorInfo('CONFIG_INVALID', {
        message: `STARPUNK_HOST is ${JSON.stringify(host)}: the blog accepts connections from other machines.`,
        suggestion: 'Put it behind a TLS reverse proxy, or use 127.0.0.1 to keep it on this computer.',
      }),
    )
  }
  if (healthToken !== null && healthToken.length < 16) {
    warnings.push(
      errorInfo('CONFIG_INVALID', {
        message: `STARPUNK_HEALTH_TOKEN ${shown(healthToken, true)} is short enough to guess.`,
        suggestion: SETTINGS.STARPUNK_HEALTH_TOKEN.suggestion,
      }),
    )
  }
  if (config.logLevel === 'DEBUG' && production) {
    warnings.push(
      errorInfo('CONFIG_INVALID', {
        message: 'STARPUNK_LOG_LEVEL is DEBUG while NODE_ENV=production: logs grow fast and carry more request detail.',
        suggestion: 'Use INFO in production; switch to DEBUG only while diagnosing.',
      }),
    )
  }
  if (config.devMode && production) {
    warnings.push(
      errorInfo('CONFIG_INVALID', {
        message: 'STARPUNK_DEV_MODE is on while NODE_ENV=production.',
        suggestion: SETTINGS.STARPUNK_DEV_MODE.suggestion,
      }),
    )
  }

  const effective: Record<SettingName, string> = {
    STARPUNK_SITE_URL: config.siteUrl,
    STARPUNK_SITE_NAME: config.siteName,
    STARPUNK_ADMIN_ME: config.adminMe ?? '',
    STARPUNK_AUTHOR_NAME: config.authorName,
    STARPUNK_SESSION_SECRET: config.sessionSecret,
    STARPUNK_HOST: config.host,
    STARPUNK_PORT: String(config.port),
    STARPUNK_TRUSTED_PROXIES: config.trustedProxies.join(', '),
    STARPUNK_DATA_DIR: config.dataDir,
    STARPUNK_LOG_LEVEL: config.logLevel,
    STARPUNK_LOG_FORMAT: logFormatChoice,
    STARPUNK_LOG_DIR: config.logDir,
    STARPUNK_LOG_FILES: String(config.logFiles.enabled),
    STARPUNK_LOG_FILE_MAX_BYTES: String(config.logFiles.maxBytes),
    STARPUNK_LOG_FILE_COUNT: String(config.logFiles.count),
    STARPUNK_DB_POOL_SIZE: String(config.db.poolSize),
    STARPUNK_DB_POOL_TIMEOUT_MS: String(config.db.poolTimeoutMs),
    STARPUNK_DB_BUSY_TIMEOUT_MS: String(config.db.busyTimeoutMs),
    STARPUNK_DB_SLOW_QUERY_MS: String(config.db.slowQueryMs),
    STARPUNK_SQLITE_NATIVE_BINDING: config.db.nativeBinding ?? '',
    STARPUNK_SEARCH_ENABLED: String(config.search.enabled),
    STARPUNK_SEARCH_ENGINE: config.search.engine,
    STARPUNK_SESSION_TIMEOUT: String(config.session.timeoutSeconds),
    STARPUNK_SESSION_MAX_AGE: String(config.session.maxAgeSeconds),
    STARPUNK_INDIEAUTH_TOKEN_LIFETIME: String(config.indieauth.tokenLifetimeSeconds),
    STARPUNK_HEALTH_CHECK_DETAILED: String(config.health.detailed),
    STARPUNK_HEALTH_TOKEN: config.health.token ?? '',
    STARPUNK_MEMORY_THRESHOLD_MB: String(config.health.memoryThresholdMb),
    STARPUNK_DEV_MODE: String(config.devMode),
    STARPUNK_FEED_MAX_ITEMS: String(config.feed.maxItems),
    STARPUNK_FEED_CACHE_SECONDS: String(config.feed.cacheSeconds),
    STARPUNK_MEDIA_MAX_BYTES: String(config.media.maxUploadBytes),
    STARPUNK_IMAGE_MAX_PIXELS: String(config.media.maxImagePixels),
    STARPUNK_MAX_BODY_BYTES: String(config.maxBodyBytes),
    STARPUNK_MAX_NOTE_BYTES: String(config.maxNoteBytes),
    STARPUNK_FETCH_ENABLED: String(config.fetch.enabled),
    STARPUNK_FETCH_ALLOW_PRIVATE: String(config.fetch.allowPrivate),
    STARPUNK_NOTES_PER_PAGE: String(config.notesPerPage),
  }
  if (fromEnv('STARPUNK_DATA_DIR') !== undefined) sources.set('STARPUNK_DATA_DIR', 'env')

  const fields: ConfigField[] = SETTING_NAMES.map((name) => {
    const setting = SETTINGS[name]
    const value = effective[name]
    return {
      name,
      value: setting.secret && value !== '' ? SECRET_MASK : value,
      default: setting.defaultText,
      description: setting.description,
      secret: setting.secret,
      source: sources.get(name) ?? 'default',
    }
  })
  return { config, problems, warnings, fields, filePath }
}

function invalid(name: SettingName, raw: string, reason: string, source: 'env' | 'file'): ErrorInfo {
  const setting = SETTINGS[name]
  const where = source === 'env' ? 'the environment variable' : CONFIG_FILE_NAME
  return errorInfo('CONFIG_INVALID', {
    message: `${name} is ${shown(raw, setting.secret)}: it ${reason}.`,
    suggestion: setting.suggestion,
    details: `Read from ${where}. ${setting.description}`,
  })
}

/**
 * Validate edited values (the contents the config file would get) against the same rules as startup,
 * without writing anything. `base` says which environment and data dir they would run with.
 */
export function validateConfigValues(values: Record<string, string>, base: LoadConfigOptions = {}): ErrorInfo[] {
  return loadConfig({ ...base, file: values, persist: false }).problems
}

export interface SaveConfigResult {
  problems: ErrorInfo[]
  saved: boolean
}

/**
 * Write `<dataDir>/config.json` from edited values, only when they are valid. Empty values are dropped
 * (back to the default); a secret sent back as the mask keeps its current value. Written atomically, 0600.
 */
export function saveConfigFile(dataDir: string, values: Record<string, string>, base: Omit<LoadConfigOptions, 'file' | 'persist'> = {}): SaveConfigResult {
  const filePath = join(dataDir, CONFIG_FILE_NAME)
  let current: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(readFileSync(filePath, 'utf8'))
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) current = parsed as Record<string, unknown>
  } catch {
    // No file or an unreadable one: the new file replaces it.
  }
  const next: Record<string, string> = {}
  for (const [name, value] of Object.entries(values)) {
    if (value === '') continue
    if (value === SECRET_MASK && isSettingName(name) && SETTINGS[name].secret) {
      const kept = current[name]
      if (typeof kept === 'string' && kept !== '') next[name] = kept
      continue
    }
    next[name] = value
  }
  const env = { ...(base.env ?? process.env), STARPUNK_DATA_DIR: dataDir }
  const problems = validateConfigValues(next, { ...base, env })
  if (problems.length > 0) return { problems, saved: false }
  const ordered: Record<string, string> = {}
  for (const name of SETTING_NAMES) if (next[name] !== undefined) ordered[name] = next[name]
  try {
    mkdirSync(dataDir, { recursive: true })
    const temp = `${filePath}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(ordered, null, 2) + '\n', { mode: 0o600 })
    renameSync(temp, filePath)
  } catch (err) {
    return {
      problems: [
        errorInfo('DATA_DIR_NOT_WRITABLE', {
          message: `The config file cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
          details: `File: ${filePath}`,
        }),
      ],
      saved: false,
    }
  }
  return { problems: [], saved: true }
}
