/**
 * The metrics history: its own SQLite file (<data dir>/metrics.db), never the notes database (whose
 * data_version keys the page cache, and whose writer must not wait on us).
 *
 * - Every record goes through a bounded in-memory queue and is written on flush(); while the file cannot
 *   be written (data dir missing, replaced, read-only, disk full) records wait there and the file is
 *   reopened later. When the queue is full the oldest records are dropped and counted.
 * - 10-second points and 1-minute rollups are both maintained at write time by additive upserts, so a
 *   point that arrives late (after an outage) still lands in its minute.
 * - prune() deletes in small batches; size and retention are bounded.
 * - Uptime reads per-hour totals (health_hours) for the whole hours of its window, kept at write time, and
 *   the raw samples only at the window's edges and for each component's last, still open, sample.
 * - A bucket with no stored point is a gap and queries return null for it, never zeros.
 * All times come from the injected clock.
 */
import { randomUUID } from 'node:crypto'
import { renameSync, statSync } from 'node:fs'
import Database from 'better-sqlite3'
import type { HealthStatus } from '../../../../shared/contract'
import type { Logger } from '../../logging'
import { BUCKET_COUNT, quantileFromBuckets } from '../buckets'
import type { MetricsWindow, SeriesWindow } from '../collector'
import { OVERALL, componentStatuses, incidentAction, type ComponentStatus, type OpenIncident, type Uptime } from '../health-history'
import { BUCKET_COLUMNS, HEALTH_HOUR_MS, migrateMetrics } from './schema'

type Connection = Database.Database

export const RAW_RESOLUTION_S = 10
export const ROLLUP_RESOLUTION_S = 60
/**
 * Coarser rollups, kept as long as the 1-minute ones: a 7-day or 30-day view reads a few thousand rows
 * instead of every minute (measured: 30 days of 1-minute rows took seconds to aggregate; see bench/metrics).
 */
export const COARSE_RESOLUTIONS_S: readonly number[] = [600, 3600]
const RESOLUTIONS_S: readonly number[] = [RAW_RESOLUTION_S, ROLLUP_RESOLUTION_S, ...COARSE_RESOLUTIONS_S]
/** 10-second points are kept this long (then only the 1-minute rollups remain). */
export const RAW_RETENTION_MS = 60 * 60 * 1000
/** Most buckets one traffic query returns. */
export const MAX_BUCKETS = 2_000

export const EVENT_TYPES = [
  'server_start',
  'server_stop',
  'server_restart',
  'config_saved',
  'readiness_changed',
  'pool_exhausted',
  'database_locked',
  'log_file_fault',
  'slow_query',
  'history_gap',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

export interface HistoryEvent {
  id: number
  time: number
  type: string
  level: 'info' | 'warning' | 'error'
  message: string
  requestId: string | null
  details: Record<string, unknown> | null
}

export interface Incident extends OpenIncident {
  endedAt: number | null
  /** ended − started, or null while open. */
  durationMs: number | null
}

export interface SeriesStats {
  requests: number
  /** Per second over the time the bucket was actually sampled. */
  rps: number
  serverErrors: number
  clientErrors: number
  /** 5xx / requests; null without requests. */
  errorRate: number | null
  bytes: number
  p50Ms: number | null
  p95Ms: number | null
  p99Ms: number | null
}

export interface ProcessStats {
  eventLoopP99Ms: number | null
  eventLoopMaxMs: number | null
  rssMaxBytes: number | null
  heapMaxBytes: number | null
  poolWaitingMax: number | null
  poolTimeouts: number | null
  slowQueries: number
  diskUsedBytes: number | null
  diskFreeBytes: number | null
}

export interface TrafficBucket {
  /** Bucket start, epoch ms. */
  time: number
  /** Seconds the bucket was sampled; null when it was not (a gap: the app was off, or the data is lost). */
  sampledSeconds: number | null
  total: SeriesStats | null
  /** By route group; `{}` for a sampled bucket without requests, null for a gap. */
  groups: Record<string, SeriesStats> | null
  search: Record<string, SeriesStats> | null
  process: ProcessStats | null
}

export interface TrafficQuery {
  from: number
  to: number
  /** Bucket width; default: the range in ≤ 360 buckets, a multiple of the stored resolution. */
  stepMs?: number
}

export interface TrafficResult {
  from: number
  to: number
  stepMs: number
  /** The stored resolution read: 10 s (last hour only), 60 s, 600 s or 3600 s, the coarsest that fits the step. */
  resolutionSeconds: number
  buckets: TrafficBucket[]
  /** Route groups over the whole range, slowest p95 first. */
  slowest: Array<{ group: string } & SeriesStats>
}

export interface HeartbeatSample {
  time: number
  status: HealthStatus
  output: string | null
}

export interface HistoryStatus {
  /** Whether metrics.db is open and the last write succeeded. */
  writable: boolean
  /** Records waiting in memory. */
  buffered: number
  /** Records dropped because the queue was full, since start. */
  dropped: number
  /** errno/SQLite code of the last failure, never a path. */
  lastError: string | null
}

export interface MetricsHistoryOptions {
  path: string
  clock: () => number
  logger?: Logger
  /** How long 1-minute rollups, health samples, incidents and events are kept. Default 30 days. */
  retentionMs?: number
  /** Size bound of the file, bytes; past it the oldest rows go first. Default 256 MiB. */
  maxBytes?: number
  /** Records held in memory while the file cannot be written. Default 5,000 (over 13 h of points). */
  maxBuffered?: number
  /** Rows deleted per table per prune() call. Default 500. */
  pruneBatch?: number
  /**
   * Records written per flush() (in transactions of 50). A backlog after an outage drains over several
   * flushes instead of stalling the event loop in one (a point is ~50 upserts). Default 100.
   */
  maxFlushRecords?: number
  /** After a failure, the file is reopened at most this often. Default 5 s. */
  retryMs?: number
  /** Test hook: an alternative better-sqlite3 native binding (same as the notes database's). */
  nativeBinding?: string | null
}

type Pending =
  | { kind: 'point'; window: MetricsWindow }
  | { kind: 'health'; time: number; intervalMs: number; components: Record<string, ComponentStatus> }
  | { kind: 'incident'; incident: OpenIncident; endedAt: number | null }
  | { kind: 'event'; time: number; type: string; level: HistoryEvent['level']; message: string; requestId: string | null; details: Record<string, unknown> | null }

const STATUS_CODE: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 }
const STATUS_NAME: readonly HealthStatus[] = ['pass', 'warn', 'fail']

