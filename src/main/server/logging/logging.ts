/**
 * The logger: levels DEBUG..CRITICAL, redaction, request IDs from AsyncLocalStorage, and three sinks:
 * the console (JSON lines or human lines), size-rotated JSON-lines files in config.logDir, and an in-memory ring
 * buffer the admin console streams from. Our own rather than pino: see docs/architecture.md (Logging) and
 * `npm run bench -- --only=logging` for the per-line cost against pino.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import type { LogEntry, LogLevel } from '../../../shared/contract'
import { defaultsOf } from '../config/settings'
import type { Config, LogFormat } from '../config/types'
import { openRotatingFile, type LogFileStatus, type RotatingFile } from './file-sink'
import { createRedactor, formatHuman, formatHumanAccess, formatJson, formatJsonAccess, isoNow, type AccessLineFields } from './format'
import type { LogBuffer, LogFields, Logger, RequestContext } from './types'

export const LEVELS: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 }
/** A threshold above every level: nothing is written (benchmarks compare against it). */
export const LEVEL_OFF = 100

export const LOG_FILE_NAME = 'starpunk.log'

/**
 * Entries the console's live stream can fetch back. An access line costs ~0.7 KB on the heap, so 1,000
 * keep the buffer under the spec's 1 MB; the log files hold everything else.
 */
export const DEFAULT_BUFFER_CAPACITY = 1_000

export interface LoggingOptions {
  /** Write lines here instead of stdout + files (tests). Receives the final, redacted line. */
  write?: (line: string) => void
  /** Format of the lines given to `write` (default json, so tests can parse them). */
  writeFormat?: LogFormat
  /** Write the console sink to this stream instead of process.stdout. */
  stdout?: { write(chunk: string): unknown }
  /** Turn the console sink off (benchmarks). Files and the buffer still work. */
  console?: boolean
  bufferCapacity?: number
  /** Literal values masked wherever they appear (defaults to the session secret and health token). */
  secrets?: string[]
  /** Minimum time between attempts to reopen a log file that failed (default 1 s; tests use 0). */
  fileRetryIntervalMs?: number
  /** Where the one-line notices about the log file go (default process.stderr). */
  stderr?: { write(chunk: string): unknown }
}

/** The log file's state for readiness: `enabled: false` when files are off (config or a `write` option). */
export type LogFileState = LogFileStatus & { enabled: boolean }

export interface Logging {
  logger: Logger
  buffer: LogBuffer
  context: AsyncLocalStorage<RequestContext>
  /** Run fn with a request context so every line inside carries its request ID. */
  runWithRequest<T>(ctx: RequestContext, fn: () => T): T
  /**
   * The access line of a request (message `request`) under ctx's IDs, as if logged inside
   * runWithRequest(ctx), without entering an async context (once per request: AsyncLocalStorage.run is a
   * measurable part of a cached answer). `fields` becomes the entry's own: the caller passes a fresh object
   * and does not touch it afterwards.
   */
  logAccess(ctx: RequestContext, level: LogLevel, fields: AccessLineFields): void
  /** Change the level at run time (console, benchmarks). */
  setLevel(level: LogLevel | 'OFF'): void
  readonly level: LogLevel | 'OFF'
  /** Where the current log file is (or will be, once its directory is usable), or null when files are off. */
  readonly filePath: string | null
  /** Whether log lines reach the file (no disk access). */
  fileStatus(): LogFileState
  /** Look at the disk now and try to reopen a failed file at once (readiness): the state afterwards. */
  recheckFile(): LogFileState
  /** Hand every batched line to its sink now (before a forced exit). */
  flush(): void
  /** Flush and close the files. Later lines still reach the console and the buffer. */
  close(): Promise<void>
}

/** Least time between two writes of one sink while lines keep coming (a quiet server writes at once). */
const MIN_FLUSH_INTERVAL_MS = 10
/** Bytes a sink's batch holds before it is written at once. */
const BATCH_BYTES = 65_536

/** A turn's lines are copied into the batch once they reach this many characters (at most 48 KiB of UTF-8). */
const TURN_CHARS = 16_384

/**
 * Collects lines and hands them to `sink` in one write: at the end of the event-loop turn, or, when the
 * last write was under 10 ms ago, 10 ms after it, or once 64 KiB are waiting. A burst costs a few write
 * calls instead of one a turn (what sonic-boom does for pino); a line waits at most 10 ms. A turn's lines
 * are joined as text, then copied as UTF-8 into one reused buffer in one call, so no string outlives its
 * turn and no line pays a copy of its own.
 */
class LineBatcher {
  private readonly batch = Buffer.allocUnsafe(BATCH_BYTES)
  private used = 0
  private turn = ''
  private turnScheduled = false
  private timerScheduled = false
  private lastFlush = -Infinity
  private readonly onTurnEnd = () => this.endTurn()
  private readonly onTimer = () => {
    this.timerScheduled = false
    this.flush()
  }
  /** `sink` gets a view of the batch, valid only during the call (the bytes are reused afterwards). */
  constructor(private readonly sink: (chunk: Buffer) => void) {}

