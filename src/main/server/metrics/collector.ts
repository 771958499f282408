/**
 * The metrics collector: one prom-client Registry per server (never prom-client's global one), the
 * counters and histograms requests, search and the pool feed, and a per-window accumulator the history
 * sampler drains every 10 s. Knows nothing of Express: the middleware and the fast path both call
 * observeRequest(). prom-client itself (~12 MiB, a tenth of start-up) is loaded on the first scrape: requests
 * only ever touch the tallies.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { Registry } from 'prom-client'
import type { PoolStats } from '../../../shared/contract'
import { lazyRequire } from '../lazy'
import { BUCKET_COUNT, bucketIndex } from './buckets'
import { methodLabel, routeGroup, statusClass, type RouteGroup } from './route-group'
import type { DiskUsage } from './disk'
import { registerTallyCounter, registerTallyHistogram, type PromClient } from './tallies'

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
  /**
   * A gauge another capability owns (e.g. the webmention queue), read when /metrics is scraped. `name`
   * must start with `starpunk_`; `read` returns one value, or values by label.
   */
  addGauge(gauge: { name: string; help: string; labelNames?: readonly string[]; read: () => number | Array<{ labels: Record<string, string>; value: number }> }): void
  /** Stop the event-loop monitor. */
  close(): void
}

const LABELS = ['group', 'method', 'status_class'] as const
const promClient = lazyRequire<PromClient>('prom-client')
const ENGINE = /^[a-z0-9_]{1,16}$/

/** Cumulative counts for one label combination; `seen*` is what the last window already handed out. */
interface Tally {
  labels: { group: string; method: string; status_class: string }
  /** `http:<group>` or `search:<engine>`: the history series it adds to. */
  series: string
  serverError: boolean
  clientError: boolean
  count: number
  /** Search only: queries that failed. */
  failed: number
  bytes: number
  sum: number
  buckets: Float64Array
  seenFailed: number
  seenCount: number
  seenBytes: number
  seenSum: number
  seenBuckets: Float64Array
}

function newTally(labels: Tally['labels'], series: string, cls: string): Tally {
  return {
    labels,
    series,
    serverError: cls === '5xx',
    clientError: cls === '4xx',
    count: 0,
    failed: 0,
    seenFailed: 0,
    bytes: 0,
    sum: 0,
    buckets: new Float64Array(BUCKET_COUNT),
    seenCount: 0,
    seenBytes: 0,
    seenSum: 0,
    seenBuckets: new Float64Array(BUCKET_COUNT),
  }
}

function emptySeries(): SeriesWindow {
  return { requests: 0, serverErrors: 0, clientErrors: 0, bytes: 0, sumSeconds: 0, buckets: new Array<number>(BUCKET_COUNT).fill(0) }
}

