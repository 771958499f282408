import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig, saveConfigFile, validateConfigValues, SECRET_MASK, SETTING_NAMES } from '.'

let root: string
let dataDir: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'starpunk-config-'))
  dataDir = join(root, 'data')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

const load = (env: Record<string, string> = {}, extra: Parameters<typeof loadConfig>[0] = {}) =>
  loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, ...env }, ...extra })

describe('loadConfig defaults', () => {
  it('works with no settings: creates the data dir, listens on 127.0.0.1:8080, site URL is the listen address', () => {
    const { config, problems } = loadConfig({ env: {}, cwd: root })
    expect(problems).toEqual([])
    expect(config.dataDir).toBe(join(root, 'data'))
    expect(existsSync(config.dataDir)).toBe(true)
    expect(config.host).toBe('127.0.0.1')
    expect(config.port).toBe(8080)
    expect(config.siteUrl).toBe('http://127.0.0.1:8080')
    expect(config.logDir).toBe(join(root, 'data', 'logs'))
    expect(config.logLevel).toBe('INFO')
    expect(config.logFormat).toBe('human')
    expect(config.media.maxUploadBytes).toBe(10 * 1024 * 1024)
  })

  it('site URL follows a configured host and port, and loses a trailing slash when given', () => {
    expect(load({ STARPUNK_HOST: '::1', STARPUNK_PORT: '9000' }).config.siteUrl).toBe('http://[::1]:9000')
    expect(load({ STARPUNK_SITE_URL: 'https://notes.example.com/' }).config.siteUrl).toBe('https://notes.example.com')
    expect(load({ STARPUNK_SITE_URL: 'https://example.com/blog///' }).config.siteUrl).toBe('https://example.com/blog')
  })

  it('log format auto is json in production and human otherwise; explicit values win', () => {
    expect(load({ NODE_ENV: 'production' }).config.logFormat).toBe('json')
    expect(load({ NODE_ENV: 'production', STARPUNK_LOG_FORMAT: 'human' }).config.logFormat).toBe('human')
    expect(load({ STARPUNK_LOG_FORMAT: 'json' }).config.logFormat).toBe('json')
  })

  it('parses typed values', () => {
    const { config, problems } = load({
      STARPUNK_PORT: '0',
      STARPUNK_LOG_LEVEL: 'debug',
      STARPUNK_DB_POOL_SIZE: '8',
      STARPUNK_SEARCH_ENABLED: 'no',
      STARPUNK_SEARCH_ENGINE: 'LIKE',
      STARPUNK_HEALTH_CHECK_DETAILED: 'true',
      STARPUNK_ADMIN_ME: 'https://me.example/',
      STARPUNK_SESSION_TIMEOUT: '3600',
    })
    expect(problems).toEqual([])
    expect(config.port).toBe(0)
    expect(config.logLevel).toBe('DEBUG')
    expect(config.db.poolSize).toBe(8)
    expect(config.search).toEqual({ enabled: false, engine: 'like' })
    expect(config.health.detailed).toBe(true)
    expect(config.adminMe).toBe('https://me.example')
    expect(config.session.timeoutSeconds).toBe(3600)
  })
})