  push(line: string): void {
    this.turn += `${line}\n`
    if (this.turn.length >= TURN_CHARS) this.endTurn()
    else if (!this.turnScheduled) {
      this.turnScheduled = true
      setImmediate(this.onTurnEnd)
    }
  }

  /** Everything waiting, to the sink now. */
  flush(): void {
    this.take()
    this.writeBatch()
  }

  private endTurn(): void {
    this.turnScheduled = false
    this.take()
    if (this.used === 0) return
    const wait = this.lastFlush + MIN_FLUSH_INTERVAL_MS - performance.now()
    if (wait <= 0) this.writeBatch()
    else if (!this.timerScheduled) {
      this.timerScheduled = true
      setTimeout(this.onTimer, wait)
    }
  }

  /** The turn's text into the batch (written first when it would not fit). */
  private take(): void {
    const text = this.turn
    if (text === '') return
    this.turn = ''
    // At most 3 UTF-8 bytes per UTF-16 unit.
    const room = text.length * 3
    if (room > BATCH_BYTES - this.used) {
      this.writeBatch()
      if (room > BATCH_BYTES) {
        this.lastFlush = performance.now()
        this.sink(Buffer.from(text, 'utf8'))
        return
      }
    }
    this.used += this.batch.write(text, this.used, 'utf8')
  }

  private writeBatch(): void {
    if (this.used === 0) return
    this.lastFlush = performance.now()
    const chunk = this.batch.subarray(0, this.used)
    this.used = 0
    this.sink(chunk)
  }
}

/** A fixed-size circular buffer: O(1) push, counts what fell off, never lets a listener break logging. */
export class RingBuffer implements LogBuffer {
  private readonly slots: (LogEntry | undefined)[]
  private next = 0
  private size = 0
  private readonly listeners = new Set<(entry: LogEntry) => void>()
  dropped = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('ring buffer capacity must be a positive integer')
    this.slots = new Array<LogEntry | undefined>(capacity)
  }

  push(entry: LogEntry): void {
    if (this.size === this.capacity) this.dropped++
    else this.size++
    this.slots[this.next] = entry
    this.next = (this.next + 1) % this.capacity
    for (const listener of this.listeners) {
      try {
        listener(entry)
      } catch {
        // A broken subscriber must not break the request that logged; it just misses this entry.
      }
    }
  }

  /** Up to `limit` most recent entries with seq > afterSeq, oldest first. */
  recent(limit = this.capacity, afterSeq = -1): LogEntry[] {
    const out: LogEntry[] = []
    const start = (this.next - this.size + this.capacity) % this.capacity
    for (let i = this.size - 1; i >= 0 && out.length < limit; i--) {
      const entry = this.slots[(start + i) % this.capacity] as LogEntry
      if (entry.seq <= afterSeq) break
      out.push(entry)
    }
    return out.reverse()
  }

  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  get listenerCount(): number {
    return this.listeners.size
  }
}

type LoggingConfig = Pick<Config, 'logLevel' | 'logFormat' | 'logDir'> & Partial<Pick<Config, 'logFiles' | 'sessionSecret' | 'health'>>

function openFile(config: LoggingConfig, say: (msg: string) => void, retryIntervalMs: number | undefined): RotatingFile | null {
  const files = config.logFiles ?? defaultsOf('logFiles')
  if (!files.enabled) return null
  // One line each way, no stack: the operator's terminal is where they look. The path is theirs to see here
  // (stderr is local); readiness, which can answer over HTTP, gets the code only.
  return openRotatingFile({
    dir: config.logDir,
    fileName: LOG_FILE_NAME,
    maxBytes: files.maxBytes,
    count: files.count,
    ...(retryIntervalMs !== undefined ? { retryIntervalMs } : {}),
    onError: (err) =>
      say(
        `cannot write the log file in ${config.logDir} (${err.code ?? 'error'}); logging to the console only. ` +
          'Make that path a writable directory: file logging resumes by itself, no restart needed.',
      ),
    onResume: () => say(`the log file in ${config.logDir} is writable again; file logging resumed.`),
  })
}

