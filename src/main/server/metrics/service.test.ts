import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig, type Config } from '../config'
import { createHealthService } from '../health'
import { METRICS_DB_FILE, createMetricsService, openMetricsHistory } from '.'

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
let dir: string
let config: Config

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'starpunk-metrics-service-'))
  const loaded = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_FILES: 'false', STARPUNK_SITE_NAME: 'Test notes', STARPUNK_DISK_WARN_PERCENT: '100' } })
  expect(loaded.problems).toEqual([])
  config = loaded.config
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('the metrics service', () => {
  it('reads its settings, returns the disk check, samples, answers the tray, and leaves start/stop in metrics.db', async () => {
    expect(config.metrics).toEqual({ enabled: true, public: false, retentionDays: 30, maxMb: 256, healthSampleSeconds: 30, alertSamples: 2, diskWarnPercent: 100 })
    let now = T0
    // Readiness is read through callbacks, so the service exists before the health service it gives its check to.
    const service = createMetricsService({ config, readiness: () => health.readiness(true), lastHealth: () => health.last(), clock: () => now })
    const health = createHealthService({ version: 'test', startedAt: T0, dataDir: config.dataDir, checks: service.healthChecks })
    expect(service.healthChecks.map((c) => [c.name, c.required])).toEqual([['disk', false]])
    try {
      expect(service.trayText()).toBe('Test notes — starting · uptime: no data (24 h) · req/s: no data')
      service.start()
      // The first health sample waits one interval; sample now.
      await service.scheduler.sampleHealth()
      expect(health.last()).not.toBeNull()
      const report = await health.readiness(true)
      expect(report.checks?.['disk:usage']?.[0]?.status).toBe('pass')
      expect(report.checks?.['disk:starpunk']?.[0]?.output).toMatch(/^database 0 MiB, media 0 MiB, logs 0 MiB, history [\d.]+ MiB$/)

      for (let i = 0; i < 6; i++) {
        for (let r = 0; r < 30; r++) service.collector.observeRequest({ path: '/', method: 'GET', status: 200, seconds: 0.001, bytes: 100 })
        now += 10_000
        service.scheduler.samplePoint()
      }
      await service.scheduler.sampleHealth()
      expect(service.trayText()).toBe('Test notes — up · uptime 100% (24 h) · 3.0 req/s')
    } finally {
      service.close()
    }
    const reopened = openMetricsHistory({ path: join(dir, METRICS_DB_FILE), clock: () => now })
    try {
      expect(reopened.events().map((e) => e.type)).toEqual(['server_stop', 'server_start'])
      expect(reopened.heartbeats({ from: T0, to: now + 1, component: 'disk' }).disk!.length).toBeGreaterThanOrEqual(1)
    } finally {
      reopened.close()
    }
  })
})