describe('validation collects every problem at once', () => {
  it('reports each bad setting by name and value, with a suggestion and troubleshooting', () => {
    const { problems } = load({
      STARPUNK_PORT: 'eighty',
      STARPUNK_LOG_LEVEL: 'LOUD',
      STARPUNK_DB_POOL_SIZE: '0',
      STARPUNK_SITE_URL: 'ftp://example.com',
      STARPUNK_SEARCH_ENABLED: 'maybe',
    })
    expect(problems).toHaveLength(5)
    const byName = (name: string) => problems.find((p) => p.message.startsWith(name))
    expect(byName('STARPUNK_PORT')?.message).toContain('"eighty"')
    expect(byName('STARPUNK_LOG_LEVEL')?.message).toContain('DEBUG, INFO, WARNING, ERROR, CRITICAL')
    expect(byName('STARPUNK_DB_POOL_SIZE')?.message).toContain('from 1 to 64')
    expect(byName('STARPUNK_SITE_URL')?.message).toContain('http')
    expect(byName('STARPUNK_SEARCH_ENABLED')?.message).toContain('"maybe"')
    for (const p of problems) {
      expect(p.code).toBe('CONFIG_INVALID')
      expect(p.suggestion.length).toBeGreaterThan(10)
      expect(p.troubleshooting.length).toBeGreaterThan(0)
    }
  })

  it('masks a short session secret and reports it as a problem', () => {
    const { problems } = load({ STARPUNK_SESSION_SECRET: 'hunter2-abc' })
    expect(problems).toHaveLength(1)
    expect(problems[0]?.message).toMatch(/^STARPUNK_SESSION_SECRET/)
    expect(problems[0]?.message).toContain('11 characters')
    expect(JSON.stringify(problems)).not.toContain('hunter2')
  })

  it('escapes control characters in a reported value', () => {
    const { problems } = load({ STARPUNK_PORT: '80\nFAKE LINE' })
    expect(problems[0]?.message).toContain('\\n')
    expect(problems[0]?.message).not.toContain('\n')
  })

  it('rejects a session max age below the idle timeout', () => {
    const { problems } = load({ STARPUNK_SESSION_TIMEOUT: '7200', STARPUNK_SESSION_MAX_AGE: '3600' })
    expect(problems.map((p) => p.message.split(' ')[0])).toEqual(['STARPUNK_SESSION_MAX_AGE'])
  })

  it('warns (not fails) about unknown STARPUNK_* variables, suggesting the close name', () => {
    const { problems, warnings } = load({ STARPUNK_PORTT: '1' })
    expect(problems).toEqual([])
    const warning = warnings.find((w) => w.code === 'CONFIG_UNKNOWN_SETTING')
    expect(warning?.message).toContain('STARPUNK_PORTT')
    expect(warning?.suggestion).toContain('STARPUNK_PORT')
  })

  it('warns about DEBUG logging in production', () => {
    const warned = load({ NODE_ENV: 'production', STARPUNK_LOG_LEVEL: 'DEBUG' })
    expect(warned.problems).toEqual([])
    expect(warned.warnings.map((w) => [w.code, w.message.split(' ')[0]])).toEqual([['CONFIG_WARNING', 'STARPUNK_LOG_LEVEL']])
    expect(load({ STARPUNK_LOG_LEVEL: 'DEBUG' }).warnings).toEqual([])
  })

  it('warnings have their own code, never a problem code', () => {
    const { warnings, problems } = load({ STARPUNK_HOST: '0.0.0.0', STARPUNK_HEALTH_TOKEN: 'short', NODE_ENV: 'production', STARPUNK_LOG_LEVEL: 'DEBUG' })
    expect(problems).toEqual([])
    expect(warnings.map((w) => w.message.split(' ')[0])).toEqual(['STARPUNK_HOST', 'STARPUNK_HEALTH_TOKEN', 'STARPUNK_LOG_LEVEL'])
    for (const warning of warnings) {
      expect(warning.code).toBe('CONFIG_WARNING')
      expect(warning.troubleshooting.length).toBeGreaterThan(0)
    }
  })

  it('STARPUNK_DEV_MODE is gone: in config.json or the environment it is a warning, not a failure', () => {
    load()
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ STARPUNK_SITE_NAME: 'Old file', STARPUNK_DEV_MODE: true }))
    const fromFile = load()
    expect(fromFile.problems).toEqual([])
    expect(fromFile.config.siteName).toBe('Old file')
    expect(fromFile.warnings.map((w) => [w.code, w.message])).toEqual([
      ['CONFIG_WARNING', 'STARPUNK_DEV_MODE is no longer a setting: it never changed anything. It is ignored.'],
    ])
    expect(fromFile.warnings[0]?.suggestion).toContain('config.json')
    const fromEnv = load({ STARPUNK_DEV_MODE: 'true' }, { file: {} })
    expect(fromEnv.problems).toEqual([])
    expect(fromEnv.warnings.map((w) => w.code)).toEqual(['CONFIG_WARNING'])
    expect(fromEnv.warnings[0]?.suggestion).toContain('environment variable')
    expect(fromEnv.fields.map((f) => f.name)).not.toContain('STARPUNK_DEV_MODE')
  })

  it('warns when binding beyond loopback', () => {
    expect(load({ STARPUNK_HOST: '0.0.0.0' }).warnings.some((w) => w.message.startsWith('STARPUNK_HOST'))).toBe(true)
    expect(load({ STARPUNK_HOST: 'localhost' }).warnings).toEqual([])
  })

  it('a data dir that cannot be created is DATA_DIR_NOT_WRITABLE (and the message holds no path)', () => {
    const blocker = join(root, 'a-file')
    writeFileSync(blocker, 'not a directory')
    for (const persist of [true, false]) {
      const { problems } = loadConfig({ env: { STARPUNK_DATA_DIR: join(blocker, 'data') }, persist })
      const problem = problems.find((p) => p.code === 'DATA_DIR_NOT_WRITABLE')
      expect(problem, `persist=${persist}`).toBeDefined()
      expect(problem?.message).not.toContain(root)
      expect(problem?.details).toContain(blocker)
    }
  })
})

