/**
 * Configuration: STARPUNK_* environment variables, then `<dataDir>/config.json`, then defaults. The loader is
 * three steps: read the sources (sources.ts), judge them against the settings table (validate.ts, pure), and
 * prepare the data dir (data-dir.ts: probes, the secret file, chmod). Nothing is cached in module state:
 * calling loadConfig() again is a reload.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ErrorInfo } from '../../../shared/errors'
import type { ConfigField } from '../../../shared/contract'
import { errorInfo } from '../errors/app-error'
import { errnoCode } from '../errors/errno'
import { prepareDataDir } from './data-dir'
import { consoleFields, SECRET_MASK } from './fields'
import { SETTING_NAMES, SETTINGS, isSettingName } from './settings'
import { CONFIG_FILE_NAME, readSources, type SourceOptions } from './sources'
import type { Config } from './types'
import { validate } from './validate'

export { SECRET_FILE_NAME } from './data-dir'
export { SECRET_MASK } from './fields'
export { CONFIG_FILE_NAME } from './sources'

export interface LoadConfigOptions extends SourceOptions {
  /** Create the data dir and persist a generated secret (default true). check-config passes false. */
  persist?: boolean
}

export interface LoadedConfig {
  /** Always complete: a rejected value falls back to its default, so the console can still show it. */
  config: Config
  /** Problems that stop the server from starting. */
  problems: ErrorInfo[]
  /** Worth knowing, not fatal (unknown STARPUNK_* variables, binding beyond loopback...), code CONFIG_WARNING or CONFIG_UNKNOWN_SETTING. */
  warnings: ErrorInfo[]
  fields: ConfigField[]
  filePath: string
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const sources = readSources(options)
  const validated = validate(sources)
  const prepared = prepareDataDir(validated.config, { persist: options.persist ?? true, secretRejected: validated.rejected.has('STARPUNK_SESSION_SECRET') })
  const config: Config = { ...validated.config, sessionSecret: prepared.sessionSecret }
  return {
    config,
    problems: [...(prepared.dataDirProblem ? [prepared.dataDirProblem] : []), ...validated.problems, ...prepared.problems],
    warnings: [...validated.warnings, ...prepared.warnings],
    fields: consoleFields({ config, values: validated.values, origins: validated.origins, secretGenerated: prepared.secretGenerated }),
    filePath: sources.filePath,
  }
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
          message: `The config file cannot be written (${errnoCode(err) ?? 'error'}).`,
          details: `File: ${filePath}`,
        }),
      ],
      saved: false,
    }
  }
  return { problems: [], saved: true }
}