export function createLogging(config: LoggingConfig, options: LoggingOptions = {}): Logging {
  const context = new AsyncLocalStorage<RequestContext>()
  const buffer = new RingBuffer(options.bufferCapacity ?? DEFAULT_BUFFER_CAPACITY)
  const secrets = options.secrets ?? [config.sessionSecret, config.health?.token].filter((s): s is string => typeof s === 'string')
  const redactor = createRedactor(secrets)
  let level: LogLevel | 'OFF' = config.logLevel
  let threshold = LEVELS[config.logLevel]
  let seq = 0
  // Lines are numbered from 1 at every start: the boot id tells one start's line 5 from the next one's.
  const boot = randomBytes(6).toString('base64url')

  // Sinks. With `write`, the test owns the output, line by line: no stdout, no files, no batching.
  let file: RotatingFile | null = null
  let fileLines: LineBatcher | null = null
  let consoleLines: LineBatcher | null = null
  /** The console sink and its format, or null when there is none. */
  let consoleLine: ((line: string) => void) | null = null
  let consoleJson = true
  let detach: () => void = () => {}
  if (options.write) {
    consoleLine = options.write
    consoleJson = (options.writeFormat ?? 'json') === 'json'
  } else {
    if (options.console !== false) {
      const out = options.stdout ?? process.stdout
      consoleJson = config.logFormat === 'json'
      let consoleBroken = false
      const batch = new LineBatcher((chunk) => {
        // A string: the batch's bytes are reused, and a test's or the desktop app's stdout takes text.
        if (!consoleBroken) out.write(chunk.toString('utf8'))
      })
      consoleLines = batch
      consoleLine = (line) => batch.push(line)
      if (out === process.stdout) {
        // A closed pipe (`npm run serve | head`) must not crash the server: stop the console sink, keep files.
        const onError = () => {
          consoleBroken = true
        }
        process.stdout.on('error', onError)
        detach = () => process.stdout.off('error', onError)
      }
    }
    const stderr = options.stderr ?? process.stderr
    file = openFile(config, (msg) => stderr.write(`starpunk: ${msg}\n`), options.fileRetryIntervalMs)
    if (file) {
      const sink = file
      fileLines = new LineBatcher((chunk) => sink.write(chunk))
    }
  }
  const filePath = file ? file.path : null

  function emit(lvl: LogLevel, msg: string, bindings: LogFields | null, fields: LogFields | undefined, ctx: RequestContext | undefined): void {
    let merged: LogFields | undefined
    if (bindings || fields || ctx?.traceId) {
      merged = { ...bindings, ...fields }
      if (ctx?.traceId) merged.traceId = ctx.traceId
      // `merged` is our own copy: redact its top level in place; nested objects are copied by the walk.
      redactor.ownFields(merged)
    }
    // Keys in this order (seq, boot, time, level, msg, requestId, fields), as the formats and tests expect.
    const entry: LogEntry = { seq: ++seq, boot, time: isoNow(), level: lvl, msg: redactor.text(msg) }
    if (ctx) entry.requestId = ctx.requestId
    if (merged) entry.fields = merged
    publish(entry, formatJson, formatHuman)
  }

  /** Into the ring buffer and both sinks; the JSON line is made once when the console and the file both take it. */
  function publish(entry: LogEntry, toJson: (entry: LogEntry) => string, toHuman: (entry: LogEntry) => string): void {
    buffer.push(entry)
    const json = fileLines || (consoleLine && consoleJson) ? toJson(entry) : ''
    if (consoleLine) consoleLine(consoleJson ? json : toHuman(entry))
    if (fileLines) fileLines.push(json)
  }

  const accessMsg = redactor.text('request')

  function emitAccess(lvl: LogLevel, ctx: RequestContext, fields: AccessLineFields): void {
    // No access field is named like a secret; its strings are redacted as any field's would be.
    fields.method = redactor.text(fields.method)
    fields.path = redactor.text(fields.path)
    if (ctx.traceId) fields.traceId = redactor.text(ctx.traceId)
    const entry: LogEntry = { seq: ++seq, boot, time: isoNow(), level: lvl, msg: accessMsg, requestId: ctx.requestId, fields: fields as unknown as LogFields }
    publish(entry, formatJsonAccess, formatHumanAccess)
  }

  function make(bindings: LogFields | null): Logger {
    const log = (lvl: LogLevel) => (msg: string, fields?: LogFields) => {
      if (LEVELS[lvl] < threshold) return
      emit(lvl, msg, bindings, fields, context.getStore())
    }
    return {
      debug: log('DEBUG'),
      info: log('INFO'),
      warn: log('WARNING'),
      error: log('ERROR'),
      critical: log('CRITICAL'),
      child: (more) => make({ ...bindings, ...more }),
      isLevelEnabled: (lvl) => LEVELS[lvl] >= threshold,
    }
  }

  return {
    logger: make(null),
    buffer,
    context,
    runWithRequest: (ctx, fn) => context.run(ctx, fn),
    logAccess(ctx, lvl, fields) {
      if (LEVELS[lvl] < threshold) return
      emitAccess(lvl, ctx, fields)
    },
    setLevel(next) {
      level = next
      threshold = next === 'OFF' ? LEVEL_OFF : LEVELS[next]
    },
    get level() {
      return level
    },
    filePath,
    fileStatus: () => (file ? { enabled: true, ...file.status() } : { enabled: false, ok: true }),
    recheckFile: () => (file ? { enabled: true, ...file.recheck() } : { enabled: false, ok: true }),
    flush() {
      consoleLines?.flush()
      fileLines?.flush()
    },
    async close() {
      consoleLines?.flush()
      fileLines?.flush()
      detach()
      file?.close()
      file = null
      fileLines = null
    },
  }
}
