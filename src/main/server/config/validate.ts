/**
 * From raw values to the typed Config, judged against the settings table. Pure: it reads no file, writes
 * nothing and keeps no state, so the console can ask "would these values do?" as often as it likes.
 * Every problem is collected at once; each is an ErrorInfo whose message starts with the setting's name.
 */
import { join } from 'node:path'
import type { ErrorInfo } from '../../../shared/errors'
import { errorInfo } from '../errors/app-error'
import { isLoopback } from './parsers'
import { DERIVED_PATHS, REMOVED_SETTINGS, SETTINGS, SETTING_NAMES, allSettings, isSettingName, type ConfigAt, type ConfigPath, type SettingName } from './settings'
import { CONFIG_FILE_NAME, type Sources } from './sources'
import type { Config } from './types'

export type Origin = 'env' | 'file'

export interface Validated {
  /** Always complete: a rejected value falls back to its default. sessionSecret is '' until the data dir gives one. */
  config: Config
  /** Each setting's typed value (as given, or its default), for showing it back. */
  values: ReadonlyMap<SettingName, unknown>
  /** Where each setting that is set came from; the others are defaults. */
  origins: ReadonlyMap<SettingName, Origin>
  /** Settings whose given value was refused. */
  rejected: ReadonlySet<SettingName>
  /** Problems that stop the server from starting. */
  problems: ErrorInfo[]
  /** Worth knowing, not fatal. */
  warnings: ErrorInfo[]
}

