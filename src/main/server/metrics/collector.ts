/**
 * The metrics collector: one prom-client Registry per server (never prom-client's global one), the
 * counters and histograms requests, search and the pool feed, and a per-window accumulator the history
 * sampler drains every 10 s. Knows nothing of Express: the middleware and the fast path both call
 * observeRequest().
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { PoolStats } from '../../../shared/contract'
import { BUCKET_COUNT, LATENCY_BUCKETS_SECONDS, bucketIndex } from './buckets'
import { methodLabel, routeGroup, statusClass, type RouteGroup } from './route-group'
import type { DiskUsage } from './disk'

export interface ObservedRequest {
  /** The request path (a query string is ignored; only its route group is kept). */
  path: string
  method: string
  status: number
  /** Time from the request's arrival to the last byte written (or the abort). */
  seconds: number
  /** Body bytes written. */
  bytes: number
}

/** Counts for one series (a route group, or a search engine) over one window. */
export interface SeriesWindow {
  requests: number
  /** 5xx answers (search: failed queries). */
  serverErrors: number
  clientErrors: number
  bytes: number
  sumSeconds: number
  /** Per-bucket (not cumulative) counts over LATENCY_BUCKETS_SECONDS and +Inf. */
  buckets: number[]
}

/** What happened since the previous takeWindow(): the history's 10-second point. */
export interface MetricsWindow {
  /** Epoch ms the window started and ended (the collector's clock). */
  start: number
  end: number
  /** Keys `http:<route group>` and `search:<engine>`; only series with activity are present. */
  series: Record<string, SeriesWindow>
  process: {
    eventLoopP99Ms: number | null
    eventLoopMaxMs: number | null
    rssBytes: number
    heapUsedBytes: number
    poolWaiting: number | null
    poolActive: number | null
    /** Deltas over the window of the pool's cumulative counters. */
    poolAcquired: number | null
    poolTimeouts: number | null
    poolWaitMs: number | null
    slowQueries: number
    /** StarPunk's own bytes on disk (database, media, logs, history) and the free space, last measured. */
    diskUsedBytes: number | null
    diskFreeBytes: number | null
  }
}

export interface MetricsCollectorDeps {
  /** Pool stats, read when /metrics is scraped and when a window is taken. */
  pool?: () => PoolStats | null
  clock?: () => number
  /** Register prom-client's process_* and nodejs_* metrics on this registry (default true). */
  defaultMetrics?: boolean
}

export interface MetricsCollector {
  readonly registry: Registry
  /** The Content-Type of metricsText(). */
  readonly contentType: string
  observeRequest(request: ObservedRequest): void
  /** One search query's time on an engine ('fts5', 'like'; anything else is counted as 'other'). */
  observeSearch(engine: string, seconds: number, failed?: boolean): void
  countSlowQuery(): void
  /** The latest disk measurement (exposed as gauges, and in the history's points). */
  setDisk(usage: DiskUsage): void
  takeWindow(): MetricsWindow
  /** The Prometheus text exposition of this registry. */
  metricsText(): Promise<string>
  /** Stop the event-loop monitor. */
  close(): void
}

const LABELS = ['group', 'method', 'status_class'] as const
const ENGINE = /^[a-z0-9_]{1,16}$/

interface RequestChildren {
  requests: Counter.Internal
  duration: Histogram.Internal<(typeof LABELS)[number]>
  bytes: Counter.Internal
  window: string
}

function emptySeries(): SeriesWindow {
  return { requests: 0, serverErrors: 0, clientErrors: 0, bytes: 0, sumSeconds: 0, buckets: new Array<number>(BUCKET_COUNT).fill(0) }
}

