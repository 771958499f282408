// config:validate and config:save through the real console service and supervisor: settings only the
// environment may set are refused, and a listen address other machines can reach needs `confirm`.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Result } from '../../../shared/contract'
import { createSupervisor, type ServerSupervisor } from '../supervisor'

interface SaveAnswer {
  problems: Array<{ code: string; message: string }>
  saved: boolean
  confirmation?: { setting: string; from: string; to: string; explanation: string }
}

function data<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`call failed: ${result.error.code} ${result.error.message}`)
  return result.data as T
}

describe('console config calls refuse what only the environment may set', () => {
  let supervisor: ServerSupervisor
  let dataDir: string
  const configFile = () => join(dataDir, 'config.json')
  const fileContents = () => JSON.parse(readFileSync(configFile(), 'utf8')) as Record<string, string>

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'starpunk-console-guard-'))
    // Not started: the config calls work on a stopped server too (the desktop's safe mode relies on it).
    supervisor = createSupervisor({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0' }, server: { logging: { write: () => {} } } })
  })
  afterAll(async () => {
    await supervisor.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('config:validate names each refused setting; config:save writes nothing', async () => {
    // A file that exists, so the only reason to refuse is who is asking.
    const values = { STARPUNK_SQLITE_NATIVE_BINDING: process.execPath, STARPUNK_LOG_DIR: join(tmpdir(), 'anywhere-on-disk') }
    const checked = data<{ problems: Array<{ message: string }> }>(await supervisor.console.call('config:validate', { values }))
    expect(checked.problems.map((p) => p.message.split(' ')[0]).sort()).toEqual(['STARPUNK_LOG_DIR', 'STARPUNK_SQLITE_NATIVE_BINDING'])
    for (const p of checked.problems) expect(p.message).toContain('cannot be set from the console')
    const saved = data<SaveAnswer>(await supervisor.console.call('config:save', { values: { ...values, STARPUNK_SITE_NAME: 'Still fine' } }))
    expect(saved.saved).toBe(false)
    expect(saved.problems).toHaveLength(2)
    expect(existsSync(configFile())).toBe(false)
  })

  it('STARPUNK_HOST=0.0.0.0 is saved only with confirm, after an explanation', async () => {
    const refused = data<SaveAnswer>(await supervisor.console.call('config:save', { values: { STARPUNK_HOST: '0.0.0.0' } }))
    expect(refused.saved).toBe(false)
    expect(refused.problems).toEqual([])
    expect(refused.confirmation).toMatchObject({ setting: 'STARPUNK_HOST', from: '', to: '0.0.0.0' })
    expect(refused.confirmation?.explanation).toContain('Listening on 0.0.0.0')
    expect(existsSync(configFile())).toBe(false)
    // Validation alone does not ask: the value itself is valid.
    expect(data<{ problems: unknown[] }>(await supervisor.console.call('config:validate', { values: { STARPUNK_HOST: '0.0.0.0' } })).problems).toEqual([])

    const confirmed = data<SaveAnswer>(await supervisor.console.call('config:save', { values: { STARPUNK_HOST: '0.0.0.0' }, confirm: true }))
    expect(confirmed).toMatchObject({ saved: true, problems: [] })
    expect(confirmed.confirmation).toBeUndefined()
    expect(fileContents()).toEqual({ STARPUNK_HOST: '0.0.0.0' })

    // Sent back unchanged with another edit: nothing new to confirm. Back to loopback: nothing to confirm.
    expect(data<SaveAnswer>(await supervisor.console.call('config:save', { values: { STARPUNK_HOST: '0.0.0.0', STARPUNK_SITE_NAME: 'Open' } })).saved).toBe(true)
    expect(data<SaveAnswer>(await supervisor.console.call('config:save', { values: { STARPUNK_HOST: '127.0.0.1' } })).saved).toBe(true)
    expect(fileContents()).toEqual({ STARPUNK_HOST: '127.0.0.1' })
    // Any other non-loopback address asks again.
    expect(data<SaveAnswer>(await supervisor.console.call('config:save', { values: { STARPUNK_HOST: '192.168.1.20' } })).confirmation?.from).toBe('127.0.0.1')
    expect(fileContents()).toEqual({ STARPUNK_HOST: '127.0.0.1' })
  })

  it('confirm must be a boolean', async () => {
    const result = await supervisor.console.dispatch('config:save', { values: { STARPUNK_HOST: '0.0.0.0' }, confirm: 'yes' })
    expect(result.ok).toBe(false)
    expect(existsSync(configFile()) ? fileContents().STARPUNK_HOST : '127.0.0.1').toBe('127.0.0.1')
  })
})
