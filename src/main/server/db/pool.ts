import { Worker } from 'node:worker_threads'
import type { PoolStats } from '../../../shared/contract'
import { appError, type AppError } from '../errors'
import type { Logger } from '../logging'
import { databaseUnavailable, isUnavailableError, retryAfterSeconds } from './sqlite-errors'
import type { Reader, SqlParams } from './types'
import { READER_WORKER_SOURCE } from './worker-source'

export interface ReaderPoolOptions {
  /** Database file; readers open it with fileMustExist (the writer creates it). */
  path: string
  /** Resolved path of the better-sqlite3 package the worker threads require. */
  modulePath: string
  nativeBinding: string | null
  size: number
  acquireTimeoutMs: number
  busyTimeoutMs: number
  slowQueryMs: number
  logger: Logger
  /** After each slow query's log line, in the caller's async context (ms it took). */
  onSlowQuery?: (durationMs: number) => void
  /** Requests queued beyond this are refused at once with POOL_EXHAUSTED (bounds memory under a flood). */
  maxWaiting?: number
  /** A reader thread whose V8 heap passes this is replaced once released (READER_RETIRE_ABOVE_HEAP_BYTES). */
  retireAboveHeapBytes?: number
  /**
   * Start reader threads on demand instead of all at once: ready() starts one (so a binding that cannot load
   * still fails at start-up), a query takes an idle slot whose thread is running before one whose thread is
   * not, and a thread is started only when every running one is busy. With `idleRetireMs`, threads idle that
   * long are stopped again, all but one. The slots, their count and the stats are the same either way.
   */
  lazy?: boolean
  /** With `lazy`: stop threads (all but one) idle for this long; 0 or unset never stops them. */
  idleRetireMs?: number
}

/**
 * A fresh reader thread's heap is about 8 MiB here. Large rows (pages and feeds of long notes) grow it, and V8
 * keeps a heap it has grown: past this the thread is replaced between queries, so what the readers hold stays
 * bounded whatever the notes are. A replacement opens its connection in a few milliseconds.
 */
export const READER_RETIRE_ABOVE_HEAP_BYTES = 16 * 1024 * 1024

/** An error raised by SQLite inside a reader thread, with the same name/code/message it had there. */
export class ReaderQueryError extends Error {
  readonly code: string | undefined
  constructor(message: string, name: string, code: string | undefined) {
    super(message)
    this.name = name
    this.code = code
  }
}

interface Pending {
  resolve: (rows: unknown) => void
  reject: (err: Error) => void
  /** Rows of a large result that came ahead of its final message. */
  parts?: unknown[]
}

interface WorkerReply {
  type: 'ready' | 'rows' | 'result'
  id?: number
  ok?: boolean
  rows?: unknown
  ms?: number
  /** The thread's V8 heap after the query. */
  heapBytes?: number
  error?: { name: string; message: string; code?: string }
}

/** One pooled read connection: a worker thread holding one better-sqlite3 connection. */
class Slot {
  worker: Worker | null = null
  ready: Promise<void> = Promise.resolve()
  /** The thread died before it could load better-sqlite3: respawn on next use rather than in a loop. */
  broken = false
  held = false
  /** Its thread's heap has grown past the bound: replace it when released. */
  worn = false
  /** When it was last released (performance.now()), for stopping threads left idle. */
  releasedAt = 0
  private nextId = 1
  private pending = new Map<number, Pending>()
  private closing = false

  constructor(
    readonly index: number,
    private readonly pool: ReaderPool,
  ) {}

