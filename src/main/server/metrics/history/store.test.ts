import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { HealthReport, HealthStatus } from '../../../../shared/contract'
import { BUCKET_COUNT, bucketIndex } from '../buckets'
import type { MetricsWindow, SeriesWindow } from '../collector'
import { computeUptime, type StatusSample } from '../health-history'
import { METRICS_MIGRATIONS, migrateMetrics } from './schema'
import { openMetricsHistory, type MetricsHistory, type MetricsHistoryOptions } from './store'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
/** A minute boundary, so 10-second points fall into known minutes. */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)

let dir: string
let now: number
const opened: MetricsHistory[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'starpunk-metrics-history-'))
  now = T0
})
afterEach(() => {
  for (const h of opened.splice(0)) h.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(options: Partial<MetricsHistoryOptions> = {}): MetricsHistory {
  const h = openMetricsHistory({ path: join(dir, 'metrics.db'), clock: () => now, retryMs: 1_000, ...options })
  opened.push(h)
  return h
}

function series(requests: number, seconds: number, serverErrors = 0): SeriesWindow {
  const buckets = new Array<number>(BUCKET_COUNT).fill(0)
  buckets[bucketIndex(seconds)] = requests
  return { requests, serverErrors, clientErrors: 0, bytes: requests * 100, sumSeconds: requests * seconds, buckets }
}

function win(start: number, s: Record<string, SeriesWindow> = {}, durationMs = 10_000): MetricsWindow {
  return {
    start,
    end: start + durationMs,
    series: s,
    process: {
      eventLoopP99Ms: 2,
      eventLoopMaxMs: 5,
      rssBytes: 100,
      heapUsedBytes: 50,
      poolWaiting: 0,
      poolActive: 1,
      poolAcquired: 3,
      poolTimeouts: 0,
      poolWaitMs: 1,
      slowQueries: 0,
      diskUsedBytes: null,
      diskFreeBytes: null,
    },
  }
}

function report(status: HealthStatus, fsStatus: HealthStatus = status, output = 'The data directory is not writable (ENOTDIR).'): HealthReport {
  const time = new Date(now).toISOString()
  return {
    status,
    checks: {
      'database:responseTime': [{ status: 'pass', time }],
      'filesystem:writable': [{ status: fsStatus, time, ...(fsStatus === 'pass' ? {} : { output }) }],
    },
  }
}

/** Flush until the queue is empty (one flush writes at most maxFlushRecords). */
function flushAll(h: MetricsHistory): number {
  let total = 0
  for (let n = h.flush(); n > 0; n = h.flush()) total += n
  return total
}

function rows(sql: string, ...params: unknown[]): number {
  const db = new Database(join(dir, 'metrics.db'), { readonly: true })
  try {
    return db.prepare(sql).pluck().get(...params) as number
  } finally {
    db.close()
  }
}

describe('points and rollups', () => {
  it('keeps 10-second points and rolls them into 1-minute rows at write time, with percentiles from the merged buckets', () => {
    const h = open()
    // Minute 0: six points, 10 fast page requests each; one point also has 2 slow 5xx ones.
    for (let i = 0; i < 6; i++) h.recordWindow(win(T0 + i * 10_000, { 'http:pages': series(10, 0.002), ...(i === 3 ? { 'http:feeds': series(2, 0.4, 2) } : {}) }))
    // Minute 1: three points.
    for (let i = 0; i < 3; i++) h.recordWindow(win(T0 + MIN + i * 10_000, { 'http:pages': series(5, 0.02) }))
    now = T0 + 2 * MIN
    expect(flushAll(h)).toBe(9)

    // A 15-minute view (no step given) reads the 10-second points.
    const quarter = h.traffic({ from: now - 15 * MIN, to: now })
    expect([quarter.resolutionSeconds, quarter.stepMs, quarter.buckets.length]).toEqual([10, 10_000, 90])
    expect(quarter.buckets.reduce((sum, b) => sum + (b.total?.requests ?? 0), 0)).toBe(77)
    const raw = h.traffic({ from: T0, to: T0 + 2 * MIN, stepMs: 10_000 })
    expect(raw.resolutionSeconds).toBe(10)
    expect(raw.buckets).toHaveLength(12)
    expect(raw.buckets[0]!.groups!.pages!.requests).toBe(10)
    expect(raw.buckets[0]!.groups!.pages!.rps).toBe(1)
    expect(raw.buckets[3]!.groups!.feeds).toMatchObject({ requests: 2, serverErrors: 2, errorRate: 1 })

    const minute = h.traffic({ from: T0, to: T0 + 2 * MIN, stepMs: MIN })
    expect(minute.resolutionSeconds).toBe(60)
    expect(minute.buckets.map((b) => b.total?.requests)).toEqual([62, 15])
    expect(minute.buckets[0]!.sampledSeconds).toBe(60)
    expect(minute.buckets[1]!.sampledSeconds).toBe(30)
    expect(minute.buckets[1]!.total!.rps).toBeCloseTo(0.5, 10)
    // 60 of 62 requests in the (1 ms, 2.5 ms] bucket: p50 inside it, p99 in the slow feed bucket (0.25 s, 0.5 s].
    const total = minute.buckets[0]!.total!
    expect(total.p50Ms).toBeGreaterThan(1)
    expect(total.p50Ms).toBeLessThanOrEqual(2.5)
    expect(total.p99Ms).toBeGreaterThan(250)
    expect(total.p99Ms).toBeLessThanOrEqual(500)
    expect(total.errorRate).toBeCloseTo(2 / 62, 10)
    expect(minute.slowest[0]!.group).toBe('feeds')
    expect(rows('SELECT count(*) FROM points WHERE resolution = 10')).toBe(9)
    expect(rows('SELECT count(*) FROM points WHERE resolution = 60')).toBe(2)

    // Long views read the coarse rollups: the same totals from far fewer rows.
    now = T0 + 30 * DAY
    const month = h.traffic({ from: T0, to: T0 + 30 * DAY })
    expect([month.resolutionSeconds, month.stepMs]).toEqual([3600, 2 * HOUR])
    expect(month.buckets).toHaveLength(360)
    expect(month.buckets[0]!.total!.requests).toBe(77)
    expect(month.buckets[0]!.sampledSeconds).toBe(90)
    expect(month.buckets.slice(1).every((b) => b.total === null)).toBe(true)
    const week = h.traffic({ from: T0, to: T0 + 7 * DAY })
    expect([week.resolutionSeconds, week.buckets[0]!.total!.requests]).toEqual([600, 77])
    expect(h.traffic({ from: T0, to: T0 + DAY }).resolutionSeconds).toBe(60)
    // A tiny step over a long range is widened: never more than 2,000 buckets.
    const greedy = h.traffic({ from: T0, to: T0 + 30 * DAY, stepMs: 1 })
    expect(greedy.buckets.length).toBeLessThanOrEqual(2_000)
    expect(greedy.buckets[0]!.total!.requests).toBe(77)
  })

  it('a point that arrives late (after an outage) still lands in its minute', () => {
    const h = open()
    h.recordWindow(win(T0, { 'http:pages': series(1, 0.001) }))
    flushAll(h)
    h.recordWindow(win(T0 + 20_000, { 'http:pages': series(4, 0.001) }))
    now = T0 + 10 * MIN
    flushAll(h)
    expect(h.traffic({ from: T0, to: T0 + MIN, stepMs: MIN }).buckets[0]!.total!.requests).toBe(5)
  })
})

describe('gaps', () => {
  it('a bucket without samples is null (no data), a sampled bucket without requests is zero', () => {
    const h = open()
    h.recordWindow(win(T0, { 'http:pages': series(3, 0.001) }))
    // Minute 1: the app was off. Minute 2: up, nobody came.
    h.recordWindow(win(T0 + 2 * MIN))
    now = T0 + 3 * MIN
    flushAll(h)
    const r = h.traffic({ from: T0, to: T0 + 3 * MIN, stepMs: MIN })
    expect(r.buckets.map((b) => b.total?.requests ?? null)).toEqual([3, null, 0])
    expect(r.buckets[1]).toEqual({ time: T0 + MIN, sampledSeconds: null, total: null, groups: null, search: null, process: null })
    expect(r.buckets[2]!.groups).toEqual({})
    expect(r.buckets[2]!.total!.p95Ms).toBeNull()
    expect(r.buckets[2]!.process!.eventLoopP99Ms).toBe(2)
  })

  it('a window longer than a point (the machine slept) counts only one point of sampled time', () => {
    const h = open()
    h.recordWindow(win(T0, { 'http:pages': series(1, 0.001) }, 30 * MIN))
    now = T0 + 31 * MIN
    flushAll(h)
    const r = h.traffic({ from: T0, to: T0 + 30 * MIN, stepMs: MIN })
    expect(r.buckets.filter((b) => b.sampledSeconds !== null).map((b) => [b.time, b.sampledSeconds])).toEqual([[T0 + 29 * MIN, 10]])
  })
})

describe('retention and pruning', () => {
  it('drops 10-second points after an hour and rollups after the retention, in batches of at most pruneBatch rows', () => {
    const h = open({ retentionMs: DAY, pruneBatch: 50 })
    // 200 minutes of one point per minute.
    for (let m = 0; m < 200; m++) h.recordWindow(win(T0 + m * MIN, { 'http:pages': series(1, 0.001) }))
    now = T0 + 200 * MIN
    flushAll(h)
    expect(rows('SELECT count(*) FROM points WHERE resolution = 10')).toBe(200)

    // Points older than an hour go, 50 at a time; the last hour stays; rollups stay (within a day).
    const counts: number[] = []
    for (let i = 0; i < 10; i++) {
      h.prune()
      counts.push(rows('SELECT count(*) FROM points WHERE resolution = 10'))
    }
    expect(counts.slice(0, 4)).toEqual([150, 100, 60, 60])
    expect(rows('SELECT count(*) FROM series WHERE resolution = 10')).toBe(60)
    expect(rows('SELECT count(*) FROM points WHERE resolution = 60')).toBe(200)

    // A day later the rollups expire too, again in batches.
    now = T0 + 200 * MIN + DAY
    const rollups: number[] = []
    for (let i = 0; i < 6; i++) {
      h.prune()
      rollups.push(rows('SELECT count(*) FROM points WHERE resolution = 60'))
    }
    expect(rollups).toEqual([150, 100, 50, 0, 0, 0])
    expect(rows('SELECT count(*) FROM series')).toBe(0)
  })

  it('prunes health samples, events and closed incidents past the retention; keeps open incidents', () => {
    const h = open({ retentionMs: DAY, pruneBatch: 500 })
    h.recordHealth(report('fail'), now, 30_000)
    h.recordEvent({ type: 'server_start', message: 'started' })
    now += 30_000
    h.recordHealth(report('pass'), now, 30_000)
    now += 30_000
    h.recordHealth(report('warn', 'warn', 'low'), now, 30_000)
    flushAll(h)
    now += 2 * DAY
    h.prune()
    expect(rows('SELECT count(*) FROM health_samples')).toBe(0)
    expect(rows('SELECT count(*) FROM events')).toBe(0)
    expect(h.incidents().map((i) => i.endedAt)).toEqual([null, null])
  })

  it('past the size bound the oldest rows go first, whatever their age', () => {
    const h = open({ retentionMs: 30 * DAY, pruneBatch: 100, maxBytes: 1 })
    for (let m = 0; m < 300; m++) h.recordWindow(win(T0 + m * MIN, { 'http:pages': series(1, 0.001) }))
    now = T0 + 300 * MIN
    flushAll(h)
    h.prune()
    expect(rows('SELECT count(*) FROM points WHERE resolution = 60')).toBe(200)
    expect(rows('SELECT min(ts) FROM points WHERE resolution = 60')).toBe((T0 + 100 * MIN) / 1000)
  })
})

describe('health history and incidents', () => {
  it('stores each component per sample; a warn or fail opens an incident at once, recovery closes it', () => {
    const h = open()
    h.recordHealth(report('pass'), now, 30_000)
    now += 30_000
    const start = now
    const actions = h.recordHealth(report('warn', 'warn', 'Less than 100 MiB free.'), now, 30_000)
    expect(actions.map((a) => a.type)).toEqual(['open', 'open'])
    now += 30_000
    h.recordHealth(report('fail'), now, 30_000)
    now += 30_000
    const end = now
    h.recordHealth(report('pass'), now, 30_000)
    flushAll(h)

    const incidents = h.incidents()
    const fs = incidents.find((i) => i.component === 'filesystem')!
    expect(fs).toMatchObject({ status: 'fail', check: 'filesystem:writable', firstOutput: 'Less than 100 MiB free.', startedAt: start, endedAt: end, durationMs: end - start })
    expect(incidents.find((i) => i.component === 'overall')).toMatchObject({ startedAt: start, endedAt: end })
    expect(h.openIncidents()).toEqual([])

    const beats = h.heartbeats({ from: T0, to: now + 1 })
    expect(beats.filesystem!.map((b) => b.status)).toEqual(['pass', 'warn', 'fail', 'pass'])
    expect(beats.filesystem![2]!.output).toBe('The data directory is not writable (ENOTDIR).')
    expect(beats.database!.map((b) => b.status)).toEqual(['pass', 'pass', 'pass', 'pass'])
  })

  it('uptime per component over a window, with unsampled time apart', () => {
    const h = open()
    for (let i = 0; i < 8; i++) {
      h.recordHealth(report(i < 6 ? 'pass' : 'fail'), now, 30_000)
      now += 30_000
    }
    // Off for 10 minutes, then warn twice.
    now += 10 * MIN
    for (let i = 0; i < 2; i++) {
      h.recordHealth(report('warn', 'warn', 'low'), now, 30_000)
      now += 30_000
    }
    flushAll(h)
    const u = h.uptime({ from: T0, to: now })
    expect(u.filesystem).toMatchObject({ upMs: 8 * 30_000, degradedMs: 60_000, downMs: 60_000, noDataMs: 10 * MIN })
    expect(u.filesystem!.percent).toBeCloseTo(80, 10)
    expect(u.database!.percent).toBe(100)
    // The SQL and the pure rule agree, over any window (here: starting and ending inside samples).
    const beats = h.heartbeats({ from: 0, to: now + 1 }).filesystem!.map((b) => ({ time: b.time, status: b.status, intervalMs: 30_000 }))
    for (const [from, to] of [[T0, now], [T0 + 15_000, now - 45_000], [T0 + 5 * MIN, T0 + 12 * MIN]] as const) {
      expect(h.uptime({ from, to, component: 'filesystem' }).filesystem).toEqual(computeUptime(beats, from, to))
    }
  })
})

/** A small seeded generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const STATUSES: readonly HealthStatus[] = ['pass', 'warn', 'fail']
const CODE: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 }

/** The uptime query as it was before health_hours (over every raw sample of the window), on the file itself. */
function legacyUptime(db: Database.Database, component: string, from: number, to: number) {
  const spans = db.prepare(
    `WITH s AS (
       SELECT ts, status, interval_ms, lead(ts) OVER (ORDER BY ts) AS next FROM health_samples
       WHERE component = ? AND ts >= coalesce((SELECT max(ts) FROM health_samples WHERE component = ? AND ts < ?), ?) AND ts < ?
     )
     SELECT status, sum(max(0, min(ts + interval_ms, coalesce(next, ts + interval_ms), ?) - max(ts, ?))) AS ms FROM s GROUP BY status`,
  )
  const by = new Map((spans.all(component, component, from, from, to, to, from) as Array<{ status: number; ms: number }>).map((r) => [r.status, r.ms]))
  const up = (by.get(0) ?? 0) + (by.get(1) ?? 0)
  const down = by.get(2) ?? 0
  const known = up + down
  return { upMs: up, degradedMs: by.get(1) ?? 0, downMs: down, noDataMs: Math.max(0, to - from - known), percent: known > 0 ? (up / known) * 100 : null }
}

/** The samples stored for a component, as computeUptime takes them. */
function storedSamples(component: string): StatusSample[] {
  const db = new Database(join(dir, 'metrics.db'), { readonly: true })
  try {
    const list = db.prepare('SELECT ts, status, interval_ms FROM health_samples WHERE component = ? ORDER BY ts').all(component) as Array<{ ts: number; status: number; interval_ms: number }>
    return list.map((r) => ({ time: r.ts, status: STATUSES[r.status]!, intervalMs: r.interval_ms }))
  } finally {
    db.close()
  }
}

function hourRows(): Array<Record<string, number | string>> {
  const db = new Database(join(dir, 'metrics.db'), { readonly: true })
  try {
    return db.prepare('SELECT * FROM health_hours ORDER BY component, hour').all() as Array<Record<string, number | string>>
  } finally {
    db.close()
  }
}

/**
 * A random history: mostly regular samples, with status changes, interval changes (10 s to 2.5 h, so
 * spans cross one or several hour boundaries), early and late samples, restarts (gaps of minutes to hours)
 * and times off the second. Returns the samples it recorded for `filesystem`, in order.
 */
function randomHistory(h: MetricsHistory, rnd: () => number, count: number, start: number): StatusSample[] {
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!
  const recorded: StatusSample[] = []
  let t = start
  let intervalMs = 30_000
  let fs: HealthStatus = 'pass'
  for (let i = 0; i < count; i++) {
    if (rnd() < 0.05) intervalMs = pick([10_000, 30_000, 45_000, 7 * MIN, 150 * MIN])
    if (rnd() < 0.15) fs = pick(STATUSES)
    const overall: HealthStatus = rnd() < 0.9 ? fs : pick(STATUSES)
    now = t
    h.recordHealth(report(overall, fs), t, intervalMs)
    recorded.push({ time: t, status: fs, intervalMs })
    const r = rnd()
    // Next sample: on time, a little late or early, or after a restart.
    if (r < 0.7) t += intervalMs
    else if (r < 0.85) t += Math.max(1, Math.round(intervalMs * (0.3 + rnd())))
    else if (r < 0.95) t += Math.round(rnd() * 4 * HOUR) + 1
    else t += Math.floor(rnd() * 997) + 1
    if (i % 97 === 0) flushAll(h)
  }
  now = t
  flushAll(h)
  return recorded
}

/** Windows over [lo, hi): random ones, and ones on, just off and across hour boundaries and sample times. */
function windows(rnd: () => number, lo: number, hi: number, samples: readonly StatusSample[], n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [
    [lo, hi],
    [lo - HOUR - 1, hi + HOUR + 1],
    [Math.ceil(lo / HOUR) * HOUR, Math.floor(hi / HOUR) * HOUR],
  ]
  for (let i = 0; i < n; i++) {
    const kind = rnd()
    let from: number
    if (kind < 0.25) from = Math.floor(lo / HOUR) * HOUR + Math.floor(rnd() * ((hi - lo) / HOUR + 1)) * HOUR
    else if (kind < 0.5) from = samples[Math.floor(rnd() * samples.length)]!.time + Math.floor(rnd() * 3) - 1
    else from = lo + Math.floor(rnd() * (hi - lo))
    const len = pick3(rnd)
    out.push([from, from + len])
  }
  return out
}

/** A window length: under an hour, just over one or two hours (edges only), or many hours. */
function pick3(rnd: () => number): number {
  const r = rnd()
  if (r < 0.2) return Math.floor(rnd() * HOUR)
  if (r < 0.4) return HOUR + Math.floor(rnd() * HOUR)
  if (r < 0.5) return 2 * HOUR + Math.floor(rnd() * 3) - 1
  if (r < 0.6) return Math.round(rnd() * 3) * HOUR
  return Math.floor(rnd() * 3 * DAY)
}

describe('uptime from hourly totals', () => {
  it('matches the rule over the raw samples for random histories and windows, to the millisecond', () => {
    for (const seed of [1, 2, 3, 4]) {
      rmSync(join(dir, 'metrics.db'), { force: true })
      for (const suffix of ['-wal', '-shm']) rmSync(join(dir, `metrics.db${suffix}`), { force: true })
      const rnd = random(seed)
      const h = openMetricsHistory({ path: join(dir, 'metrics.db'), clock: () => now, retryMs: 1_000 })
      try {
        const start = T0 + Math.floor(rnd() * HOUR)
        const recorded = randomHistory(h, rnd, 1_500, start)
        expect(storedSamples('filesystem')).toEqual(recorded)
        const last = recorded[recorded.length - 1]!
        const db = new Database(join(dir, 'metrics.db'), { readonly: true })
        try {
          for (const [from, to] of windows(rnd, start, last.time + last.intervalMs, recorded, 300)) {
            const u = h.uptime({ from, to })
            expect(u.filesystem, `seed ${seed}, [${from}, ${to})`).toEqual(computeUptime(recorded, from, to))
            expect(u.overall, `seed ${seed}, [${from}, ${to})`).toEqual(legacyUptime(db, 'overall', from, to))
            expect(u.database).toEqual(legacyUptime(db, 'database', from, to))
          }
        } finally {
          db.close()
        }
      } finally {
        h.close()
      }
    }
  })

  it('a sample written late, between two stored ones, or replacing one, moves the hourly totals with it', () => {
    const h = open()
    const rnd = random(7)
    const recorded = randomHistory(h, rnd, 400, T0 + 17_000)
    const last = recorded[recorded.length - 1]!
    const byTime = new Map(recorded.map((s) => [s.time, s]))
    for (let i = 0; i < 120; i++) {
      const existing = recorded[Math.floor(rnd() * recorded.length)]!
      // Half of them replace a stored sample (same time), half land between stored ones.
      const time = rnd() < 0.5 ? existing.time : existing.time + Math.floor(rnd() * 40_000) + 1
      const status = STATUSES[Math.floor(rnd() * 3)]!
      const intervalMs = rnd() < 0.2 ? 2 * HOUR : 30_000
      h.recordHealth(report(status), time, intervalMs)
      byTime.set(time, { time, status, intervalMs })
    }
    flushAll(h)
    const samples = [...byTime.values()].sort((a, b) => a.time - b.time)
    expect(storedSamples('filesystem')).toEqual(samples)
    for (const [from, to] of windows(rnd, T0, last.time + last.intervalMs, samples, 300)) {
      expect(h.uptime({ from, to, component: 'filesystem' }).filesystem, `[${from}, ${to})`).toEqual(computeUptime(samples, from, to))
    }
    // The same samples written in order give the same rows.
    const rowsOutOfOrder = hourRows().filter((r) => r.component === 'filesystem' && (r.up_ms !== 0 || r.down_ms !== 0))
    h.close()
    opened.splice(0)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir)
    const again = open()
    for (const s of samples) {
      now = s.time
      again.recordHealth(report(s.status), s.time, s.intervalMs)
    }
    flushAll(again)
    expect(hourRows().filter((r) => r.component === 'filesystem')).toEqual(rowsOutOfOrder)
  })

  it('pruning (retention, then the size bound) trims the hourly totals with the samples, in batches cut mid-hour', () => {
    const h = open({ retentionMs: DAY, pruneBatch: 37 })
    const rnd = random(11)
    const recorded = randomHistory(h, rnd, 1_200, T0 + 5_123)
    const last = recorded[recorded.length - 1]!
    const end = last.time + last.intervalMs
    // Retention: a cutoff a day before "now", which falls inside the history.
    now = recorded[Math.floor(recorded.length / 2)]!.time + DAY + 1_234
    let pruned = 0
    let prunedRounds = 0
    for (let round = 0; round < 40; round++) {
      h.prune()
      const left = storedSamples('filesystem')
      if (left.length === pruned) break
      pruned = left.length
      const first = left[0]!
      // No hourly row before the hour of the oldest sample left.
      expect(rows('SELECT count(*) FROM health_hours h WHERE hour < (SELECT min(ts) FROM health_samples s WHERE s.component = h.component) / 3600000 * 3600000')).toBe(0)
      prunedRounds++
      for (const [from, to] of windows(rnd, first.time - HOUR, end, left, 25)) {
        expect(h.uptime({ from, to, component: 'filesystem' }).filesystem, `round ${round}, [${from}, ${to})`).toEqual(computeUptime(left, from, to))
      }
    }
    // Several batches, so most cuts fell inside an hour.
    expect(prunedRounds).toBeGreaterThan(3)
    expect(storedSamples('filesystem').length).toBeLessThan(recorded.length)
    h.close()
    opened.splice(0)

    // The size bound: the oldest go whatever their age (bounded by the oldest 1-minute points).
    now = end
    const tight = open({ retentionMs: 365 * DAY, pruneBatch: 50, maxBytes: 1 })
    const kept = storedSamples('filesystem')
    for (let m = 0; m < 300; m++) tight.recordWindow(win(kept[Math.floor((m * kept.length) / 300)]!.time))
    flushAll(tight)
    for (let round = 0; round < 8; round++) {
      tight.prune()
      const left = storedSamples('filesystem')
      if (left.length === 0) break
      for (const [from, to] of windows(rnd, left[0]!.time - HOUR, end, left, 25)) {
        expect(tight.uptime({ from, to, component: 'filesystem' }).filesystem, `size round ${round}, [${from}, ${to})`).toEqual(computeUptime(left, from, to))
      }
    }
    expect(storedSamples('filesystem').length).toBeLessThan(kept.length)

    // Everything expired: no hourly rows are left either.
    now = end + 400 * DAY
    for (let round = 0; round < 200 && storedSamples('filesystem').length > 0; round++) tight.prune()
    expect(rows('SELECT count(*) FROM health_samples')).toBe(0)
    expect(rows('SELECT count(*) FROM health_hours')).toBe(0)
  })

  it('a file from before health_hours is backfilled by its migration, to the same rows as written live', () => {
    const rnd = random(23)
    const live = open()
    const recorded = randomHistory(live, rnd, 1_000, T0 + 999)
    const liveRows = hourRows().filter((r) => r.up_ms !== 0 || r.degraded_ms !== 0 || r.down_ms !== 0)
    const samples = ['database', 'filesystem', 'overall'].flatMap((component) => storedSamples(component).map((s) => ({ component, ...s })))
    live.close()
    opened.splice(0)

    // The same samples in a file that only has the first migration (what an older version wrote).
    const oldPath = join(dir, 'old', 'metrics.db')
    mkdirSync(join(dir, 'old'))
    const db = new Database(oldPath)
    migrateMetrics(db, T0, METRICS_MIGRATIONS.slice(0, 1))
    const insert = db.prepare('INSERT INTO health_samples (component, ts, status, interval_ms, output) VALUES (?, ?, ?, ?, NULL)')
    db.transaction(() => {
      for (const s of samples) insert.run(s.component, s.time, CODE[s.status], s.intervalMs)
    })()
    db.close()

    const upgraded = open({ path: oldPath })
    const backfilled = new Database(oldPath, { readonly: true })
    try {
      expect(backfilled.prepare('SELECT name FROM metrics_migrations ORDER BY name').pluck().all()).toEqual(['001_history', '002_health_hours'])
      expect(backfilled.prepare('SELECT * FROM health_hours ORDER BY component, hour').all()).toEqual(liveRows)
    } finally {
      backfilled.close()
    }
    const last = recorded[recorded.length - 1]!
    for (const [from, to] of windows(rnd, T0, last.time + last.intervalMs, recorded, 100)) {
      expect(upgraded.uptime({ from, to, component: 'filesystem' }).filesystem).toEqual(computeUptime(recorded, from, to))
    }
  })
})

describe('events', () => {
  it('are stored with an optional request ID and filtered by type and request', () => {
    const h = open()
    h.recordEvent({ type: 'server_start', message: 'StarPunk started.' })
    now += 1_000
    h.recordEvent({ type: 'database_locked', level: 'error', message: 'The database was locked.', requestId: 'req-123', details: { waitedMs: 5000 } })
    now += 1_000
    h.recordEvent({ type: 'slow_query', level: 'warning', message: 'A query took 800 ms.', requestId: 'req-456' })
    flushAll(h)
    expect(h.events().map((e) => e.type)).toEqual(['slow_query', 'database_locked', 'server_start'])
    expect(h.events({ types: ['database_locked'] })).toEqual([
      { id: 2, time: T0 + 1_000, type: 'database_locked', level: 'error', message: 'The database was locked.', requestId: 'req-123', details: { waitedMs: 5000 } },
    ])
    expect(h.events({ requestId: 'req-456' }).map((e) => e.type)).toEqual(['slow_query'])
  })
})

describe('while the file cannot be written', () => {
  it('buffers samples when the data dir is a regular file, and writes them once it is a directory again', () => {
    const broken = join(dir, 'data')
    writeFileSync(broken, 'not a directory')
    const h = open({ path: join(broken, 'metrics.db') })
    expect(h.status()).toMatchObject({ writable: false, buffered: 0 })
    h.recordWindow(win(T0, { 'http:pages': series(2, 0.001) }))
    h.recordHealth(report('fail'), now, 30_000)
    h.recordEvent({ type: 'server_start', message: 'started' })
    now += 10_000
    expect(h.flush()).toBe(0)
    expect(h.status().buffered).toBeGreaterThanOrEqual(3)
    expect(h.status().lastError).toMatch(/^SQLITE_CANTOPEN|ENOTDIR/)
    expect(() => h.traffic({ from: T0, to: now })).toThrow()

    rmSync(broken)
    mkdirSync(broken)
    now += 5_000
    expect(flushAll(h)).toBeGreaterThanOrEqual(3)
    expect(h.status()).toMatchObject({ writable: true, buffered: 0, lastError: null })
    expect(h.traffic({ from: T0, to: T0 + MIN, stepMs: MIN }).buckets[0]!.total!.requests).toBe(2)
    expect(h.incidents({ openOnly: true }).map((i) => i.component).sort()).toEqual(['filesystem', 'overall'])
    expect(h.events().map((e) => e.type)).toEqual(['server_start'])
  })

  it('notices the data dir being replaced under it, buffers, and writes everything once it is back', () => {
    const data = join(dir, 'data')
    mkdirSync(data)
    const h = open({ path: join(data, 'metrics.db') })
    h.recordWindow(win(T0, { 'http:pages': series(1, 0.001) }))
    flushAll(h)
    // Broken: the directory moved away and a file in its place.
    renameSync(data, join(dir, 'moved'))
    writeFileSync(data, 'x')
    now += 10_000
    h.recordWindow(win(T0 + 10_000, { 'http:pages': series(2, 0.001) }))
    h.recordHealth(report('fail'), now, 30_000)
    expect(h.flush()).toBe(0)
    expect(h.status().writable).toBe(false)
    now += 10_000
    h.recordWindow(win(T0 + 20_000, { 'http:pages': series(3, 0.001) }))
    h.recordHealth(report('pass'), now, 30_000)
    flushAll(h)
    // Repaired.
    rmSync(data)
    renameSync(join(dir, 'moved'), data)
    now += 10_000
    flushAll(h)
    expect(h.status()).toMatchObject({ writable: true, buffered: 0 })
    expect(h.traffic({ from: T0, to: T0 + MIN, stepMs: MIN }).buckets[0]!.total!.requests).toBe(6)
    const [incident] = h.incidents({ from: T0 }).filter((i) => i.component === 'filesystem')
    expect(incident).toMatchObject({ startedAt: T0 + 10_000, endedAt: T0 + 20_000, status: 'fail' })
  })

  it('drains a backlog a bounded number of records per flush, oldest first', () => {
    const broken = join(dir, 'data')
    writeFileSync(broken, 'x')
    const h = open({ path: join(broken, 'metrics.db'), maxFlushRecords: 100 })
    for (let i = 0; i < 250; i++) h.recordWindow(win(T0 + i * 10_000, { 'http:pages': series(1, 0.001) }))
    rmSync(broken)
    mkdirSync(broken)
    now += HOUR
    expect([h.flush(), h.flush(), h.flush(), h.flush()]).toEqual([100, 100, 50, 0])
    expect(h.traffic({ from: T0, to: T0 + HOUR, stepMs: HOUR }).buckets[0]!.total!.requests).toBe(250)
  })

  it('holds a bounded number of records, drops the oldest, and records the loss as an event', () => {
    const broken = join(dir, 'data')
    writeFileSync(broken, 'x')
    const h = open({ path: join(broken, 'metrics.db'), maxBuffered: 10 })
    for (let i = 0; i < 15; i++) h.recordWindow(win(T0 + i * 10_000, { 'http:pages': series(1, 0.001) }))
    expect(h.status()).toMatchObject({ buffered: 10, dropped: 5 })
    rmSync(broken)
    mkdirSync(broken)
    now += 5 * MIN
    flushAll(h)
    const r = h.traffic({ from: T0, to: T0 + 3 * MIN, stepMs: 10_000 })
    // The first 5 points are gone and show as gaps, not zeros.
    expect(r.buckets.slice(0, 16).map((b) => b.total?.requests ?? null)).toEqual([null, null, null, null, null, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, null])
    expect(h.events({ types: ['history_gap'] })[0]).toMatchObject({ level: 'warning', details: { dropped: 5 } })
  })
})

describe('a damaged file', () => {
  it('is set aside and a new history started, with the gap recorded; the damaged file is kept', () => {
    writeFileSync(join(dir, 'metrics.db'), Buffer.alloc(8192, 7))
    const h = open()
    expect(h.status()).toMatchObject({ writable: true })
    h.recordWindow(win(T0, { 'http:pages': series(2, 0.001) }))
    flushAll(h)
    expect(h.traffic({ from: T0, to: T0 + MIN, stepMs: MIN }).buckets[0]!.total!.requests).toBe(2)
    expect(h.events({ types: ['history_gap'] })[0]).toMatchObject({ details: { reason: 'SQLITE_NOTADB' } })
    expect(readdirSync(dir).filter((f) => f.startsWith('metrics.db.corrupt-'))).toEqual([`metrics.db.corrupt-${T0}`])
  })
})

describe('restart', () => {
  it('keeps everything across close and reopen of the real file; an incident left open is closed by the next pass', () => {
    const first = open()
    first.recordWindow(win(T0, { 'http:pages': series(7, 0.001) }))
    first.recordHealth(report('fail'), now, 30_000)
    first.recordEvent({ type: 'server_stop', message: 'stopped' })
    first.close()

    now += 10 * MIN
    const second = open()
    expect(second.traffic({ from: T0, to: T0 + 2 * MIN, stepMs: MIN }).buckets.map((b) => b.total?.requests ?? null)).toEqual([7, null])
    expect(second.openIncidents().map((i) => i.component).sort()).toEqual(['filesystem', 'overall'])
    second.recordHealth(report('pass'), now, 30_000)
    flushAll(second)
    expect(second.incidents({ openOnly: true })).toEqual([])
    expect(second.incidents().find((i) => i.component === 'filesystem')).toMatchObject({ startedAt: T0, endedAt: now })
    // Ten minutes off: no data, not down.
    const u = second.uptime({ from: T0, to: now + 30_000 })
    expect(u.filesystem).toMatchObject({ downMs: 30_000, upMs: 30_000, noDataMs: 10 * MIN - 30_000 })
    expect(second.events().map((e) => e.type)).toEqual(['server_stop'])
    expect(rows('SELECT count(*) FROM metrics_migrations')).toBe(2)
  })
})