describe('session secret', () => {
  it('is generated on first run, persisted 0600, and the same on the next load', () => {
    const first = load()
    const file = join(dataDir, 'session-secret')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(first.config.sessionSecret.length).toBeGreaterThanOrEqual(32)
    expect(readFileSync(file, 'utf8').trim()).toBe(first.config.sessionSecret)
    expect(load().config.sessionSecret).toBe(first.config.sessionSecret)
    expect(first.fields.find((f) => f.name === 'STARPUNK_SESSION_SECRET')).toMatchObject({ value: SECRET_MASK, source: 'generated', secret: true })
  })

  it('is not written when persist is false (check-config)', () => {
    const { config, problems } = load({}, { persist: false })
    expect(problems).toEqual([])
    expect(config.sessionSecret.length).toBeGreaterThanOrEqual(32)
    expect(existsSync(dataDir)).toBe(false)
  })

  it('a configured secret wins over the file', () => {
    load()
    const secret = 'x'.repeat(40)
    expect(load({ STARPUNK_SESSION_SECRET: secret }).config.sessionSecret).toBe(secret)
  })

  it('a damaged secret file is a problem, and a loose mode is tightened with a warning', () => {
    load()
    const file = join(dataDir, 'session-secret')
    chmodSync(file, 0o644)
    const loose = load()
    expect(loose.warnings.some((w) => w.message.includes('permissions'))).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    writeFileSync(file, 'short\n')
    expect(load().problems.some((p) => p.message.includes('damaged'))).toBe(true)
  })
})

describe('config file', () => {
  it('is read after the environment and before defaults', () => {
    load()
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ STARPUNK_SITE_NAME: 'From file', STARPUNK_PORT: 9090, STARPUNK_SEARCH_ENABLED: false }))
    const fromFile = load()
    expect(fromFile.problems).toEqual([])
    expect(fromFile.config.siteName).toBe('From file')
    expect(fromFile.config.port).toBe(9090)
    expect(fromFile.config.search.enabled).toBe(false)
    expect(fromFile.fields.find((f) => f.name === 'STARPUNK_PORT')?.source).toBe('file')
    const envWins = load({ STARPUNK_PORT: '7070' })
    expect(envWins.config.port).toBe(7070)
    expect(envWins.fields.find((f) => f.name === 'STARPUNK_PORT')?.source).toBe('env')
    expect(envWins.fields.find((f) => f.name === 'STARPUNK_SITE_NAME')?.source).toBe('file')
  })

  it('invalid JSON, unknown names, the data dir and bad values are all reported together', () => {
    load()
    const file = join(dataDir, 'config.json')
    writeFileSync(file, '{ "STARPUNK_SITE_NAME": ')
    expect(load().problems.map((p) => p.code)).toEqual(['CONFIG_FILE_INVALID'])
    writeFileSync(file, JSON.stringify({ STARPUNK_SITE_NAM: 'typo', STARPUNK_DATA_DIR: '/elsewhere', STARPUNK_PORT: 'x', STARPUNK_FEED_MAX_ITEMS: [1] }))
    const { problems } = load()
    expect(problems.map((p) => p.code).sort()).toEqual(['CONFIG_INVALID', 'CONFIG_INVALID', 'CONFIG_INVALID', 'CONFIG_UNKNOWN_SETTING'])
    expect(problems.find((p) => p.code === 'CONFIG_UNKNOWN_SETTING')?.suggestion).toContain('STARPUNK_SITE_NAME')
  })

  it('reports a bad file value even while the environment shadows it', () => {
    load()
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ STARPUNK_PORT: 'abc' }))
    const { problems, config } = load({ STARPUNK_PORT: '8081' })
    expect(config.port).toBe(8081)
    expect(problems).toHaveLength(1)
    expect(problems[0]?.details).toContain('config.json')
  })

  it('a reload sees changes (no cached state)', () => {
    expect(load().config.siteName).toBe('StarPunk')
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ STARPUNK_SITE_NAME: 'Changed' }))
    expect(load().config.siteName).toBe('Changed')
  })
})