  spawn(): void {
    const options = this.pool.options
    const worker = new Worker(READER_WORKER_SOURCE, {
      eval: true,
      workerData: {
        path: options.path,
        modulePath: options.modulePath,
        nativeBinding: options.nativeBinding,
        busyTimeoutMs: options.busyTimeoutMs,
      },
      // A reader thread never needs stdin; keep its output with ours.
      stdin: false,
      // Rows are garbage as soon as they are posted: a small young generation collects them early instead of
      // growing to V8's default (tens of MiB per thread, kept once grown).
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    })
    this.worker = this.pool.track(worker)
    this.broken = false
    let becameReady = false
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') {
          becameReady = true
          resolve()
          return
        }
        const entry = msg.id === undefined ? undefined : this.pending.get(msg.id)
        if (!entry || msg.id === undefined) return
        if (msg.type === 'rows') {
          const parts = (entry.parts ??= [])
          for (const row of msg.rows as unknown[]) parts.push(row)
          return
        }
        this.pending.delete(msg.id)
        if ((msg.heapBytes ?? 0) > (this.pool.options.retireAboveHeapBytes ?? READER_RETIRE_ABOVE_HEAP_BYTES)) this.worn = true
        if (msg.ok) {
          entry.resolve({ rows: entry.parts ? [...entry.parts, ...(msg.rows as unknown[])] : msg.rows, ms: msg.ms ?? 0 })
        } else {
          const e = msg.error ?? { name: 'Error', message: 'unknown reader error' }
          entry.reject(new ReaderQueryError(e.message, e.name, e.code))
        }
      })
      worker.on('error', (err) => {
        this.pool.options.logger.error('database reader thread failed', { slot: this.index, err })
        if (!becameReady) reject(err)
      })
      worker.on('exit', (code) => {
        if (this.worker !== worker) return
        this.worker = null
        const died = databaseUnavailable(new Error(`reader thread exited with code ${code}`))
        for (const entry of this.pending.values()) entry.reject(died)
        this.pending.clear()
        if (this.closing) return
        if (!becameReady) {
          this.broken = true
          reject(new Error(`reader thread exited with code ${code} before it was ready`))
          return
        }
        this.pool.options.logger.error('database reader thread died; replacing it', { slot: this.index, exitCode: code })
        this.pool.stats.created++
        this.spawn()
      })
    })
    // Nobody may be waiting on `ready` (the replacement case): keep a rejection from going unhandled.
    this.ready.catch(() => {})
  }

  async query(op: 'all' | 'get', sql: string, params: SqlParams | undefined): Promise<{ rows: unknown; ms: number }> {
    if (!this.worker || this.broken) {
      if (this.closing) throw databaseUnavailable(new Error('pool closed'))
      this.pool.stats.created++
      this.spawn()
    }
    try {
      await this.ready
    } catch (err) {
      throw databaseUnavailable(err)
    }
    const worker = this.worker
    if (!worker) throw databaseUnavailable(new Error('reader thread unavailable'))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      worker.postMessage({ type: 'query', id, op, sql, params })
    })
  }

  /** A fresh thread in place of this one; the old one closes its connection and exits on its own. */
  renew(): void {
    const old = this.worker
    this.worn = false
    this.worker = null
    this.pool.stats.created++
    this.pool.stats.renewed++
    this.spawn()
    old?.postMessage({ type: 'close' })
  }

  /** Stop the thread of an idle slot (lazy pools): the next query on this slot starts a new one. */
  stop(): void {
    const old = this.worker
    if (!old || this.held) return
    this.worker = null
    old.postMessage({ type: 'close' })
  }

  /** Test and operations hook: really kill the thread (as a crash would). */
  async kill(): Promise<void> {
    await this.worker?.terminate()
  }

  async close(): Promise<void> {
    this.closing = true
    const worker = this.worker
    if (!worker) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2_000)
      worker.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      worker.postMessage({ type: 'close' })
    })
  }
}

interface Waiter {
  enqueuedAt: number
  resolve: (slot: Slot) => void
  reject: (err: AppError) => void
  timer: NodeJS.Timeout
}

/**
 * Read connections held in worker threads. better-sqlite3 is synchronous, so connections on the main
 * thread give no parallelism; in threads, slow reads (search, feeds) run side by side and never block
 * the event loop. Acquisition is FIFO with a timeout: POOL_EXHAUSTED, never a hang.
 */
export class ReaderPool {
  readonly stats = {
    acquired: 0,
    released: 0,
    created: 0,
    /** Threads replaced because their heap grew past the bound (counted in created too). */
    renewed: 0,
    timeouts: 0,
    totalWaitMs: 0,
    maxWaitMs: 0,
  }
  private readonly slots: Slot[] = []
  private readonly idle: Slot[] = []
  private readonly waiters: Waiter[] = []
  private readonly workers = new Set<Worker>()
  private closed = false
  private lastExhaustionLog = 0
  private suppressedExhaustionLogs = 0