/**
 * The components in health_samples, by skipping along the primary key (component, ts): one index seek per
 * component. A plain SELECT DISTINCT would visit every sample (hundreds of thousands over 30 days) per prune.
 */
const COMPONENTS_SQL = `WITH RECURSIVE c(name) AS (
  SELECT min(component) FROM health_samples
  UNION ALL SELECT (SELECT min(component) FROM health_samples WHERE component > c.name) FROM c WHERE c.name IS NOT NULL
) SELECT name FROM c WHERE name IS NOT NULL`

function allComponents(c: Connection): string[] {
  return c.prepare(COMPONENTS_SQL).pluck().all() as string[]
}

interface StoredSample {
  ts: number
  status: number
  interval_ms: number
}

/** Up (pass and warn), degraded (warn) and down (fail) ms, by the same rule as computeUptime. */
interface UptimeTally {
  up: number
  degraded: number
  down: number
}

function addStatus(tally: UptimeTally, status: number, ms: number): void {
  if (status === 0 || status === 1) tally.up += ms
  if (status === 1) tally.degraded += ms
  if (status === 2) tally.down += ms
}

/**
 * A finished sample's span, [ts, min(ts + interval, next's ts)), cut at hour boundaries: [hour start, ms].
 * None for an empty span (an interval of zero or less).
 */
function hourParts(sample: StoredSample, next: number): Array<[number, number]> {
  const stop = Math.min(sample.ts + sample.interval_ms, next)
  const parts: Array<[number, number]> = []
  for (let start = sample.ts; start < stop; ) {
    const hour = Math.floor(start / HEALTH_HOUR_MS) * HEALTH_HOUR_MS
    const end = Math.min(stop, hour + HEALTH_HOUR_MS)
    parts.push([hour, end - start])
    start = end
  }
  return parts
}

/** The part of a component's last sample (no next one yet: its span is its interval) inside [from, to). */
function openPart(last: StoredSample | undefined, from: number, to: number): number {
  return last ? Math.max(0, Math.min(last.ts + last.interval_ms, to) - Math.max(last.ts, from)) : 0
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown } | null
  return e && typeof e.code === 'string' ? e.code : 'ERROR'
}

function stats(row: { requests: number; server_errors: number; client_errors: number; bytes: number; buckets: number[] }, seconds: number): SeriesStats {
  const p = (q: number) => {
    const v = quantileFromBuckets(row.buckets, q)
    return v === null ? null : Math.round(v * 1e6) / 1e3
  }
  return {
    requests: row.requests,
    rps: seconds > 0 ? row.requests / seconds : 0,
    serverErrors: row.server_errors,
    clientErrors: row.client_errors,
    errorRate: row.requests > 0 ? row.server_errors / row.requests : null,
    bytes: row.bytes,
    p50Ms: p(0.5),
    p95Ms: p(0.95),
    p99Ms: p(0.99),
  }
}

interface SeriesRow {
  requests: number
  server_errors: number
  client_errors: number
  bytes: number
  buckets: number[]
}

function addInto(target: SeriesRow, row: SeriesRow): void {
  target.requests += row.requests
  target.server_errors += row.server_errors
  target.client_errors += row.client_errors
  target.bytes += row.bytes
  for (let i = 0; i < BUCKET_COUNT; i++) target.buckets[i] = (target.buckets[i] as number) + (row.buckets[i] as number)
}

const emptyRow = (): SeriesRow => ({ requests: 0, server_errors: 0, client_errors: 0, bytes: 0, buckets: new Array<number>(BUCKET_COUNT).fill(0) })

export interface MetricsHistory {
  /** Queue one collector window (a 10-second point). */
  recordWindow(window: MetricsWindow): void
  /**
   * Queue one readiness sample: every component's status, the overall status, and the incidents it opens,
   * raises or closes (at once, at the first bad sample). Returns what happened to incidents.
   */
  recordHealth(report: Parameters<typeof componentStatuses>[0], time: number, intervalMs: number): Array<ReturnType<typeof incidentAction> & object>
  recordEvent(event: { type: EventType; message: string; level?: HistoryEvent['level']; requestId?: string | null; details?: Record<string, unknown> | null; time?: number }): void
  /** Write what is queued, up to maxFlushRecords (reopening the file if it is due); returns the records written. Never throws. */
  flush(): number
  /** Delete at most one batch per table of expired (or, past the size bound, oldest) rows. Never throws. */
  prune(): { deleted: number }
  traffic(query: TrafficQuery): TrafficResult
  heartbeats(query: { from: number; to: number; component?: string; limit?: number }): Record<string, HeartbeatSample[]>
  uptime(query: { from: number; to: number; component?: string }): Record<string, Uptime>
  incidents(query?: { from?: number; to?: number; openOnly?: boolean; limit?: number }): Incident[]
  events(query?: { from?: number; to?: number; types?: string[]; requestId?: string; limit?: number }): HistoryEvent[]
  /** Incidents open right now (memory: includes those not yet written). */
  openIncidents(): OpenIncident[]
  status(): HistoryStatus
  /** Bytes in use by the file (pages minus free pages), or null when it is not open. */
  sizeBytes(): number | null
  close(): void
}

