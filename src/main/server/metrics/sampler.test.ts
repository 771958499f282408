import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHealthService } from '../health'
import { createMetricsCollector, createMetricsScheduler, openMetricsHistory, type Alert, type MetricsCollector, type MetricsHistory } from '.'

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
let root: string
let dataDir: string
let now: number
let collector: MetricsCollector
let history: MetricsHistory

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'starpunk-metrics-sampler-'))
  dataDir = join(root, 'data')
  mkdirSync(dataDir)
  now = T0
  collector = createMetricsCollector({ defaultMetrics: false, clock: () => now })
  history = openMetricsHistory({ path: join(dataDir, 'metrics.db'), clock: () => now })
})
afterEach(() => {
  history.close()
  collector.close()
  rmSync(root, { recursive: true, force: true })
})

describe('pool exhaustion', () => {
  it('a window in which pool waits timed out leaves one pool_exhausted event', () => {
    const stats = { size: 2, active: 2, idle: 0, waiting: 3, acquired: 10, released: 8, created: 2, timeouts: 0, totalWaitMs: 0, maxWaitMs: 0, meanWaitMs: 0, at: 0 }
    const c = createMetricsCollector({ defaultMetrics: false, clock: () => now, pool: () => ({ ...stats }) })
    const scheduler = createMetricsScheduler({ collector: c, history, healthIntervalMs: 30_000, alertSamples: 2, clock: () => now })
    now += 10_000
    scheduler.samplePoint()
    stats.timeouts = 4
    now += 10_000
    scheduler.samplePoint()
    now += 10_000
    scheduler.samplePoint()
    c.close()
    expect(history.events({ types: ['pool_exhausted'] })).toEqual([
      expect.objectContaining({ time: T0 + 20_000, level: 'warning', details: { timeouts: 4, waiting: 3 }, message: '4 requests waited too long for a database connection (POOL_EXHAUSTED).' }),
    ])
  })
})

describe('log file faults', () => {
  it('a change of the log file state between samples is one event each way', () => {
    let state: { enabled: boolean; ok: boolean; code?: string } = { enabled: true, ok: true }
    const scheduler = createMetricsScheduler({ collector, history, healthIntervalMs: 30_000, alertSamples: 2, clock: () => now, logFile: () => state })
    for (const next of [{ enabled: true, ok: true }, { enabled: true, ok: false, code: 'ENOSPC' }, { enabled: true, ok: false, code: 'ENOSPC' }, { enabled: true, ok: true }]) {
      state = next
      now += 10_000
      scheduler.samplePoint()
    }
    expect(history.events({ types: ['log_file_fault'] }).map((e) => [e.level, e.details])).toEqual([
      ['info', { ok: true }],
      ['error', { ok: false, code: 'ENOSPC' }],
    ])
  })
})

describe('the metrics schedule on a real health service and a real data dir', () => {
  it('breaking the data dir opens an incident and alerts after N samples; repairing it closes the incident and writes what waited', async () => {
    const health = createHealthService({ version: 'test', startedAt: T0, dataDir })
    const alerts: Alert[] = []
    const scheduler = createMetricsScheduler({ collector, history, readiness: () => health.readiness(true), healthIntervalMs: 30_000, alertSamples: 2, clock: () => now, onAlert: (a) => alerts.push(a) })

    await scheduler.sampleHealth()
    collector.observeRequest({ path: '/', method: 'GET', status: 200, seconds: 0.001, bytes: 10 })
    now += 10_000
    scheduler.samplePoint()

    // Broken: the data dir is moved away and a regular file put in its place.
    renameSync(dataDir, join(root, 'moved'))
    writeFileSync(dataDir, 'not a directory')
    now += 30_000
    const brokeAt = now
    expect(await scheduler.sampleHealth()).toBeNull()
    expect(history.openIncidents().map((i) => i.component).sort()).toEqual(['filesystem', 'overall'])
    expect(history.openIncidents().find((i) => i.component === 'filesystem')!.firstOutput).toMatch(/^The data directory is not writable \(E[A-Z]+\)\.$/)
    expect(history.status().writable).toBe(false)
    now += 30_000
    expect(await scheduler.sampleHealth()).toEqual({ from: 'pass', to: 'fail', kind: 'down' })

    // Repaired.
    rmSync(dataDir)
    renameSync(join(root, 'moved'), dataDir)
    now += 30_000
    const repairedAt = now
    expect(await scheduler.sampleHealth()).toBeNull()
    now += 30_000
    expect(await scheduler.sampleHealth()).toEqual({ from: 'fail', to: 'pass', kind: 'recovered' })
    expect(alerts.map((a) => a.kind)).toEqual(['down', 'recovered'])

    expect(history.status()).toMatchObject({ writable: true, buffered: 0 })
    const incident = history.incidents().find((i) => i.component === 'filesystem')
    expect(incident).toMatchObject({ status: 'fail', startedAt: brokeAt, endedAt: repairedAt, durationMs: repairedAt - brokeAt })
    expect(history.heartbeats({ from: T0, to: now + 1, component: 'filesystem' }).filesystem!.map((b) => b.status)).toEqual(['pass', 'fail', 'fail', 'pass', 'pass'])
    expect(history.events({ types: ['readiness_changed'] }).map((e) => e.details)).toEqual([
      { from: 'fail', to: 'pass' },
      { from: 'pass', to: 'fail' },
    ])
    expect(history.traffic({ from: T0, to: T0 + 60_000, stepMs: 60_000 }).buckets[0]!.total!.requests).toBe(1)
  })
})