export function createMetricsCollector(deps: MetricsCollectorDeps = {}): MetricsCollector {
  const clock = deps.clock ?? Date.now
  const registry = new Registry()
  if (deps.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry })
    // prom-client names these three gauges `_total`, which Prometheus reserves for counters (promtool check
    // metrics flags them). Their per-type gauges (nodejs_active_handles{type} …) carry the same numbers.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name)
  }

  const requests = new Counter({ name: 'starpunk_http_requests_total', help: 'HTTP requests answered, by route group, method and status class.', labelNames: LABELS, registers: [registry] })
  const duration = new Histogram({
    name: 'starpunk_http_request_duration_seconds',
    help: 'Time from a request arriving to its last byte written, by route group, method and status class.',
    labelNames: LABELS,
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers: [registry],
  })
  const bytesOut = new Counter({ name: 'starpunk_http_response_bytes_total', help: 'Response body bytes written, by route group, method and status class.', labelNames: LABELS, registers: [registry] })
  const search = new Histogram({ name: 'starpunk_search_duration_seconds', help: 'Search query time, by engine.', labelNames: ['engine'], buckets: [...LATENCY_BUCKETS_SECONDS], registers: [registry] })
  let slowQueries = 0
  new Counter({
    name: 'starpunk_db_slow_queries_total',
    help: 'Database queries slower than STARPUNK_DB_SLOW_QUERY_MS.',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(slowQueries)
    },
  })

  const readPool = (): PoolStats | null => {
    try {
      return deps.pool?.() ?? null
    } catch {
      // A pool that is closing cannot answer; the scrape still succeeds without its numbers.
      return null
    }
  }
  if (deps.pool) {
    new Gauge({
      name: 'starpunk_db_pool_connections',
      help: 'Reader pool connections by state.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const stats = readPool()
        this.reset()
        if (!stats) return
        this.set({ state: 'active' }, stats.active)
        this.set({ state: 'idle' }, stats.idle)
      },
    })
    new Gauge({ name: 'starpunk_db_pool_waiting', help: 'Callers waiting for a reader connection.', registers: [registry], collect() { this.set(readPool()?.waiting ?? 0) } })
    const cumulative = (name: string, help: string, read: (s: PoolStats) => number): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const stats = readPool()
          this.reset()
          if (stats) this.inc(read(stats))
        },
      })
    }
    cumulative('starpunk_db_pool_acquires_total', 'Reader connections handed out.', (s) => s.acquired)
    cumulative('starpunk_db_pool_acquire_timeouts_total', 'Waits for a reader connection that timed out (POOL_EXHAUSTED).', (s) => s.timeouts)
    cumulative('starpunk_db_pool_acquire_wait_seconds_total', 'Time spent waiting for reader connections.', (s) => s.totalWaitMs / 1000)
  }

  let disk: DiskUsage | null = null
  new Gauge({
    name: 'starpunk_disk_usage_bytes',
    help: "Bytes StarPunk keeps on disk, by area (last measured by the disk check).",
    labelNames: ['area'],
    registers: [registry],
    collect() {
      this.reset()
      if (!disk) return
      this.set({ area: 'database' }, disk.databaseBytes)
      this.set({ area: 'media' }, disk.mediaBytes)
      this.set({ area: 'logs' }, disk.logsBytes)
      this.set({ area: 'history' }, disk.historyBytes)
    },
  })
  new Gauge({ name: 'starpunk_disk_free_bytes', help: "Free bytes on the data directory's file system (last measured).", registers: [registry], collect() { if (disk?.freeBytes != null) this.set(disk.freeBytes) } })

  // Our own monitor, reset every window, so the history gets each 10 s's delay (the nodejs_eventloop_lag_*
  // defaults reset on every scrape, which would make the two readers disturb each other).
  let loop: IntervalHistogram | null = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()

  // Label children cached per label combination: prom-client hashes label objects on every call otherwise.
  const children = new Map<string, RequestChildren>()
  let window = new Map<string, SeriesWindow>()
  let windowStart = clock()
  // Copies: a pool may hand out one object it keeps updating.
  const initialPool = readPool()
  let lastPool: PoolStats | null = initialPool ? { ...initialPool } : null
  let slowAtWindowStart = 0

  function seriesFor(key: string): SeriesWindow {
    let series = window.get(key)
    if (!series) {
      series = emptySeries()
      window.set(key, series)
    }
    return series
  }

  function observeRequest(request: ObservedRequest): void {
    const group: RouteGroup = routeGroup(request.path)
    const method = methodLabel(request.method)
    const cls = statusClass(request.status)
    const key = `${group} ${method} ${cls}`
    let child = children.get(key)
    if (!child) {
      child = { requests: requests.labels(group, method, cls), duration: duration.labels(group, method, cls), bytes: bytesOut.labels(group, method, cls), window: `http:${group}` }
      children.set(key, child)
    }
    const seconds = request.seconds >= 0 && Number.isFinite(request.seconds) ? request.seconds : 0
    const bytes = request.bytes > 0 && Number.isFinite(request.bytes) ? request.bytes : 0
    child.requests.inc()
    child.duration.observe(seconds)
    if (bytes > 0) child.bytes.inc(bytes)
    const series = seriesFor(child.window)
    series.requests++
    if (request.status >= 500) series.serverErrors++
    else if (request.status >= 400) series.clientErrors++
    series.bytes += bytes
    series.sumSeconds += seconds
    const buckets = series.buckets
    const index = bucketIndex(seconds)
    buckets[index] = (buckets[index] as number) + 1
  }

  function observeSearch(engine: string, seconds: number, failed = false): void {
    const label = ENGINE.test(engine) ? engine : 'other'
    const value = seconds >= 0 && Number.isFinite(seconds) ? seconds : 0
    search.labels(label).observe(value)
    const series = seriesFor(`search:${label}`)
    series.requests++
    if (failed) series.serverErrors++
    series.sumSeconds += value
    const index = bucketIndex(value)
    series.buckets[index] = (series.buckets[index] as number) + 1
  }

  function takeWindow(): MetricsWindow {
    const end = clock()
    const series = Object.fromEntries(window)
    window = new Map()
    const pool = readPool()
    const delta = (read: (s: PoolStats) => number): number | null => (pool ? Math.max(0, read(pool) - (lastPool ? read(lastPool) : 0)) : null)
    let eventLoopP99Ms: number | null = null
    let eventLoopMaxMs: number | null = null
    if (loop && loop.count > 0) {
      eventLoopP99Ms = loop.percentile(99) / 1e6
      eventLoopMaxMs = loop.max / 1e6
      loop.reset()
    }
    const memory = process.memoryUsage()
    const result: MetricsWindow = {
      start: windowStart,
      end,
      series,
      process: {
        eventLoopP99Ms,
        eventLoopMaxMs,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        poolWaiting: pool ? pool.waiting : null,
        poolActive: pool ? pool.active : null,
        poolAcquired: delta((s) => s.acquired),
        poolTimeouts: delta((s) => s.timeouts),
        poolWaitMs: delta((s) => s.totalWaitMs),
        slowQueries: slowQueries - slowAtWindowStart,
        diskUsedBytes: disk ? disk.databaseBytes + disk.mediaBytes + disk.logsBytes + disk.historyBytes : null,
        diskFreeBytes: disk?.freeBytes ?? null,
      },
    }
    if (pool) lastPool = { ...pool }
    slowAtWindowStart = slowQueries
    windowStart = end
    return result
  }

  return {
    registry,
    contentType: registry.contentType,
    observeRequest,
    observeSearch,
    countSlowQuery() {
      slowQueries++
    },
    setDisk(usage) {
      disk = usage
    },
    takeWindow,
    metricsText: () => registry.metrics(),
    close() {
      loop?.disable()
      loop = null
    },
  }
}