export function openMetricsHistory(options: MetricsHistoryOptions): MetricsHistory {
  const clock = options.clock
  const retentionMs = options.retentionMs ?? 30 * 24 * 60 * 60 * 1000
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024
  const maxBuffered = options.maxBuffered ?? 5_000
  const pruneBatch = options.pruneBatch ?? 500
  const retryMs = options.retryMs ?? 5_000
  const maxFlushRecords = options.maxFlushRecords ?? 100
  const logger = options.logger

  let conn: Connection | null = null
  let identity: { dev: number; ino: number } | null = null
  let lastAttempt = -Infinity
  let lastError: string | null = null
  let writable = false
  let closed = false
  const queue: Pending[] = []
  let dropped = 0
  let droppedUnreported = 0
  const open = new Map<string, OpenIncident>()

  function enqueue(record: Pending): void {
    if (closed) return
    queue.push(record)
    while (queue.length > maxBuffered) {
      queue.shift()
      dropped++
      droppedUnreported++
    }
  }

  function fail(err: unknown, during: string): void {
    const code = errorCode(err)
    if (writable || lastError !== code) logger?.warn('metrics history cannot be written; samples wait in memory', { during, code, buffered: queue.length })
    lastError = code
    writable = false
    // SQLITE_BUSY: someone else holds the file for a moment; keep the connection, try again next time.
    if (code === 'SQLITE_BUSY') return
    try {
      conn?.close()
    } catch {
      // Closing a connection whose file is gone can fail; it is dropped either way.
    }
    conn = null
    identity = null
  }

  /** SQLite says the file is not a database, or is damaged. */
  const CORRUPT = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT'])

  function tryOpen(): boolean {
    const first = openOnce()
    if (first || !lastError || !CORRUPT.has(lastError)) return first
    // History is disposable, and a damaged file would stop it for good: keep the file aside for a post-mortem
    // and start a new one (the gap is recorded as an event).
    const aside = `${options.path}.corrupt-${clock()}`
    try {
      renameSync(options.path, aside)
      // Its WAL belongs to it: replayed onto the new file it would damage that one too.
      for (const suffix of ['-wal', '-shm']) {
        try {
          renameSync(`${options.path}${suffix}`, `${aside}${suffix}`)
        } catch {
          // Not there: nothing to move.
        }
      }
    } catch (err) {
      fail(err, 'set aside')
      return false
    }
    logger?.warn('metrics history was damaged; it was set aside and a new one started', { code: lastError })
    queue.unshift({ kind: 'event', time: clock(), type: 'history_gap', level: 'warning', message: 'The history file was damaged; it was set aside (metrics.db.corrupt-…) and a new one started.', requestId: null, details: { reason: lastError } })
    return openOnce()
  }

  function openOnce(): boolean {
    lastAttempt = clock()
    let next: Connection | null = null
    try {
      next = new Database(options.path, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
      const fresh = !next.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'metrics_migrations'").get()
      if (fresh) next.pragma('auto_vacuum = INCREMENTAL')
      next.pragma('journal_mode = WAL')
      next.pragma('synchronous = NORMAL')
      // Never wait on a lock on the event loop: a busy file means "write next time".
      next.pragma('busy_timeout = 0')
      // SQLite's default 2 MiB page cache (better-sqlite3 builds with 16 MiB): history writes are small.
      next.pragma('cache_size = -2000')
      migrateMetrics(next, clock())
      const st = statSync(options.path)
      identity = { dev: st.dev, ino: st.ino }
      conn = next
      // Incidents left open by an earlier run (or written before an outage) stay tracked, so a pass closes them.
      for (const row of next.prepare('SELECT id, component, status, check_key, first_output, started_at FROM incidents WHERE ended_at IS NULL').all() as Array<{
        id: string
        component: string
        status: 'warn' | 'fail'
        check_key: string | null
        first_output: string | null
        started_at: number
      }>) {
        const known = open.get(row.component)
        const stored: OpenIncident = { id: row.id, component: row.component, status: row.status, startedAt: row.started_at, check: row.check_key, firstOutput: row.first_output }
        if (!known) open.set(row.component, stored)
        // One opened in memory since (during an outage, or this run) supersedes an older one left open on disk.
        else if (known.id !== row.id) queue.unshift({ kind: 'incident', incident: stored, endedAt: Math.max(row.started_at, known.startedAt) })
      }
      if (lastError !== null) logger?.info('metrics history writable again', { buffered: queue.length })
      lastError = null
      writable = true
      return true
    } catch (err) {
      try {
        next?.close()
      } catch {
        // Already unusable.
      }
      fail(err, 'open')
      return false
    }
  }

  /** The file at the path is still the one we have open (not moved, deleted or replaced under us). */
  function intact(): boolean {
    if (!identity) return false
    try {
      const st = statSync(options.path)
      return st.dev === identity.dev && st.ino === identity.ino
    } catch {
      return false
    }
  }

  function ready(): Connection | null {
    if (closed) return null
    if (conn && !intact()) fail(Object.assign(new Error('file replaced'), { code: 'ENOENT' }), 'check')
    if (!conn && clock() - lastAttempt >= retryMs) tryOpen()
    return conn
  }

  // Prepared lazily per connection.
  let prepared: { conn: Connection; s: ReturnType<typeof prepare> } | null = null
  function prepare(c: Connection) {
    const cols = BUCKET_COLUMNS.join(', ')
    const params = BUCKET_COLUMNS.map(() => '?').join(', ')
    const addBuckets = BUCKET_COLUMNS.map((b) => `${b} = ${b} + excluded.${b}`).join(', ')
    return {
      point: c.prepare(`INSERT INTO points (resolution, ts, seconds, loop_p99_ms, loop_max_ms, rss_max, heap_max, pool_waiting_max, pool_active_max, pool_acquired, pool_timeouts, pool_wait_ms, slow_queries, disk_used_max, disk_free_min)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (resolution, ts) DO UPDATE SET
          seconds = seconds + excluded.seconds,
          loop_p99_ms = max(coalesce(loop_p99_ms, excluded.loop_p99_ms), coalesce(excluded.loop_p99_ms, loop_p99_ms)),
          loop_max_ms = max(coalesce(loop_max_ms, excluded.loop_max_ms), coalesce(excluded.loop_max_ms, loop_max_ms)),
          rss_max = max(coalesce(rss_max, excluded.rss_max), coalesce(excluded.rss_max, rss_max)),
          heap_max = max(coalesce(heap_max, excluded.heap_max), coalesce(excluded.heap_max, heap_max)),
          pool_waiting_max = max(coalesce(pool_waiting_max, excluded.pool_waiting_max), coalesce(excluded.pool_waiting_max, pool_waiting_max)),
          pool_active_max = max(coalesce(pool_active_max, excluded.pool_active_max), coalesce(excluded.pool_active_max, pool_active_max)),
          pool_acquired = coalesce(pool_acquired, 0) + coalesce(excluded.pool_acquired, 0),
          pool_timeouts = coalesce(pool_timeouts, 0) + coalesce(excluded.pool_timeouts, 0),
          pool_wait_ms = coalesce(pool_wait_ms, 0) + coalesce(excluded.pool_wait_ms, 0),
          slow_queries = slow_queries + excluded.slow_queries,
          disk_used_max = max(coalesce(disk_used_max, excluded.disk_used_max), coalesce(excluded.disk_used_max, disk_used_max)),
          disk_free_min = min(coalesce(disk_free_min, excluded.disk_free_min), coalesce(excluded.disk_free_min, disk_free_min))`),
      series: c.prepare(`INSERT INTO series (resolution, ts, name, requests, server_errors, client_errors, bytes, sum_s, ${cols})
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${params})
        ON CONFLICT (resolution, ts, name) DO UPDATE SET
          requests = requests + excluded.requests, server_errors = server_errors + excluded.server_errors,
          client_errors = client_errors + excluded.client_errors, bytes = bytes + excluded.bytes, sum_s = sum_s + excluded.sum_s, ${addBuckets}`),
      health: c.prepare('INSERT OR REPLACE INTO health_samples (component, ts, status, interval_ms, output) VALUES (?, ?, ?, ?, ?)'),
      healthAt: c.prepare('SELECT ts, status, interval_ms FROM health_samples WHERE component = ? AND ts = ?'),
      healthBefore: c.prepare('SELECT ts, status, interval_ms FROM health_samples WHERE component = ? AND ts < ? ORDER BY ts DESC LIMIT 1'),
      healthAfter: c.prepare('SELECT ts FROM health_samples WHERE component = ? AND ts > ? ORDER BY ts LIMIT 1').pluck(),
      healthLast: c.prepare('SELECT ts, status, interval_ms FROM health_samples WHERE component = ? ORDER BY ts DESC LIMIT 1'),
      healthFirst: c.prepare('SELECT min(ts) FROM health_samples WHERE component = ?').pluck(),
      hourAdd: c.prepare(`INSERT INTO health_hours (component, hour, up_ms, degraded_ms, down_ms) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (component, hour) DO UPDATE SET up_ms = up_ms + excluded.up_ms, degraded_ms = degraded_ms + excluded.degraded_ms, down_ms = down_ms + excluded.down_ms`),
      hourSet: c.prepare('INSERT OR REPLACE INTO health_hours (component, hour, up_ms, degraded_ms, down_ms) VALUES (?, ?, ?, ?, ?)'),
      hoursBefore: c.prepare('DELETE FROM health_hours WHERE component = ? AND hour < ?'),
      hoursAll: c.prepare('DELETE FROM health_hours WHERE component = ?'),
      hoursSum: c.prepare('SELECT coalesce(sum(up_ms), 0) AS up, coalesce(sum(degraded_ms), 0) AS degraded, coalesce(sum(down_ms), 0) AS down FROM health_hours WHERE component = ? AND hour >= ? AND hour < ?'),
      // Every sample's part of [from, to) by status. A 30-day window would be ~86,000 samples per component:
      // this reads only spans of under an hour (the edges of a window, or a window shorter than two hours).
      // computeUptime states the same rule over objects, and the tests hold both to the same numbers.
      rawSpans: c.prepare(`WITH s AS (
           SELECT ts, status, interval_ms, lead(ts) OVER (ORDER BY ts) AS next FROM health_samples
           WHERE component = ? AND ts >= coalesce((SELECT max(ts) FROM health_samples WHERE component = ? AND ts < ?), ?) AND ts < ?
         )
         SELECT status, sum(max(0, min(ts + interval_ms, coalesce(next, ts + interval_ms), ?) - max(ts, ?))) AS ms FROM s GROUP BY status`),
      incident: c.prepare(`INSERT INTO incidents (id, component, status, check_key, first_output, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, ended_at = excluded.ended_at`),
      event: c.prepare('INSERT INTO events (ts, type, level, message, request_id, details) VALUES (?, ?, ?, ?, ?, ?)'),
    }
  }
  function statements(c: Connection) {
    if (!prepared || prepared.conn !== c) prepared = { conn: c, s: prepare(c) }
    return prepared.s
  }

  function writeRecord(c: Connection, record: Pending): void {
    const s = statements(c)
    switch (record.kind) {
      case 'point': {
        const w = record.window
        // A window longer than a point (a stalled loop, a machine that slept) counts as one point's worth of
        // sampled time at its end: the rest was not watched.
        const coveredMs = Math.max(0, Math.min(w.end - w.start, RAW_RESOLUTION_S * 1000))
        const mid = (w.end - coveredMs / 2) / 1000
        const p = w.process
        for (const resolution of RESOLUTIONS_S) {
          const ts = Math.floor(mid / resolution) * resolution
          s.point.run(resolution, ts, coveredMs / 1000, p.eventLoopP99Ms, p.eventLoopMaxMs, p.rssBytes, p.heapUsedBytes, p.poolWaiting, p.poolActive, p.poolAcquired, p.poolTimeouts, p.poolWaitMs, p.slowQueries, p.diskUsedBytes, p.diskFreeBytes)
          for (const [name, series] of Object.entries<SeriesWindow>(w.series)) {
            s.series.run(resolution, ts, name, series.requests, series.serverErrors, series.clientErrors, series.bytes, series.sumSeconds, ...series.buckets)
          }
        }
        return
      }
      case 'health':
        for (const [component, c2] of Object.entries(record.components)) {
          const sample: StoredSample = { ts: record.time, status: STATUS_CODE[c2.status], interval_ms: record.intervalMs }
          writeHealthSample(c, component, sample, c2.status === 'pass' ? null : c2.output)
        }
        return
      case 'incident': {
        const i = record.incident
        s.incident.run(i.id, i.component, i.status, i.check, i.firstOutput, i.startedAt, record.endedAt)
        return
      }
      case 'event':
        s.event.run(record.time, record.type, record.level, record.message, record.requestId, record.details ? JSON.stringify(record.details) : null)
        return
    }
  }

  function addSpan(c: Connection, component: string, sample: StoredSample, next: number, sign: 1 | -1): void {
    const s = statements(c)
    for (const [hour, ms] of hourParts(sample, next)) {
      const t: UptimeTally = { up: 0, degraded: 0, down: 0 }
      addStatus(t, sample.status, sign * ms)
      s.hourAdd.run(component, hour, t.up, t.degraded, t.down)
    }
  }

  /**
   * Store one sample and keep health_hours equal to the finished spans (every sample that has a next one),
   * in the caller's transaction. Usually the sample is the newest: it finishes the one before it. A sample
   * landing between two stored ones, or replacing one, takes the old span out before putting the new ones in.
   */
  function writeHealthSample(c: Connection, component: string, sample: StoredSample, output: string | null): void {
    const s = statements(c)
    const replaced = s.healthAt.get(component, sample.ts) as StoredSample | undefined
    const after = s.healthAfter.get(component, sample.ts) as number | undefined
    if (replaced) {
      // The sample before keeps its span (its next sample is still at this ts); the replaced one's goes.
      if (after !== undefined) addSpan(c, component, replaced, after, -1)
    } else {
      const before = s.healthBefore.get(component, sample.ts) as StoredSample | undefined
      if (before) {
        if (after !== undefined) addSpan(c, component, before, after, -1)
        addSpan(c, component, before, sample.ts, 1)
      }
    }
    s.health.run(component, sample.ts, sample.status, sample.interval_ms, output)
    if (after !== undefined) addSpan(c, component, sample, after, 1)
  }

  /** [from, to) by status, straight from health_samples (for short spans only: see rawSpans). */
  function rawInto(c: Connection, tally: UptimeTally, component: string, from: number, to: number): void {
    if (to <= from) return
    for (const r of statements(c).rawSpans.all(component, component, from, from, to, to, from) as Array<{ status: number; ms: number }>) addStatus(tally, r.status, r.ms)
  }

  /**
   * After a component's oldest samples were pruned: hours before the first one left go, and the hour it is
   * in is recomputed from what is left (it held spans of pruned samples too). No sample is left before that
   * hour, so its finished spans are the raw total over the hour minus the still-open last sample's part.
   */
  function trimHours(c: Connection, component: string): number {
    const s = statements(c)
    const first = s.healthFirst.get(component) as number | null
    if (first === null) return s.hoursAll.run(component).changes
    const hour = Math.floor(first / HEALTH_HOUR_MS) * HEALTH_HOUR_MS
    const deleted = s.hoursBefore.run(component, hour).changes
    const t: UptimeTally = { up: 0, degraded: 0, down: 0 }
    rawInto(c, t, component, hour, hour + HEALTH_HOUR_MS)
    const last = s.healthLast.get(component) as StoredSample | undefined
    if (last) addStatus(t, last.status, -openPart(last, hour, hour + HEALTH_HOUR_MS))
    s.hourSet.run(component, hour, t.up, t.degraded, t.down)
    return deleted
  }

  function flush(): number {
    const c = ready()
    if (!c) return 0
    if (droppedUnreported > 0) {
      const count = droppedUnreported
      droppedUnreported = 0
      // Written first, so its time sits where the lost records would have been.
      queue.unshift({ kind: 'event', time: clock(), type: 'history_gap', level: 'warning', message: `${count} history records were lost while metrics.db could not be written.`, requestId: null, details: { dropped: count } })
    }
    let written = 0
    try {
      // Small transactions: a long outage's backlog is written over several flushes, not in one stall.
      while (queue.length > 0) {
        const batch = queue.slice(0, Math.min(50, maxFlushRecords - written))
        c.transaction(() => {
          for (const record of batch) writeRecord(c, record)
        })()
        queue.splice(0, batch.length)
        written += batch.length
        if (written >= maxFlushRecords) break
      }
      writable = true
      return written
    } catch (err) {
      fail(err, 'write')
      return written
    }
  }

  function deleteBatch(c: Connection, sql: string, ...params: unknown[]): number {
    return c.prepare(sql).run(...params).changes
  }

  function prune(): { deleted: number } {
    const c = ready()
    if (!c) return { deleted: 0 }
    const now = clock()
    let deleted = 0
    try {
      const rawCutoff = Math.floor((now - RAW_RETENTION_MS) / 1000)
      const cutoff = now - retentionMs
      const cutoffS = Math.floor(cutoff / 1000)
      for (const resolution of RESOLUTIONS_S) {
        const before = resolution === RAW_RESOLUTION_S ? rawCutoff : cutoffS
        // One batch of points, and their series rows with them (a point's series never outlive it).
        const last = c.prepare('SELECT ts FROM points WHERE resolution = ? AND ts < ? ORDER BY ts LIMIT 1 OFFSET ?').pluck().get(resolution, before, pruneBatch - 1) as number | undefined
        const bound = last === undefined ? before : last + 1
        deleted += deleteBatch(c, 'DELETE FROM series WHERE resolution = ? AND ts < ?', resolution, bound)
        deleted += deleteBatch(c, 'DELETE FROM points WHERE resolution = ? AND ts < ?', resolution, bound)
      }
      for (const component of allComponents(c)) {
        const gone = deleteBatch(c, 'DELETE FROM health_samples WHERE component = ? AND ts IN (SELECT ts FROM health_samples WHERE component = ? AND ts < ? ORDER BY ts LIMIT ?)', component, component, cutoff, pruneBatch)
        if (gone > 0) deleted += gone + trimHours(c, component)
      }
      deleted += deleteBatch(c, 'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? ORDER BY ts LIMIT ?)', cutoff, pruneBatch)
      deleted += deleteBatch(c, 'DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE ended_at IS NOT NULL AND ended_at < ? LIMIT ?)', cutoff, pruneBatch)
      // Past the size bound: the oldest of everything goes, a batch at a time, whatever its age.
      if ((sizeBytes() ?? 0) > maxBytes) {
        const oldest = c.prepare('SELECT min(ts) FROM points WHERE resolution = ?').pluck().get(ROLLUP_RESOLUTION_S) as number | null
        if (oldest !== null) {
          const last = c.prepare('SELECT ts FROM points WHERE resolution = ? ORDER BY ts LIMIT 1 OFFSET ?').pluck().get(ROLLUP_RESOLUTION_S, pruneBatch - 1) as number | undefined
          const bound = (last ?? oldest) + 1
          deleted += deleteBatch(c, 'DELETE FROM series WHERE ts < ?', bound)
          deleted += deleteBatch(c, 'DELETE FROM points WHERE ts < ?', bound)
          for (const component of allComponents(c)) {
            const gone = deleteBatch(c, 'DELETE FROM health_samples WHERE component = ? AND ts < ?', component, bound * 1000)
            if (gone > 0) deleted += gone + trimHours(c, component)
          }
          deleted += deleteBatch(c, 'DELETE FROM events WHERE ts < ?', bound * 1000)
        }
      }
      // Give freed pages back to the file system, a little at a time.
      c.pragma('incremental_vacuum(200)')
      return { deleted }
    } catch (err) {
      fail(err, 'prune')
      return { deleted }
    }
  }

  function sizeBytes(): number | null {
    if (!conn) return null
    const pages = conn.pragma('page_count', { simple: true }) as number
    const free = conn.pragma('freelist_count', { simple: true }) as number
    const size = conn.pragma('page_size', { simple: true }) as number
    return (pages - free) * size
  }

  function requireConn(): Connection {
    const c = ready()
    if (!c) throw Object.assign(new Error('metrics history is not available'), { code: lastError ?? 'UNAVAILABLE' })
    return c
  }

  function traffic(query: TrafficQuery): TrafficResult {
    const c = requireConn()
    const now = clock()
    const span = Math.max(1, query.to - query.from)
    // At most MAX_BUCKETS buckets whatever the caller asks (a range picker bug or a hostile query must not
    // build a million-entry answer).
    const wanted = Math.max(query.stepMs ?? span / 360, span / MAX_BUCKETS)
    // The coarsest stored resolution that still fits the step (10-second points only exist for the last hour).
    const available = RESOLUTIONS_S.filter((r) => r !== RAW_RESOLUTION_S || query.from >= now - RAW_RETENTION_MS)
    // Finer than every stored resolution (a 15-minute view): the finest there is.
    const resolution = [...available].reverse().find((r) => r * 1000 <= wanted) ?? available[0] ?? ROLLUP_RESOLUTION_S
    const resMs = resolution * 1000
    const stepMs = Math.max(resMs, Math.ceil(wanted / resMs) * resMs)
    const step = stepMs / 1000
    const fromS = Math.floor(query.from / stepMs) * step
    const toS = Math.ceil(query.to / 1000)
    const points = c
      .prepare(
        `SELECT (ts / ?) * ? AS b, sum(seconds) AS seconds, max(loop_p99_ms) AS loop_p99_ms, max(loop_max_ms) AS loop_max_ms, max(rss_max) AS rss_max, max(heap_max) AS heap_max,
           max(pool_waiting_max) AS pool_waiting_max, sum(pool_timeouts) AS pool_timeouts, sum(slow_queries) AS slow_queries, max(disk_used_max) AS disk_used_max, min(disk_free_min) AS disk_free_min
         FROM points WHERE resolution = ? AND ts >= ? AND ts < ? GROUP BY b`,
      )
      .all(step, step, resolution, fromS, toS) as Array<{
      b: number
      seconds: number
      loop_p99_ms: number | null
      loop_max_ms: number | null
      rss_max: number | null
      heap_max: number | null
      pool_waiting_max: number | null
      pool_timeouts: number | null
      slow_queries: number
      disk_used_max: number | null
      disk_free_min: number | null
    }>
    const seriesRows = c
      .prepare(
        `SELECT (ts / ?) * ? AS b, name, sum(requests) AS requests, sum(server_errors) AS server_errors, sum(client_errors) AS client_errors, sum(bytes) AS bytes,
           ${BUCKET_COLUMNS.map((col) => `sum(${col}) AS ${col}`).join(', ')}
         FROM series WHERE resolution = ? AND ts >= ? AND ts < ? GROUP BY b, name`,
      )
      .all(step, step, resolution, fromS, toS) as Array<Record<string, number> & { b: number; name: string }>
    const byBucket = new Map<number, TrafficBucket & { totalRow: SeriesRow }>()
    for (const p of points) {
      byBucket.set(p.b, {
        time: p.b * 1000,
        sampledSeconds: p.seconds,
        total: null,
        groups: {},
        search: {},
        process: {
          eventLoopP99Ms: p.loop_p99_ms,
          eventLoopMaxMs: p.loop_max_ms,
          rssMaxBytes: p.rss_max,
          heapMaxBytes: p.heap_max,
          poolWaitingMax: p.pool_waiting_max,
          poolTimeouts: p.pool_timeouts,
          slowQueries: p.slow_queries,
          diskUsedBytes: p.disk_used_max,
          diskFreeBytes: p.disk_free_min,
        },
        totalRow: emptyRow(),
      })
    }
    const overall = new Map<string, SeriesRow>()
    let sampledTotal = 0
    for (const b of byBucket.values()) sampledTotal += b.sampledSeconds ?? 0
    for (const r of seriesRows) {
      const bucket = byBucket.get(r.b)
      if (!bucket) continue
      const row: SeriesRow = { requests: r.requests as number, server_errors: r.server_errors as number, client_errors: r.client_errors as number, bytes: r.bytes as number, buckets: BUCKET_COLUMNS.map((col) => r[col] as number) }
      const colon = r.name.indexOf(':')
      const kind = r.name.slice(0, colon)
      const key = r.name.slice(colon + 1)
      const seconds = bucket.sampledSeconds ?? 0
      if (kind === 'http') {
        bucket.groups![key] = stats(row, seconds)
        addInto(bucket.totalRow, row)
        const sum = overall.get(key) ?? emptyRow()
        addInto(sum, row)
        overall.set(key, sum)
      } else if (kind === 'search') bucket.search![key] = stats(row, seconds)
    }
    const buckets: TrafficBucket[] = []
    for (let t = fromS; t * 1000 < query.to; t += step) {
      const bucket = byBucket.get(t)
      if (!bucket) {
        buckets.push({ time: t * 1000, sampledSeconds: null, total: null, groups: null, search: null, process: null })
        continue
      }
      const { totalRow, ...rest } = bucket
      buckets.push({ ...rest, total: stats(totalRow, bucket.sampledSeconds ?? 0) })
    }
    const slowest = [...overall.entries()]
      .map(([group, row]) => ({ group, ...stats(row, sampledTotal) }))
      .sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0))
      .slice(0, 10)
    return { from: query.from, to: query.to, stepMs, resolutionSeconds: resolution, buckets, slowest }
  }

  function componentsIn(c: Connection, component?: string): string[] {
    return component ? [component] : allComponents(c)
  }

  tryOpen()

  return {
    recordWindow(window) {
      enqueue({ kind: 'point', window })
    },
    recordHealth(report, time, intervalMs) {
      const components = componentStatuses(report)
      enqueue({ kind: 'health', time, intervalMs, components })
      const actions = []
      for (const [component, status] of Object.entries(components)) {
        const action = incidentAction(open.get(component), component, { ...status, time }, randomUUID)
        if (!action) continue
        actions.push(action)
        if (action.type === 'open') {
          open.set(component, action.incident)
          enqueue({ kind: 'incident', incident: { ...action.incident }, endedAt: null })
        } else if (action.type === 'escalate') {
          const incident = open.get(component)!
          incident.status = 'fail'
          enqueue({ kind: 'incident', incident: { ...incident }, endedAt: null })
        } else {
          const incident = open.get(component)!
          open.delete(component)
          enqueue({ kind: 'incident', incident: { ...incident }, endedAt: action.endedAt })
        }
      }
      return actions
    },
    recordEvent(event) {
      enqueue({
        kind: 'event',
        time: event.time ?? clock(),
        type: event.type,
        level: event.level ?? 'info',
        message: event.message,
        requestId: event.requestId ?? null,
        details: event.details ?? null,
      })
    },
    flush,
    prune,
    traffic,
    heartbeats(query) {
      const c = requireConn()
      const limit = Math.min(query.limit ?? 120, 2_000)
      const out: Record<string, HeartbeatSample[]> = {}
      for (const component of componentsIn(c, query.component)) {
        const rows = c.prepare('SELECT ts, status, output FROM health_samples WHERE component = ? AND ts >= ? AND ts < ? ORDER BY ts DESC LIMIT ?').all(component, query.from, query.to, limit) as Array<{
          ts: number
          status: number
          output: string | null
        }>
        out[component] = rows.reverse().map((r) => ({ time: r.ts, status: STATUS_NAME[r.status] ?? 'fail', output: r.output }))
      }
      return out
    },
    uptime(query) {
      const c = requireConn()
      const s = statements(c)
      const out: Record<string, Uptime> = {}
      // Whole hours inside the window from health_hours (finished spans) plus the open last sample's part of
      // them; the partial hours at either end from the raw samples. The three parts tile [from, to).
      const firstHour = Math.ceil(query.from / HEALTH_HOUR_MS) * HEALTH_HOUR_MS
      const endHour = Math.floor(query.to / HEALTH_HOUR_MS) * HEALTH_HOUR_MS
      for (const component of componentsIn(c, query.component)) {
        const t: UptimeTally = { up: 0, degraded: 0, down: 0 }
        if (endHour <= firstHour) rawInto(c, t, component, query.from, query.to)
        else {
          rawInto(c, t, component, query.from, firstHour)
          const hours = s.hoursSum.get(component, firstHour, endHour) as UptimeTally
          t.up += hours.up
          t.degraded += hours.degraded
          t.down += hours.down
          const last = s.healthLast.get(component) as StoredSample | undefined
          if (last) addStatus(t, last.status, openPart(last, firstHour, endHour))
          rawInto(c, t, component, endHour, query.to)
        }
        const known = t.up + t.down
        out[component] = { upMs: t.up, degradedMs: t.degraded, downMs: t.down, noDataMs: Math.max(0, query.to - query.from - known), percent: known > 0 ? (t.up / known) * 100 : null }
      }
      return out
    },
    incidents(query = {}) {
      const c = requireConn()
      const now = clock()
      const rows = c
        .prepare(
          `SELECT id, component, status, check_key, first_output, started_at, ended_at FROM incidents
           WHERE (? IS NULL OR coalesce(ended_at, ?) >= ?) AND (? IS NULL OR started_at < ?) AND (? = 0 OR ended_at IS NULL)
           ORDER BY started_at DESC LIMIT ?`,
        )
        .all(query.from ?? null, now, query.from ?? null, query.to ?? null, query.to ?? null, query.openOnly ? 1 : 0, Math.min(query.limit ?? 100, 1_000)) as Array<{
        id: string
        component: string
        status: 'warn' | 'fail'
        check_key: string | null
        first_output: string | null
        started_at: number
        ended_at: number | null
      }>
      return rows.map((r) => ({
        id: r.id,
        component: r.component,
        status: r.status,
        check: r.check_key,
        firstOutput: r.first_output,
        startedAt: r.started_at,
        endedAt: r.ended_at,
        durationMs: r.ended_at === null ? null : r.ended_at - r.started_at,
      }))
    },
    events(query = {}) {
      const c = requireConn()
      const types = query.types && query.types.length > 0 ? JSON.stringify(query.types) : null
      const rows = c
        .prepare(
          `SELECT id, ts, type, level, message, request_id, details FROM events
           WHERE (? IS NULL OR ts >= ?) AND (? IS NULL OR ts < ?) AND (? IS NULL OR type IN (SELECT value FROM json_each(?))) AND (? IS NULL OR request_id = ?)
           ORDER BY ts DESC, id DESC LIMIT ?`,
        )
        .all(query.from ?? null, query.from ?? null, query.to ?? null, query.to ?? null, types, types, query.requestId ?? null, query.requestId ?? null, Math.min(query.limit ?? 200, 2_000)) as Array<{
        id: number
        ts: number
        type: string
        level: HistoryEvent['level']
        message: string
        request_id: string | null
        details: string | null
      }>
      return rows.map((r) => ({ id: r.id, time: r.ts, type: r.type, level: r.level, message: r.message, requestId: r.request_id, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }))
    },
    openIncidents: () => [...open.values()].map((i) => ({ ...i })),
    status: () => ({ writable: writable && conn !== null, buffered: queue.length, dropped, lastError }),
    sizeBytes,
    close() {
      if (closed) return
      flush()
      closed = true
      try {
        conn?.close()
      } catch {
        // Nothing more to save.
      }
      conn = null
    },
  }
}

export { OVERALL }