export function createMetricsCollector(deps: MetricsCollectorDeps = {}): MetricsCollector {
  const clock = deps.clock ?? Date.now
  // Per label combination, our own tallies (prom-client reads them when scraped: see tallies.ts).
  const requestTallies = new Map<string, Tally>()
  const searchTallies = new Map<string, Tally>()
  let slowQueries = 0
  let disk: DiskUsage | null = null

  const readPool = (): PoolStats | null => {
    try {
      return deps.pool?.() ?? null
    } catch {
      // A pool that is closing cannot answer; the scrape still succeeds without its numbers.
      return null
    }
  }

  type GaugeSpec = Parameters<MetricsCollector['addGauge']>[0]
  /** Gauges other capabilities added before the registry exists. */
  const pendingGauges: GaugeSpec[] = []
  let registry: Registry | null = null

  function registerGauge(prom: PromClient, into: Registry, gauge: GaugeSpec): void {
    new prom.Gauge({
      name: gauge.name,
      help: gauge.help,
      labelNames: gauge.labelNames ?? [],
      registers: [into],
      collect() {
        this.reset()
        let value
        try {
          value = gauge.read()
        } catch {
          // A capability that cannot answer leaves its gauge empty; the scrape still succeeds.
          return
        }
        if (typeof value === 'number') this.set(value)
        else for (const v of value) this.set(v.labels, v.value)
      },
    })
  }

  /**
   * The registry, made on the first scrape. Every value lives in the tallies and counters above, or is read
   * when scraped, so nothing counted before then is lost. prom-client's default metrics start then too:
   * its process_* counters are the kernel's totals since the process started; the GC histogram counts
   * collections from that scrape on.
   */
  function promRegistry(): Registry {
    if (registry) return registry
    const prom = promClient()
    const made = new prom.Registry()
    if (deps.defaultMetrics ?? true) {
      prom.collectDefaultMetrics({ register: made })
      // prom-client names these three gauges `_total`, which Prometheus reserves for counters (promtool check
      // metrics flags them). Their per-type gauges (nodejs_active_handles{type} …) carry the same numbers.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) made.removeSingleMetric(name)
    }
    registerTallyCounter(prom, { name: 'starpunk_http_requests_total', help: 'HTTP requests answered, by route group, method and status class.', labelNames: LABELS, registry: made }, () =>
      [...requestTallies.values()].map((t) => ({ labels: t.labels, value: t.count })),
    )
    registerTallyHistogram(
      prom,
      { name: 'starpunk_http_request_duration_seconds', help: 'Time from a request arriving to its last byte written, by route group, method and status class.', labelNames: LABELS, registry: made },
      () => [...requestTallies.values()].map((t) => ({ labels: t.labels, count: t.count, sum: t.sum, buckets: t.buckets })),
    )
    registerTallyCounter(prom, { name: 'starpunk_http_response_bytes_total', help: 'Response body bytes written, by route group, method and status class.', labelNames: LABELS, registry: made }, () =>
      [...requestTallies.values()].map((t) => ({ labels: t.labels, value: t.bytes })),
    )
    registerTallyHistogram(prom, { name: 'starpunk_search_duration_seconds', help: 'Search query time, by engine.', labelNames: ['engine'] as const, registry: made }, () =>
      [...searchTallies.values()].map((t) => ({ labels: { engine: t.labels.group }, count: t.count, sum: t.sum, buckets: t.buckets })),
    )
    new prom.Counter({
      name: 'starpunk_db_slow_queries_total',
      help: 'Database queries slower than STARPUNK_DB_SLOW_QUERY_MS.',
      registers: [made],
      collect() {
        this.reset()
        this.inc(slowQueries)
      },
    })

    if (deps.pool) {
      new prom.Gauge({
        name: 'starpunk_db_pool_connections',
        help: 'Reader pool connections by state.',
        labelNames: ['state'],
        registers: [made],
        collect() {
          const stats = readPool()
          this.reset()
          if (!stats) return
          this.set({ state: 'active' }, stats.active)
          this.set({ state: 'idle' }, stats.idle)
        },
      })
      new prom.Gauge({ name: 'starpunk_db_pool_waiting', help: 'Callers waiting for a reader connection.', registers: [made], collect() { this.set(readPool()?.waiting ?? 0) } })
      const cumulative = (name: string, help: string, read: (s: PoolStats) => number): void => {
        new prom.Counter({
          name,
          help,
          registers: [made],
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

    new prom.Gauge({
      name: 'starpunk_disk_usage_bytes',
      help: "Bytes StarPunk keeps on disk, by area (last measured by the disk check).",
      labelNames: ['area'],
      registers: [made],
      collect() {
        this.reset()
        if (!disk) return
        this.set({ area: 'database' }, disk.databaseBytes)
        this.set({ area: 'media' }, disk.mediaBytes)
        this.set({ area: 'logs' }, disk.logsBytes)
        this.set({ area: 'history' }, disk.historyBytes)
      },
    })
    new prom.Gauge({ name: 'starpunk_disk_free_bytes', help: "Free bytes on the data directory's file system (last measured).", registers: [made], collect() { if (disk?.freeBytes != null) this.set(disk.freeBytes) } })
    for (const gauge of pendingGauges.splice(0)) registerGauge(prom, made, gauge)
    registry = made
    return made
  }

  // Our own monitor, reset every window, so the history gets each 10 s's delay (the nodejs_eventloop_lag_*
  // defaults reset on every scrape, which would make the two readers disturb each other).
  let loop: IntervalHistogram | null = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()

  let windowStart = clock()
  // Copies: a pool may hand out one object it keeps updating.
  const initialPool = readPool()
  let lastPool: PoolStats | null = initialPool ? { ...initialPool } : null
  let slowAtWindowStart = 0

  function observeRequest(request: ObservedRequest): void {
    const group: RouteGroup = routeGroup(request.path)
    const method = methodLabel(request.method)
    const cls = statusClass(request.status)
    const key = `${group} ${method} ${cls}`
    let tally = requestTallies.get(key)
    if (!tally) {
      tally = newTally({ group, method, status_class: cls }, `http:${group}`, cls)
      requestTallies.set(key, tally)
    }
    const seconds = request.seconds >= 0 && Number.isFinite(request.seconds) ? request.seconds : 0
    tally.count++
    tally.sum += seconds
    if (request.bytes > 0 && Number.isFinite(request.bytes)) tally.bytes += request.bytes
    tally.buckets[bucketIndex(seconds)]!++
  }

  function observeSearch(engine: string, seconds: number, failed = false): void {
    const label = ENGINE.test(engine) ? engine : 'other'
    let tally = searchTallies.get(label)
    if (!tally) {
      // The engine rides in `group` (only `engine` is exported for search).
      tally = newTally({ group: label, method: '', status_class: '' }, `search:${label}`, '')
      searchTallies.set(label, tally)
    }
    const value = seconds >= 0 && Number.isFinite(seconds) ? seconds : 0
    tally.count++
    if (failed) tally.failed++
    tally.sum += value
    tally.buckets[bucketIndex(value)]!++
  }

  /** What each tally gained since the last window, summed per history series. */
  function drainSeries(): Record<string, SeriesWindow> {
    const out: Record<string, SeriesWindow> = {}
    for (const tallies of [requestTallies, searchTallies]) {
      for (const t of tallies.values()) {
        const count = t.count - t.seenCount
        if (count === 0) continue
        const series = (out[t.series] ??= emptySeries())
        series.requests += count
        series.serverErrors += t.serverError ? count : t.failed - t.seenFailed
        if (t.clientError) series.clientErrors += count
        series.bytes += t.bytes - t.seenBytes
        series.sumSeconds += t.sum - t.seenSum
        for (let i = 0; i < BUCKET_COUNT; i++) series.buckets[i] = (series.buckets[i] as number) + (t.buckets[i] as number) - (t.seenBuckets[i] as number)
        t.seenCount = t.count
        t.seenFailed = t.failed
        t.seenBytes = t.bytes
        t.seenSum = t.sum
        t.seenBuckets.set(t.buckets)
      }
    }
    return out
  }

  function takeWindow(): MetricsWindow {
    const end = clock()
    const series = drainSeries()
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
    get contentType() {
      return promRegistry().contentType
    },
    observeRequest,
    observeSearch,
    countSlowQuery() {
      slowQueries++
    },
    setDisk(usage) {
      disk = usage
    },
    takeWindow,
    addGauge(gauge) {
      if (!/^starpunk_[a-z0-9_]+$/.test(gauge.name) || gauge.name.endsWith('_total')) throw new Error(`gauge name must be starpunk_… without _total: ${gauge.name}`)
      if (registry) registerGauge(promClient(), registry, gauge)
      else pendingGauges.push(gauge)
    },
    metricsText: () => promRegistry().metrics(),
    close() {
      loop?.disable()
      loop = null
    },
  }
}
