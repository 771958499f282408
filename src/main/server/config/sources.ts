/**
 * Where raw setting values come from: the environment (with the caller's overrides) and
 * `<dataDir>/config.json`. This reads; it neither judges the values (validate.ts) nor writes (data-dir.ts).
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ErrorInfo } from '../../../shared/errors'
import { errorInfo } from '../errors/app-error'
import { errnoCode } from '../errors/errno'
import { SETTINGS } from './settings'

export const CONFIG_FILE_NAME = 'config.json'

export interface SourceOptions {
  /** Environment to read (default process.env). Tests pass their own. */
  env?: Record<string, string | undefined>
  /** Working directory for resolving a relative data dir (default process.cwd()). */
  cwd?: string
  /** Values that win over everything (tests; the desktop app's edits). */
  overrides?: Partial<Record<string, string>>
  /** Use these as the config file's contents instead of reading `<dataDir>/config.json` (validation of edits). */
  file?: Record<string, unknown>
}

export interface Sources {
  cwd: string
  /** NODE_ENV=production. */
  production: boolean
  /**
   * Every STARPUNK_* variable of the environment, overrides applied. An empty one is kept (an unknown name is
   * still worth a warning) but counts as unset, as `STARPUNK_SITE_URL=` in a compose file usually means.
   */
  env: Record<string, string>
  /** The data directory, resolved: it locates config.json, so it can only come from the environment. */
  dataDir: string
  filePath: string
  /** config.json's top-level value as parsed; undefined when there is no file or it cannot be used. */
  file: unknown
  /** Why config.json cannot be used (unreadable, not JSON). */
  fileProblem: ErrorInfo | null
}

export function readSources(options: SourceOptions = {}): Sources {
  const given = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(given)) if (name.startsWith('STARPUNK_') && value !== undefined) env[name] = value
  for (const [name, value] of Object.entries(options.overrides ?? {})) if (value !== undefined && value !== '') env[name] = value

  // A data dir the validation rejects still names a place, for the file and the messages.
  const dirSetting = SETTINGS.STARPUNK_DATA_DIR
  const dirRaw = env.STARPUNK_DATA_DIR
  const dirParsed = dirRaw ? dirSetting.parse(dirRaw) : null
  const dataDir = resolve(cwd, dirParsed?.ok ? dirParsed.value : (dirRaw ?? dirSetting.default))
  const filePath = join(dataDir, CONFIG_FILE_NAME)
  const file = options.file !== undefined ? { file: options.file as unknown, problem: null } : readConfigFile(filePath)
  return { cwd, production: given.NODE_ENV === 'production', env, dataDir, filePath, file: file.file, fileProblem: file.problem }
}

function readConfigFile(filePath: string): { file: unknown; problem: ErrorInfo | null } {
  let text: string
  try {
    text = readFileSync(filePath, 'utf8')
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOENT' || code === 'ENOTDIR') return { file: undefined, problem: null }
    return { file: undefined, problem: errorInfo('CONFIG_FILE_INVALID', { vars: { detail: 'it cannot be read.' }, details: `File: ${filePath}` }) }
  }
  try {
    return { file: JSON.parse(text) as unknown, problem: null }
  } catch (err) {
    // JSON.parse's message names the position, never the file's contents beyond a character.
    return {
      file: undefined,
      problem: errorInfo('CONFIG_FILE_INVALID', { vars: { detail: `it is not valid JSON (${(err as Error).message}).` }, details: `File: ${filePath}` }),
    }
  }
}