  private retireTimer: NodeJS.Timeout | null = null

  constructor(readonly options: ReaderPoolOptions) {
    for (let i = 0; i < options.size; i++) {
      const slot = new Slot(i, this)
      if (!options.lazy) {
        slot.spawn()
        this.stats.created++
      }
      this.slots.push(slot)
      this.idle.push(slot)
    }
    if (options.lazy && options.idleRetireMs) {
      this.retireTimer = setInterval(() => this.stopIdleThreads(), Math.max(1, Math.floor(options.idleRetireMs / 2)))
      this.retireTimer.unref()
    }
  }

  /** Running threads (a lazy pool starts them as concurrency needs them). */
  runningThreads(): number {
    return this.slots.filter((s) => s.worker !== null).length
  }

  private stopIdleThreads(): void {
    const limit = performance.now() - (this.options.idleRetireMs ?? 0)
    let running = this.runningThreads()
    for (const slot of this.idle) {
      if (running <= 1) return
      if (slot.worker && slot.releasedAt < limit) {
        slot.stop()
        running--
      }
    }
  }

  /**
   * Resolves when every thread has loaded better-sqlite3 (a lazy pool: its first thread); rejects
   * (DATABASE_UNAVAILABLE) if one cannot.
   */
  async ready(): Promise<void> {
    if (this.options.lazy && this.slots[0] && !this.slots[0].worker) {
      this.slots[0].spawn()
      this.stats.created++
    }
    try {
      await Promise.all(this.slots.map((s) => s.ready))
    } catch (err) {
      await this.close()
      throw databaseUnavailable(err)
    }
  }

  track(worker: Worker): Worker {
    this.workers.add(worker)
    worker.once('exit', () => this.workers.delete(worker))
    return worker
  }

  snapshot(): PoolStats {
    const active = this.slots.filter((s) => s.held).length
    return {
      size: this.slots.length,
      active,
      idle: this.idle.length,
      waiting: this.waiters.length,
      acquired: this.stats.acquired,
      released: this.stats.released,
      created: this.stats.created,
      timeouts: this.stats.timeouts,
      totalWaitMs: round(this.stats.totalWaitMs),
      maxWaitMs: round(this.stats.maxWaitMs),
      // Every attempt that ended: granted ones and timed-out ones (whose waits are in totalWaitMs too).
      meanWaitMs: this.stats.acquired + this.stats.timeouts === 0 ? 0 : round(this.stats.totalWaitMs / (this.stats.acquired + this.stats.timeouts)),
      at: Date.now(),
    }
  }

