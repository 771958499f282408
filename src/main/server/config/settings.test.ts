import { describe, expect, it } from 'vitest'
import { loadConfig } from '.'
import { DERIVED_PATHS, REMOVED_SETTINGS, SETTINGS, SETTING_NAMES, allSettings, defaultsOf } from './settings'

/** Every field of a Config object, as dotted paths (one level of nesting; lists are values). */
function leafPaths(value: Record<string, unknown>): string[] {
  return Object.entries(value).flatMap(([key, field]) =>
    field !== null && typeof field === 'object' && !Array.isArray(field) ? Object.keys(field).map((inner) => `${key}.${inner}`) : [key],
  )
}

describe('the settings table', () => {
  it('fills every Config field exactly once: each from one setting, or derived by the loader', () => {
    const { config } = loadConfig({ env: {}, persist: false, file: {} })
    const filled = [...allSettings().map((s) => s.path), ...DERIVED_PATHS]
    expect(new Set(filled).size, 'a Config field filled twice').toBe(filled.length)
    expect([...filled].sort()).toEqual(leafPaths(config as unknown as Record<string, unknown>).sort())
  })

  it("formats each default back to text that parses to the same default ('' is unset)", () => {
    for (const setting of allSettings()) {
      const text = setting.format(setting.default)
      if (text === '') continue
      const parsed = setting.parse(text)
      expect(parsed, setting.name).toEqual({ ok: true, value: setting.default })
    }
  })

  it('formats given values back to text that parses to the same value', () => {
    const given: Record<string, string> = {
      STARPUNK_TRUSTED_PROXIES: '10.0.0.1 ,  LOOPBACK,fd00::/8',
      STARPUNK_LOG_LEVEL: 'warn',
      STARPUNK_SEARCH_ENGINE: 'FTS5',
      STARPUNK_SITE_URL: 'https://example.com/blog/',
      STARPUNK_LOG_FILE_MAX_BYTES: '1_048_576',
      STARPUNK_SEARCH_ENABLED: 'off',
    }
    for (const [name, raw] of Object.entries(given)) {
      const setting = SETTINGS[name as keyof typeof SETTINGS]
      const first = setting.parse(raw)
      if (!first.ok) throw new Error(`${name}: ${first.reason}`)
      const format = setting.format as (value: unknown) => string
      expect(setting.parse(format(first.value)), name).toEqual(first)
    }
  })

  it('writes a readable default for every setting, and marks every test hook environment-only', () => {
    for (const setting of allSettings()) {
      expect(setting.defaultText.length, setting.name).toBeGreaterThan(0)
      if (setting.testHook) expect(setting.envOnly, setting.name).toBe(true)
      if (setting.envOnly) expect(setting.envOnlyReason, setting.name).toMatch(/^[a-z].*[^.]$/)
    }
  })

  it('gives a group its defaults from the table (what logging uses when a caller passes no log-file settings)', () => {
    const { config } = loadConfig({ env: {}, persist: false, file: {} })
    expect(defaultsOf('logFiles')).toEqual(config.logFiles)
    expect(defaultsOf('logFiles')).toEqual({ enabled: true, maxBytes: 10 * 1024 * 1024, count: 10 })
  })

  it('names each setting by its key, and keeps removed names out of the table', () => {
    for (const name of SETTING_NAMES) expect(SETTINGS[name].name).toBe(name)
    for (const name of Object.keys(REMOVED_SETTINGS)) expect(SETTING_NAMES as string[]).not.toContain(name)
  })
})
