import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { HealthCheck, HealthReport } from '../../../shared/contract'
import { openTestDb } from '../db/test-support/db-fixture'
import { createHealthService, memoryCheck } from './service'

const time = () => new Date().toISOString()
const check = (status: HealthCheck['status']) => ({ [`x:${status}`]: [{ status, time: time() }] })

describe('health service', () => {
  it('a required failing check fails readiness; an optional one only warns', async () => {
    const health = createHealthService({ version: '1.2.3', startedAt: Date.now() })
    expect((await health.readiness(false)).status).toBe('pass')
    const off = health.register('optional', () => check('fail'), { required: false })
    expect((await health.readiness(false)).status).toBe('warn')
    health.register('required', () => check('fail'))
    expect(await health.readiness(false)).toEqual({ status: 'fail' })
    off()
    const detailed = await health.readiness(true)
    expect(detailed.status).toBe('fail')
    expect(Object.keys(detailed.checks ?? {})).toEqual(['x:fail'])
    expect(detailed.version).toBe('1.2.3')
  })

  it('a check that throws or hangs fails as `<name>:check` instead of breaking readiness', async () => {
    const health = createHealthService({ version: 't', startedAt: Date.now(), checkTimeoutMs: 50 })
    health.register('thrower', () => {
      throw Object.assign(new Error('boom /secret/path'), { code: 'EBOOM' })
    })
    health.register('hanger', () => new Promise(() => {}))
    const report = await health.readiness(true)
    expect(report.status).toBe('fail')
    expect(report.checks?.['thrower:check']?.[0]?.output).toBe('The thrower check failed (EBOOM).')
    expect(report.checks?.['hanger:check']?.[0]?.output).toContain('TIMEOUT')
    expect(JSON.stringify(report)).not.toContain('/secret/path')
  })

  it('concurrent readiness calls share one run of the checks', async () => {
    const health = createHealthService({ version: 't', startedAt: Date.now() })
    let runs = 0
    // The check stays in flight until all ten calls have been made.
    let release!: () => void
    const inFlight = new Promise<void>((resolve) => (release = resolve))
    health.register('counted', async () => {
      runs++
      await inFlight
      return check('pass')
    })
    const calls = Array.from({ length: 10 }, () => health.readiness(true))
    release()
    await Promise.all(calls)
    expect(runs).toBe(1)
    await health.readiness(true)
    expect(runs).toBe(2)
  })

  it('keeps the last detailed report and tells listeners when the status changes', async () => {
    const health = createHealthService({ version: 't', startedAt: Date.now() })
    expect(health.last()).toBeNull()
    let state: HealthCheck['status'] = 'pass'
    health.register('flip', () => check(state))
    const seen: HealthReport['status'][] = []
    health.onChange((r) => seen.push(r.status))
    await health.readiness(false)
    await health.readiness(false)
    state = 'fail'
    await health.readiness(false)
    state = 'pass'
    await health.readiness(false)
    expect(seen).toEqual(['pass', 'fail', 'pass'])
    expect(health.last()?.checks?.['x:pass']).toBeDefined()
  })

  it('memory warns above the threshold and passes below it', async () => {
    const over = await memoryCheck(100, () => 200 * 1024 * 1024)()
    const under = await memoryCheck(100, () => 50 * 1024 * 1024)()
    expect(over['memory:rss']?.[0]).toMatchObject({ status: 'warn', observedValue: 200, observedUnit: 'MiB' })
    expect(under['memory:rss']?.[0]).toMatchObject({ status: 'pass', observedValue: 50 })
  })

  it('the filesystem check writes for real: a data dir that is a missing path fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'starpunk-health-fs-'))
    try {
      const ok = createHealthService({ version: 't', startedAt: Date.now(), dataDir: dir })
      expect((await ok.readiness(true)).checks?.['filesystem:writable']?.[0]?.status).toBe('pass')
      const missing = createHealthService({ version: 't', startedAt: Date.now(), dataDir: join(dir, 'gone') })
      const report = await missing.readiness(true)
      expect(report.status).toBe('fail')
      expect(report.checks?.['filesystem:writable']?.[0]?.output).toContain('ENOENT')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("database connections are counted as the probe found them, not the readiness run's own queries", async () => {
    const fixture = await openTestDb({ poolSize: 2 })
    try {
      const { db } = fixture
      let pinged!: () => void
      const pingDone = new Promise<void>((resolve) => (pinged = resolve))
      // The database check's own ping, and another component reading while the database check runs (as
      // the search component counts notes): neither is a connection the rest of the server holds.
      const health = createHealthService({
        version: 't',
        startedAt: Date.now(),
        db: { ping: async () => db.ping().finally(pinged), stats: () => db.stats() },
      })
      health.register('reader', () => db.withReader(async (r) => (await r.get('SELECT 1'), await pingDone, check('pass'))), { required: false })
      const idle = await health.readiness(true)
      expect(idle.checks?.['database:connections']?.[0]?.observedValue).toBe(0)

      // A connection held by someone else while the probe arrives is reported.
      let release!: () => void
      const held = db.withReader(() => new Promise<void>((resolve) => (release = resolve)))
      await new Promise((r) => setImmediate(r))
      const busy = await health.readiness(true)
      expect(busy.checks?.['database:connections']?.[0]?.observedValue).toBe(1)
      release()
      await held
    } finally {
      await fixture.close()
    }
  })
})
