import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkConsoleEdits, loadConfig, SETTINGS } from '.'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const ENV_ONLY = ['STARPUNK_DATA_DIR', 'STARPUNK_LOG_DIR', 'STARPUNK_SQLITE_NATIVE_BINDING'] as const

describe('checkConsoleEdits', () => {
  it('refuses every environment-only setting, field by field, and passes the rest on', () => {
    const values = {
      STARPUNK_SITE_NAME: 'Fine',
      STARPUNK_DATA_DIR: '/elsewhere',
      STARPUNK_LOG_DIR: '/home/someone/.ssh',
      STARPUNK_SQLITE_NATIVE_BINDING: '/tmp/evil.node',
    }
    const check = checkConsoleEdits(values, { fileValues: {}, confirmed: false })
    expect(check.allowed).toEqual({ STARPUNK_SITE_NAME: 'Fine' })
    expect(check.problems.map((p) => p.message.split(' ')[0])).toEqual([...ENV_ONLY])
    for (const problem of check.problems) {
      expect(problem.code).toBe('CONFIG_INVALID')
      expect(problem.message).toMatch(/^STARPUNK_\w+ cannot be set from the console: .+\.$/)
      expect(problem.suggestion).toContain('environment variable')
    }
    expect(check.problems[2]?.message).toContain('native code')
    // Clearing one (back to the default) is always allowed.
    expect(checkConsoleEdits({ STARPUNK_LOG_DIR: '' }, { fileValues: {}, confirmed: false })).toEqual({ allowed: { STARPUNK_LOG_DIR: '' }, problems: [], confirmation: null })
  })

  it('the test hooks and paths are marked environment-only in the settings table', () => {
    for (const name of ENV_ONLY) expect(SETTINGS[name].envOnly, name).toBe(true)
    for (const spec of Object.values(SETTINGS)) if ('testHook' in spec && spec.testHook) expect(spec.envOnly, spec.name).toBe(true)
  })

  it('a new listen address other machines can reach needs confirmation, with an explanation', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'notes.example.com']) {
      const check = checkConsoleEdits({ STARPUNK_HOST: host }, { fileValues: {}, confirmed: false })
      expect(check.problems, host).toEqual([])
      expect(check.confirmation?.setting, host).toBe('STARPUNK_HOST')
      expect(check.confirmation?.to, host).toBe(host)
      expect(check.confirmation?.explanation, host).toContain(`Listening on ${host}`)
      expect(check.confirmation?.explanation, host).toContain('127.0.0.1')
      expect(checkConsoleEdits({ STARPUNK_HOST: host }, { fileValues: {}, confirmed: true }).confirmation, host).toBeNull()
    }
    // Loopback exposes nothing; the same value sent back as the file has it is no change; invalid is left to validation.
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) {
      expect(checkConsoleEdits({ STARPUNK_HOST: host }, { fileValues: { STARPUNK_HOST: '0.0.0.0' }, confirmed: false }).confirmation, host).toBeNull()
    }
    expect(checkConsoleEdits({ STARPUNK_HOST: '0.0.0.0' }, { fileValues: { STARPUNK_HOST: '0.0.0.0' }, confirmed: false }).confirmation).toBeNull()
    expect(checkConsoleEdits({ STARPUNK_HOST: '10.0.0.2' }, { fileValues: { STARPUNK_HOST: '10.0.0.1' }, confirmed: false }).confirmation?.from).toBe('10.0.0.1')
    expect(checkConsoleEdits({ STARPUNK_HOST: 'not a host!' }, { fileValues: {}, confirmed: false }).confirmation).toBeNull()
  })
})

describe('config.json and environment-only settings', () => {
  it('a config file may not set the log directory or the native binding, not even by hand', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-envonly-'))
    dirs.push(dataDir)
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ STARPUNK_LOG_DIR: '/var/tmp/logs', STARPUNK_SQLITE_NATIVE_BINDING: process.execPath }))
    const { problems, config } = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir }, persist: false })
    expect(problems.map((p) => p.message)).toEqual([
      'STARPUNK_LOG_DIR cannot be set in config.json: it names a place anywhere on disk where the server writes files.',
      'STARPUNK_SQLITE_NATIVE_BINDING cannot be set in config.json: it loads native code into the server (a hook for tests).',
    ])
    expect(config.logDir).toBe(join(dataDir, 'logs'))
    expect(config.db.nativeBinding).toBeNull()
    // From the environment both still work.
    const fromEnv = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_LOG_DIR: '/var/tmp/logs', STARPUNK_SQLITE_NATIVE_BINDING: process.execPath }, persist: false, file: {} })
    expect(fromEnv.problems).toEqual([])
    expect(fromEnv.config.logDir).toBe('/var/tmp/logs')
    expect(fromEnv.config.db.nativeBinding).toBe(process.execPath)
  })
})

describe('STARPUNK_FETCH_ALLOW_PRIVATE', () => {
  it('only the environment can turn it on: the console and config.json are refused', () => {
    expect(SETTINGS.STARPUNK_FETCH_ALLOW_PRIVATE.envOnly).toBe(true)
    const check = checkConsoleEdits({ STARPUNK_FETCH_ALLOW_PRIVATE: 'true', STARPUNK_SITE_NAME: 'Fine' }, { fileValues: {}, confirmed: true })
    expect(check.allowed).toEqual({ STARPUNK_SITE_NAME: 'Fine' })
    expect(check.problems.map((p) => p.message)).toEqual([
      'STARPUNK_FETCH_ALLOW_PRIVATE cannot be set from the console: it lets the server send requests to this computer and its private network.',
    ])

    const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-envonly-'))
    dirs.push(dataDir)
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ STARPUNK_FETCH_ALLOW_PRIVATE: true }))
    const fromFile = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir }, persist: false })
    expect(fromFile.problems.map((p) => p.message)).toEqual([
      'STARPUNK_FETCH_ALLOW_PRIVATE cannot be set in config.json: it lets the server send requests to this computer and its private network.',
    ])
    expect(fromFile.config.fetch.allowPrivate).toBe(false)

    const fromEnv = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_FETCH_ALLOW_PRIVATE: 'true' }, persist: false, file: {} })
    expect(fromEnv.problems).toEqual([])
    expect(fromEnv.config.fetch.allowPrivate).toBe(true)
  })
})