/** A value as it may appear in a message: quoted, control characters escaped, bounded. */
export function shown(raw: string, secret: boolean): string {
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

function removedSetting(name: string, where: 'env' | 'file'): ErrorInfo {
  return errorInfo('CONFIG_WARNING', {
    message: `${name} is no longer a setting: ${REMOVED_SETTINGS[name] ?? 'it was removed'}. It is ignored.`,
    suggestion: where === 'env' ? `Remove the ${name} environment variable.` : `Remove ${name} from ${CONFIG_FILE_NAME}.`,
  })
}

function invalid(name: SettingName, raw: string, reason: string, origin: Origin): ErrorInfo {
  const setting = SETTINGS[name]
  const where = origin === 'env' ? 'the environment variable' : CONFIG_FILE_NAME
  return errorInfo('CONFIG_INVALID', {
    message: `${name} is ${shown(raw, setting.secret)}: it ${reason}.`,
    suggestion: setting.suggestion,
    details: `Read from ${where}. ${setting.description}`,
  })
}

/** config.json's keys as raw strings, each judged: unknown, removed, environment-only or of the wrong type. */
function fileValues(file: unknown, filePath: string, problems: ErrorInfo[], warnings: ErrorInfo[]): Partial<Record<SettingName, string>> {
  if (file === undefined) return {}
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    problems.push(
      errorInfo('CONFIG_FILE_INVALID', {
        vars: { detail: 'it must hold one JSON object, such as {"STARPUNK_SITE_NAME": "My notes"}.' },
        details: `File: ${filePath}`,
      }),
    )
    return {}
  }
  const values: Partial<Record<SettingName, string>> = {}
  for (const [name, value] of Object.entries(file as Record<string, unknown>)) {
    if (!isSettingName(name)) {
      if (name in REMOVED_SETTINGS) warnings.push(removedSetting(name, 'file'))
      else problems.push(unknownSetting(name, CONFIG_FILE_NAME))
      continue
    }
    const setting = SETTINGS[name]
    if (setting.envOnly) {
      problems.push(
        errorInfo('CONFIG_INVALID', {
          message: `${name} cannot be set in ${CONFIG_FILE_NAME}: ${setting.envOnlyReason ?? 'only the environment may set it'}.`,
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
          suggestion: setting.suggestion,
        }),
      )
  }
  return values
}

function setAt(target: Record<string, unknown>, path: ConfigPath, value: unknown): void {
  const [outer, inner] = path.split('.') as [string, string | undefined]
  if (inner === undefined) {
    target[outer] = value
    return
  }
  const nested = (target[outer] ??= {}) as Record<string, unknown>
  nested[inner] = value
}

export function getAt<P extends ConfigPath>(config: Config, path: P): ConfigAt<P> {
  const [outer, inner] = path.split('.') as [string, string | undefined]
  const value = (config as unknown as Record<string, unknown>)[outer]
  // The path names a field of Config, whose type ConfigAt<P> is.
  return (inner === undefined ? value : (value as Record<string, unknown>)[inner]) as ConfigAt<P>
}

/** Rules across settings, and values that are valid but worth a warning. */
function crossChecks(config: Config, origins: ReadonlyMap<SettingName, Origin>, problems: ErrorInfo[], warnings: ErrorInfo[]): void {
  if (config.session.maxAgeSeconds < config.session.timeoutSeconds && origins.has('STARPUNK_SESSION_MAX_AGE')) {
    problems.push(
      errorInfo('CONFIG_INVALID', {
        message: `STARPUNK_SESSION_MAX_AGE is ${config.session.maxAgeSeconds}: it must not be smaller than STARPUNK_SESSION_TIMEOUT (${config.session.timeoutSeconds}).`,
        suggestion: SETTINGS.STARPUNK_SESSION_MAX_AGE.suggestion,
      }),
    )
  }
  if (!isLoopback(config.host)) {
    warnings.push(
      errorInfo('CONFIG_WARNING', {
        message: `STARPUNK_HOST is ${JSON.stringify(config.host)}: the blog accepts connections from other machines.`,
        suggestion: 'Put it behind a TLS reverse proxy, or use 127.0.0.1 to keep it on this computer.',
      }),
    )
  }
  if (config.health.token !== null && config.health.token.length < 16) {
    warnings.push(
      errorInfo('CONFIG_WARNING', {
        message: `STARPUNK_HEALTH_TOKEN ${shown(config.health.token, true)} is short enough to guess.`,
        suggestion: SETTINGS.STARPUNK_HEALTH_TOKEN.suggestion,
      }),
    )
  }
  if (origins.has('STARPUNK_FEED_CACHE_SECONDS')) {
    warnings.push(
      errorInfo('CONFIG_WARNING', {
        message: `STARPUNK_FEED_CACHE_SECONDS is deprecated: use STARPUNK_CACHE_MAX_AGE (pages and feeds) and STARPUNK_CACHE_S_MAXAGE (shared caches). Until then it stays the feeds' max-age (${String(config.feed.cacheSeconds)} s).`,
        suggestion: SETTINGS.STARPUNK_FEED_CACHE_SECONDS.suggestion,
      }),
    )
  }
  if (config.logLevel === 'DEBUG' && config.production) {
    warnings.push(
      errorInfo('CONFIG_WARNING', {
        message: 'STARPUNK_LOG_LEVEL is DEBUG while NODE_ENV=production: logs grow fast and carry more request detail.',
        suggestion: 'Use INFO in production; switch to DEBUG only while diagnosing.',
      }),
    )
  }
}

export function validate(sources: Sources): Validated {
  const problems: ErrorInfo[] = []
  const warnings: ErrorInfo[] = []

  for (const name of Object.keys(sources.env)) {
    if (isSettingName(name) || !name.startsWith('STARPUNK_')) continue
    warnings.push(name in REMOVED_SETTINGS ? removedSetting(name, 'env') : unknownSetting(name, 'the environment'))
  }
  if (sources.fileProblem) problems.push(sources.fileProblem)
  const file = fileValues(sources.file, sources.filePath, problems, warnings)

  const values = new Map<SettingName, unknown>()
  const origins = new Map<SettingName, Origin>()
  const rejected = new Set<SettingName>()
  for (const name of SETTING_NAMES) {
    const setting = SETTINGS[name]
    const envRaw = sources.env[name] === '' ? undefined : sources.env[name]
    const fileRaw = file[name]
    // A file value is checked even when the environment shadows it: it will apply once the variable goes.
    if (fileRaw !== undefined && envRaw !== undefined) {
      const shadowed = setting.parse(fileRaw)
      if (!shadowed.ok) problems.push(invalid(name, fileRaw, shadowed.reason, 'file'))
    }
    const raw = envRaw ?? fileRaw
    const origin: Origin = envRaw !== undefined ? 'env' : 'file'
    values.set(name, setting.default)
    if (raw === undefined) continue
    const parsed = setting.parse(raw)
    if (!parsed.ok) {
      problems.push(invalid(name, raw, parsed.reason, origin))
      rejected.add(name)
      continue
    }
    values.set(name, parsed.value)
    origins.set(name, origin)
  }
  // The data dir counts as set wherever its variable is, even when it was refused (it still names the place).
  if (sources.env.STARPUNK_DATA_DIR) origins.set('STARPUNK_DATA_DIR', 'env')

  // Settings stored as they are first, then those that need them (toConfig), in table order.
  const built: Record<string, unknown> = { production: sources.production }
  const settings = allSettings()
  for (const setting of settings) if (!setting.toConfig) setAt(built, setting.path, values.get(setting.name as SettingName))
  // Complete from here on for every field the context promises (see ResolveContext).
  const config = built as unknown as Config
  for (const setting of settings) {
    if (setting.toConfig) setAt(built, setting.path, setting.toConfig(values.get(setting.name as SettingName), { cwd: sources.cwd, production: sources.production, config }))
  }
  const derived: Pick<Config, (typeof DERIVED_PATHS)[number]> = {
    production: sources.production,
    databasePath: join(config.dataDir, 'starpunk.db'),
    mediaDir: join(config.dataDir, 'media'),
    staticCopy: false,
  }
  Object.assign(built, derived)

  crossChecks(config, origins, problems, warnings)
  return { config, values, origins, rejected, problems, warnings }
}
