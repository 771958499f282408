// Metrics: what counting a request costs (observeRequest, ns per request) against naive prom-client use
// (label objects on every call); the size of 30 days of history at a steady load, extrapolated from a
// simulated run with an injected clock; and the console's 30-day queries on 30 days of rollups.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Counter, Histogram, Registry } from 'prom-client'
import type { HealthReport, HealthStatus } from '../src/shared/contract'
import { LATENCY_BUCKETS_SECONDS, createMetricsCollector, openMetricsHistory, type MetricsWindow } from '../src/main/server/metrics'
import type { BenchContext } from './lib'

const GROUP = 'Metrics'
const DAY = 86_400_000
const PATHS = ['/', '/notes/hello-world', '/notes/another-note', '/feed.rss', '/search?q=x', '/micropub', '/media/a.jpg', '/admin', '/admin/console/api/logs', '/health', '/wp-login.php']
const STATUSES = [200, 200, 200, 304, 404, 200, 500, 200]

function perRequestNs(ops: number, fn: (i: number) => void): number {
  for (let i = 0; i < 20_000; i++) fn(i)
  const start = process.hrtime.bigint()
  for (let i = 0; i < ops; i++) fn(i)
  return Number(process.hrtime.bigint() - start) / ops
}

function steadyWindow(collector: ReturnType<typeof createMetricsCollector>, start: number, end: number, requests: number): MetricsWindow {
  for (let i = 0; i < requests; i++) collector.observeRequest({ path: PATHS[i % PATHS.length]!, method: 'GET', status: STATUSES[i % STATUSES.length]!, seconds: 0.0005 + (i % 17) * 0.002, bytes: 4_000 })
  collector.observeSearch('fts5', 0.004)
  const w = collector.takeWindow()
  return { ...w, start, end }
}

function healthReport(i: number): HealthReport {
  const time = new Date(0).toISOString()
  const status: HealthStatus = i % 500 === 0 ? 'warn' : 'pass'
  const checks: HealthReport['checks'] = {}
  for (const c of ['database', 'filesystem', 'memory', 'logs', 'media', 'render', 'search', 'disk']) checks[`${c}:x`] = [{ status: c === 'disk' ? status : 'pass', time, ...(status === 'warn' && c === 'disk' ? { output: 'The disk is 91% full.' } : {}) }]
  return { status, checks }
}

export default async function metricsBench(ctx: BenchContext): Promise<void> {
  // 1. Per request.
  const collector = createMetricsCollector({ defaultMetrics: false })
  const ops = ctx.quick ? 200_000 : 2_000_000
  const ours = perRequestNs(ops, (i) => collector.observeRequest({ path: PATHS[i % PATHS.length]!, method: 'GET', status: STATUSES[i % STATUSES.length]!, seconds: 0.001 * (i % 50), bytes: 1234 }))
  const naiveRegistry = new Registry()
  const labelNames = ['group', 'method', 'status_class'] as const
  const count = new Counter({ name: 'n_requests_total', help: 'h', labelNames, registers: [naiveRegistry] })
  const hist = new Histogram({ name: 'n_duration_seconds', help: 'h', labelNames, buckets: [...LATENCY_BUCKETS_SECONDS], registers: [naiveRegistry] })
  const bytes = new Counter({ name: 'n_bytes_total', help: 'h', labelNames, registers: [naiveRegistry] })
  const groups = ['pages', 'feeds', 'search', 'other']
  const naive = perRequestNs(ops, (i) => {
    const labels = { group: groups[i % 4]!, method: 'GET', status_class: `${Math.floor(STATUSES[i % STATUSES.length]! / 100)}xx` }
    count.inc(labels)
    hist.observe(labels, 0.001 * (i % 50))
    bytes.inc(labels, 1234)
  })
  collector.close()
  ctx.report({ group: GROUP, name: 'observeRequest per request vs prom-client with label objects per call', ours, baseline: naive, unit: 'ns', higherIsBetter: false, note: `${ops} calls; ours also classifies the path and fills the history window` })

  // 2. History size: a steady load (20 req/s over 11 route groups, one search per 10 s, 8 readiness
  // components every 30 s) simulated with an injected clock, pruned as it goes; extrapolated to 30 days.
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-metrics-'))
  try {
    const days = ctx.quick ? 1 : 3
    let now = Date.UTC(2026, 0, 1)
    const sim = createMetricsCollector({ defaultMetrics: false, clock: () => now })
    const history = openMetricsHistory({ path: join(dir, 'size.db'), clock: () => now })
    const start = now
    let i = 0
    while (now < start + days * DAY) {
      const w = steadyWindow(sim, now, now + 10_000, 200)
      now += 10_000
      history.recordWindow(w)
      if (i % 3 === 0) history.recordHealth(healthReport(i), now, 30_000)
      history.flush()
      history.prune()
      i++
    }
    const size = history.sizeBytes() ?? 0
    history.close()
    sim.close()
    const perDayMiB = size / days / (1024 * 1024)
    ctx.report({ group: GROUP, name: 'metrics.db size, 30 days at a steady load (extrapolated)', ours: perDayMiB * 30, baseline: 256, unit: 'MiB', higherIsBetter: false, note: `simulated ${days} d: ${(size / (1024 * 1024)).toFixed(2)} MiB; baseline = STARPUNK_METRICS_MAX_MB default` })

    // 3. The 30-day views on 30 days of 1-minute rollups (one window a minute) and 30 s health samples.
    now = Date.UTC(2026, 1, 1)
    const q = createMetricsCollector({ defaultMetrics: false, clock: () => now })
    const full = openMetricsHistory({ path: join(dir, 'query.db'), clock: () => now, maxBuffered: 1_000_000 })
    const from = now
    for (let m = 0; m < 30 * 1440; m++) {
      full.recordWindow(steadyWindow(q, now, now + 10_000, 20))
      full.recordHealth(healthReport(m), now, 30_000)
      full.recordHealth(healthReport(m + 1), now + 30_000, 30_000)
      now += 60_000
      if (m % 500 === 0) while (full.flush() > 0);
    }
    while (full.flush() > 0);
    q.close()
    const times = (fn: () => unknown): number => {
      fn()
      const runs = ctx.quick ? 3 : 10
      const t0 = performance.now()
      for (let r = 0; r < runs; r++) fn()
      return (performance.now() - t0) / runs
    }
    const traffic30 = times(() => full.traffic({ from, to: now }))
    const traffic1h = times(() => full.traffic({ from: now - 3_600_000, to: now, stepMs: 60_000 }))
    const uptime30 = times(() => full.uptime({ from, to: now }))
    ctx.report({ group: GROUP, name: 'console traffic query: 30 days (2 h buckets) vs 1 hour', ours: traffic30, baseline: traffic1h, unit: 'ms', higherIsBetter: false, note: `${full.traffic({ from, to: now }).buckets.length} buckets; main thread, synchronous` })
    ctx.report({ group: GROUP, name: 'uptime over 30 days, 8 components (30 s samples) vs traffic 30 d', ours: uptime30, baseline: traffic30, unit: 'ms', higherIsBetter: false, note: `file ${((full.sizeBytes() ?? 0) / (1024 * 1024)).toFixed(1)} MiB` })
    full.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
