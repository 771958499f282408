import type { ServerStatus } from '../../../shared/contract'
import { loadConfig, saveConfigFile, validateConfigValues, type Config, type LoadedConfig } from '../config'
import { appError } from '../errors'
import { VERSION } from '../version'
import type { ConsoleHost, ConsolePort } from './types'

/**
 * The host for a server that was started on its own (the plain CLI, tests): it reports, validates and
 * saves configuration, but cannot stop or restart itself — there is nobody to start it again.
 */
export function createFixedHost(deps: {
  config: Config
  server: () => ConsolePort
  url: () => string | null
  /** After a successful save (the monitoring history's config_saved event). */
  onSaved?: () => void
}): ConsoleHost {
  const env = { ...process.env, STARPUNK_DATA_DIR: deps.config.dataDir }
  let cached: { at: number; loaded: LoadedConfig } | null = null
  const loaded = (): LoadedConfig => {
    // Re-read at most once a second: the config file may be edited while the server runs.
    if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), loaded: loadConfig({ env, persist: false }) }
    return cached.loaded
  }
  const status = (): ServerStatus => {
    const ctx = deps.server()
    const url = deps.url()
    return {
      state: url ? 'running' : 'starting',
      url,
      version: VERSION,
      startedAt: new Date(ctx.startedAt).toISOString(),
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
      dataDir: deps.config.dataDir,
      searchEngine: ctx.searchEngine(),
      controllable: false,
    }
  }
  const unavailable = (action: string) => Promise.reject(appError('CONSOLE_ACTION_UNAVAILABLE', { vars: { action } }))
  return {
    supervised: false,
    status,
    running: () => deps.server(),
    loaded,
    validate: (values) => validateConfigValues(values, { env }),
    save: async (values) => {
      const result = saveConfigFile(deps.config.dataDir, values, { env })
      cached = null
      if (result.saved) deps.onSaved?.()
      return result
    },
    start: () => unavailable('start'),
    stop: () => unavailable('stop'),
    restart: () => unavailable('restart'),
    onStatus: () => () => {},
  }
}