  private acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(databaseUnavailable(new Error('pool closed')))
    // A slot whose thread runs first (in an eager pool all do: plain FIFO), else one that starts its thread. A
    // lazy pool takes the most recently released, so threads beyond what the load needs go idle and stop.
    const running = this.options.lazy ? lastIndexOf(this.idle, (s) => s.worker !== null) : this.idle.findIndex((s) => s.worker !== null)
    const slot = running >= 0 ? this.idle.splice(running, 1)[0] : this.idle.shift()
    if (slot) {
      this.grant(slot, 0)
      return Promise.resolve(slot)
    }
    if (this.waiters.length >= (this.options.maxWaiting ?? 1000)) {
      this.stats.timeouts++
      return Promise.reject(this.exhausted(0))
    }
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        enqueuedAt: performance.now(),
        resolve,
        reject,
        timer: setTimeout(() => {
          const index = this.waiters.indexOf(waiter)
          if (index >= 0) this.waiters.splice(index, 1)
          this.stats.timeouts++
          const waitedMs = performance.now() - waiter.enqueuedAt
          // A wait that ended in a timeout is still a wait: without it, a pool that only ever times out
          // would report a mean and max wait of 0.
          this.recordWait(waitedMs)
          reject(this.exhausted(waitedMs))
        }, this.options.acquireTimeoutMs),
      }
      this.waiters.push(waiter)
    })
  }

  private grant(slot: Slot, waitMs: number): void {
    slot.held = true
    this.stats.acquired++
    this.recordWait(waitMs)
  }

  private recordWait(waitMs: number): void {
    this.stats.totalWaitMs += waitMs
    if (waitMs > this.stats.maxWaitMs) this.stats.maxWaitMs = waitMs
  }

  private release(slot: Slot): void {
    slot.held = false
    slot.releasedAt = performance.now()
    this.stats.released++
    if (slot.worn && !this.closed) slot.renew()
    const waiter = this.waiters.shift()
    if (waiter) {
      clearTimeout(waiter.timer)
      this.grant(slot, performance.now() - waiter.enqueuedAt)
      waiter.resolve(slot)
    } else {
      this.idle.push(slot)
    }
  }

  private exhausted(waitedMs: number): AppError {
    const now = Date.now()
    // Under a flood every request times out: one log line per second, with how many were folded into it.
    if (now - this.lastExhaustionLog >= 1_000) {
      this.options.logger.warn('database pool exhausted', {
        size: this.slots.length,
        waiting: this.waiters.length,
        acquireTimeoutMs: this.options.acquireTimeoutMs,
        waitedMs: round(waitedMs),
        timeouts: this.stats.timeouts,
        suppressed: this.suppressedExhaustionLogs,
      })
      this.lastExhaustionLog = now
      this.suppressedExhaustionLogs = 0
    } else {
      this.suppressedExhaustionLogs++
    }
    return appError('POOL_EXHAUSTED', { headers: { 'Retry-After': retryAfterSeconds(this.options.acquireTimeoutMs) } })
  }

  /** Hold one read connection while fn runs; released when fn settles, whether it resolves or throws. */
  async withReader<T>(fn: (reader: Reader) => Promise<T>): Promise<T> {
    const slot = await this.acquire()
    let released = false
    const run = async <R>(op: 'all' | 'get', sql: string, params: SqlParams | undefined): Promise<R> => {
      if (released) throw new Error('db reader used after withReader() finished; keep queries inside its callback')
      let result: { rows: unknown; ms: number }
      try {
        result = await slot.query(op, sql, params)
      } catch (err) {
        if (isUnavailableError(err)) throw databaseUnavailable(err)
        throw err
      }
      // Logged here, after the await, so the line carries the caller's request ID. SQL text only, never values.
      if (result.ms >= this.options.slowQueryMs) {
        this.options.logger.warn('slow query', { sql: trimSql(sql), durationMs: round(result.ms), thresholdMs: this.options.slowQueryMs })
        this.options.onSlowQuery?.(result.ms)
      }
      return fixBlobs(result.rows) as R
    }
    const reader: Reader = {
      all: <R>(sql: string, params?: SqlParams) => run<R[]>('all', sql, params),
      get: <R>(sql: string, params?: SqlParams) => run<R | undefined>('get', sql, params),
    }
    try {
      return await fn(reader)
    } finally {
      released = true
      this.release(slot)
    }
  }

  /** Kill the thread behind one slot for real (tests of the replacement path). */
  async killWorker(index: number): Promise<void> {
    await this.slots[index]?.kill()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.retireTimer) clearInterval(this.retireTimer)
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.reject(databaseUnavailable(new Error('pool closed')))
    }
    await Promise.all(this.slots.map((s) => s.close()))
    await Promise.all([...this.workers].map((w) => w.terminate()))
  }
}

function lastIndexOf<T>(items: T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i] as T)) return i
  return -1
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

function trimSql(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim()
  return flat.length > 500 ? `${flat.slice(0, 500)}…` : flat
}

/** Structured clone turns Buffers into plain Uint8Arrays; give callers the Buffers better-sqlite3 would. */
function fixBlobs(rows: unknown): unknown {
  const fixRow = (row: unknown): unknown => {
    if (row === null || typeof row !== 'object') return row
    const record = row as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const value = record[key]
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) record[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    }
    return record
  }
  return Array.isArray(rows) ? rows.map(fixRow) : fixRow(rows)
}
