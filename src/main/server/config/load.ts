// PLACEHOLDER implementation (skeleton): the config helper completes validation (all problems at once,
// ErrorInfo per problem), the config file, secret generation/persistence and the field table.
import { resolve, join } from 'node:path'
import type { ErrorInfo } from '../../../shared/errors'
import type { ConfigField } from '../../../shared/contract'
import type { Config } from './types'

export interface LoadConfigOptions {
  /** Environment to read (default process.env). Tests pass their own. */
  env?: Record<string, string | undefined>
  /** Working directory for resolving a relative data dir (default process.cwd()). */
  cwd?: string
  /** Values that win over everything (tests; the desktop app's edits). */
  overrides?: Partial<Record<string, string>>
  /** Create the data dir and persist a generated secret (default true). check-config passes false. */
  persist?: boolean
}

export interface LoadedConfig {
  config: Config
  problems: ErrorInfo[]
  fields: ConfigField[]
  filePath: string
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = { ...(options.env ?? process.env), ...options.overrides }
  const cwd = options.cwd ?? process.cwd()
  const dataDir = resolve(cwd, env.STARPUNK_DATA_DIR ?? 'data')
  const host = env.STARPUNK_HOST ?? '127.0.0.1'
  const port = Number(env.STARPUNK_PORT ?? 8080)
  const config: Config = {
    siteUrl: (env.STARPUNK_SITE_URL ?? `http://${host}:${port}`).replace(/\/+$/, ''),
    siteName: env.STARPUNK_SITE_NAME ?? 'StarPunk',
    adminMe: env.STARPUNK_ADMIN_ME ?? null,
    authorName: env.STARPUNK_AUTHOR_NAME ?? 'The Author',
    sessionSecret: env.STARPUNK_SESSION_SECRET ?? 'dev-secret-placeholder-please-replace-0000',
    host,
    port,
    dataDir,
    databasePath: join(dataDir, 'starpunk.db'),
    logDir: join(dataDir, 'logs'),
    mediaDir: join(dataDir, 'media'),
    logLevel: 'INFO',
    logFormat: 'human',
    db: { poolSize: 4, poolTimeoutMs: 5000, busyTimeoutMs: 5000, slowQueryMs: 250, nativeBinding: env.STARPUNK_SQLITE_NATIVE_BINDING ?? null },
    search: { enabled: true, engine: 'auto' },
    session: { timeoutSeconds: 86_400, maxAgeSeconds: 30 * 86_400 },
    health: { detailed: false, token: env.STARPUNK_HEALTH_TOKEN ?? null, memoryThresholdMb: 1024 },
    feed: { maxItems: 50, cacheSeconds: 300 },
    media: { maxUploadBytes: 10 * 1024 * 1024 },
    maxBodyBytes: 1024 * 1024,
    notesPerPage: 20,
    devMode: false,
    production: env.NODE_ENV === 'production',
  }
  return { config, problems: [], fields: [], filePath: join(dataDir, 'config.json') }
}
