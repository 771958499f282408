import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ErrorInfo } from '../../../shared/errors'
import { CONFIG_FILE_NAME, saveConfigFile, SETTINGS, type Config } from '../config'

/** The settings the admin's profile page edits, in the order it shows them. */
export const PROFILE_SETTINGS = ['STARPUNK_AUTHOR_NAME', 'STARPUNK_AUTHOR_PHOTO', 'STARPUNK_AUTHOR_BIO', 'STARPUNK_AUTHOR_LINKS'] as const
export type ProfileSetting = (typeof PROFILE_SETTINGS)[number]

export interface ProfileField {
  name: ProfileSetting
  /** The effective value, as text (links separated by spaces). */
  value: string
  /** Set in the environment: the environment wins, so the page shows it read-only. */
  fromEnv: boolean
}

export interface AuthorProfile {
  fields(): ProfileField[]
  /**
   * Write the edited fields into config.json (every other setting there kept), then apply them to the
   * running server at once. Fields the environment sets are left alone. Nothing is written when a value
   * is invalid: the problems say which and why.
   */
  save(values: Partial<Record<ProfileSetting, string>>): { problems: ErrorInfo[]; saved: boolean }
  /** Counts saves: pages and feeds built from the profile are rebuilt when it moves. */
  readonly version: number
}

export interface AuthorProfileDeps {
  /** The server's live configuration: every route reads the author from it, so changing it applies live. */
  config: Config
  /** The environment the settings came from (default process.env, as the console's Config panel reads it). */
  env?: NodeJS.ProcessEnv
}

function formatted(config: Config, name: ProfileSetting): string {
  switch (name) {
    case 'STARPUNK_AUTHOR_NAME':
      return SETTINGS.STARPUNK_AUTHOR_NAME.format(config.authorName)
    case 'STARPUNK_AUTHOR_PHOTO':
      return SETTINGS.STARPUNK_AUTHOR_PHOTO.format(config.authorPhoto)
    case 'STARPUNK_AUTHOR_BIO':
      return SETTINGS.STARPUNK_AUTHOR_BIO.format(config.authorBio)
    case 'STARPUNK_AUTHOR_LINKS':
      return SETTINGS.STARPUNK_AUTHOR_LINKS.format(config.authorLinks)
  }
}

/** The author profile as settings: stored in config.json like every other, the environment still winning. */
export function createAuthorProfile(deps: AuthorProfileDeps): AuthorProfile {
  const { config } = deps
  const env = deps.env ?? process.env
  let version = 0
  const fromEnv = (name: ProfileSetting) => env[name] !== undefined

  function fileValues(): Record<string, string> {
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(config.dataDir, CONFIG_FILE_NAME), 'utf8'))
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {}
      const values: Record<string, string> = {}
      for (const [name, value] of Object.entries(parsed)) {
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[name] = String(value)
      }
      return values
    } catch {
      return {}
    }
  }

  function apply(name: ProfileSetting, raw: string): void {
    // Validated already by saveConfigFile; an empty value means the default.
    switch (name) {
      case 'STARPUNK_AUTHOR_NAME': {
        const parsed = SETTINGS.STARPUNK_AUTHOR_NAME.parse(raw)
        config.authorName = raw.trim() === '' || !parsed.ok ? SETTINGS.STARPUNK_AUTHOR_NAME.default : parsed.value
        return
      }
      case 'STARPUNK_AUTHOR_PHOTO': {
        const parsed = SETTINGS.STARPUNK_AUTHOR_PHOTO.parse(raw)
        config.authorPhoto = parsed.ok ? parsed.value : null
        return
      }
      case 'STARPUNK_AUTHOR_BIO': {
        const parsed = SETTINGS.STARPUNK_AUTHOR_BIO.parse(raw)
        config.authorBio = parsed.ok ? parsed.value : null
        return
      }
      case 'STARPUNK_AUTHOR_LINKS': {
        const parsed = SETTINGS.STARPUNK_AUTHOR_LINKS.parse(raw)
        config.authorLinks = parsed.ok ? parsed.value : []
        return
      }
    }
  }

  return {
    get version() {
      return version
    },
    fields: () => PROFILE_SETTINGS.map((name) => ({ name, value: formatted(config, name), fromEnv: fromEnv(name) })),
    save(values) {
      const next = fileValues()
      const changed: ProfileSetting[] = []
      for (const name of PROFILE_SETTINGS) {
        const value = values[name]
        if (value === undefined || fromEnv(name)) continue
        next[name] = value.trim()
        changed.push(name)
      }
      const result = saveConfigFile(config.dataDir, next, { env })
      if (!result.saved) return result
      for (const name of changed) apply(name, next[name] ?? '')
      version += 1
      return result
    },
  }
}
