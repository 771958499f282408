// PLACEHOLDER implementation (skeleton): the logging helper replaces the internals (pino, rotation,
// redaction, human format) and keeps this module's exported API.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { LogEntry, LogLevel } from '../../../shared/contract'
import type { Config } from '../config/types'
import type { LogBuffer, LogFields, Logger, RequestContext } from './types'

const LEVELS: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 }

export interface LoggingOptions {
  /** Write lines here instead of stdout + files (tests). */
  write?: (line: string) => void
  bufferCapacity?: number
}

export interface Logging {
  logger: Logger
  buffer: LogBuffer
  context: AsyncLocalStorage<RequestContext>
  /** Run fn with a request context so every line inside carries its request ID. */
  runWithRequest<T>(ctx: RequestContext, fn: () => T): T
  close(): Promise<void>
}

class RingBuffer implements LogBuffer {
  private entries: LogEntry[] = []
  private listeners = new Set<(entry: LogEntry) => void>()
  dropped = 0
  constructor(readonly capacity: number) {}
  push(entry: LogEntry): void {
    this.entries.push(entry)
    if (this.entries.length > this.capacity) {
      this.entries.shift()
      this.dropped++
    }
    for (const listener of this.listeners) listener(entry)
  }
  recent(limit = this.capacity, afterSeq = -1): LogEntry[] {
    const after = this.entries.filter((e) => e.seq > afterSeq)
    return after.slice(Math.max(0, after.length - limit))
  }
  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

export function createLogging(config: Pick<Config, 'logLevel' | 'logFormat' | 'logDir'>, options: LoggingOptions = {}): Logging {
  const context = new AsyncLocalStorage<RequestContext>()
  const buffer = new RingBuffer(options.bufferCapacity ?? 10_000)
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'))
  let seq = 0
  const threshold = LEVELS[config.logLevel]

  function make(bindings: LogFields): Logger {
    const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
      if (LEVELS[level] < threshold) return
      const ctx = context.getStore()
      const entry: LogEntry = {
        seq: ++seq,
        time: new Date().toISOString(),
        level,
        msg,
        ...(ctx ? { requestId: ctx.requestId } : {}),
        fields: { ...bindings, ...fields },
      }
      buffer.push(entry)
      write(JSON.stringify(entry))
    }
    return {
      debug: (m, f) => log('DEBUG', m, f),
      info: (m, f) => log('INFO', m, f),
      warn: (m, f) => log('WARNING', m, f),
      error: (m, f) => log('ERROR', m, f),
      critical: (m, f) => log('CRITICAL', m, f),
      child: (more) => make({ ...bindings, ...more }),
      isLevelEnabled: (level) => LEVELS[level] >= threshold,
    }
  }

  return {
    logger: make({}),
    buffer,
    context,
    runWithRequest: (ctx, fn) => context.run(ctx, fn),
    close: async () => {},
  }
}