describe('fields for the console', () => {
  it('lists every setting once, with secrets masked', () => {
    const secret = 's'.repeat(40)
    const { fields } = load({ STARPUNK_SESSION_SECRET: secret, STARPUNK_HEALTH_TOKEN: 'monitor-token-1234567' })
    expect(fields.map((f) => f.name)).toEqual(SETTING_NAMES)
    expect(JSON.stringify(fields)).not.toContain(secret)
    expect(JSON.stringify(fields)).not.toContain('monitor-token')
    expect(fields.find((f) => f.name === 'STARPUNK_HEALTH_TOKEN')).toMatchObject({ value: SECRET_MASK, source: 'env', secret: true })
    expect(fields.find((f) => f.name === 'STARPUNK_PORT')).toMatchObject({ value: '8080', source: 'default', default: '8080', envOnly: false })
    // The console shows environment-only settings read-only, whatever their source.
    expect(fields.filter((f) => f.envOnly).map((f) => f.name)).toEqual(['STARPUNK_MIRROR_DIR', 'STARPUNK_DATA_DIR', 'STARPUNK_LOG_DIR', 'STARPUNK_SQLITE_NATIVE_BINDING', 'STARPUNK_FETCH_ALLOW_PRIVATE'])
  })
})

describe('validateConfigValues and saveConfigFile', () => {
  it('validate returns problems without writing', () => {
    const problems = validateConfigValues({ STARPUNK_PORT: '70000', STARPUNK_NOTES_PER_PAGE: '10' }, { env: { STARPUNK_DATA_DIR: dataDir } })
    expect(problems).toHaveLength(1)
    expect(problems[0]?.message).toMatch(/^STARPUNK_PORT/)
    expect(existsSync(join(dataDir, 'config.json'))).toBe(false)
  })

  it('never saves an invalid file; saves a valid one 0600 that the next load reads', () => {
    const rejected = saveConfigFile(dataDir, { STARPUNK_SITE_NAME: 'Mine', STARPUNK_PORT: 'nope' }, { env: {} })
    expect(rejected.saved).toBe(false)
    expect(rejected.problems).toHaveLength(1)
    expect(existsSync(join(dataDir, 'config.json'))).toBe(false)

    const accepted = saveConfigFile(dataDir, { STARPUNK_SITE_NAME: 'Mine', STARPUNK_PORT: '8181', STARPUNK_ADMIN_ME: '' }, { env: {} })
    expect(accepted).toEqual({ problems: [], saved: true })
    const file = join(dataDir, 'config.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ STARPUNK_SITE_NAME: 'Mine', STARPUNK_PORT: '8181' })
    expect(load().config.siteName).toBe('Mine')
  })

  it('a secret sent back masked keeps its saved value', () => {
    const token = 'health-token-abcdefghijkl'
    expect(saveConfigFile(dataDir, { STARPUNK_HEALTH_TOKEN: token }, { env: {} }).saved).toBe(true)
    expect(saveConfigFile(dataDir, { STARPUNK_HEALTH_TOKEN: SECRET_MASK, STARPUNK_SITE_NAME: 'Again' }, { env: {} }).saved).toBe(true)
    expect(load().config.health.token).toBe(token)
  })
})
