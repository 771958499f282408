import { z } from 'zod'
import {
  isCallName,
  type CallName,
  type ConfigView,
  type ContractEvents,
  type EventName,
  type HealthReport,
  type LogEntry,
  type Result,
} from '../../../shared/contract'
import type { ErrorInfo } from '../../../shared/errors'
import { SECRET_MASK } from '../config'
import { AppError, appError, toAppError } from '../errors'
import type { ServerContext } from '../context'
import type { CallHandlers, ConsoleHost, ConsoleService, PushedEvent } from './types'

export interface ConsoleServiceOptions {
  /** How often pool stats are pushed (ms). */
  poolIntervalMs?: number
  /** How often readiness is polled; a change is pushed (ms). */
  healthIntervalMs?: number
  /** Log entries are batched for this long before being pushed (ms). */
  logBatchMs?: number
  /** Most log entries in one batch; more wait for the next tick. */
  maxLogBatch?: number
  /** Most log entries waiting to be pushed; beyond that the oldest are counted as dropped. */
  maxPendingLogs?: number
  /** Pushed events held for SSE resume. */
  eventHistory?: number
}


const valuesSchema = z.object({ values: z.record(z.string(), z.string().max(10_000)) }).strict()
const requestSchemas: { [N in CallName]: z.ZodType } = {
  'server:snapshot': z.undefined().or(z.null()).or(z.object({}).strict()),
  'server:status': z.undefined().or(z.null()).or(z.object({}).strict()),
  'pool:stats': z.undefined().or(z.null()).or(z.object({}).strict()),
  'health:get': z.undefined().or(z.null()).or(z.object({}).strict()),
  'config:get': z.undefined().or(z.null()).or(z.object({}).strict()),
  'config:validate': valuesSchema,
  'config:save': valuesSchema,
  'logs:recent': z
    .object({ limit: z.number().int().min(1).max(10_000).optional(), afterSeq: z.number().int().min(-1).optional() })
    .strict()
    .or(z.undefined())
    .or(z.null()),
  'server:restart': z.undefined().or(z.null()).or(z.object({}).strict()),
  'server:stop': z.undefined().or(z.null()).or(z.object({}).strict()),
  'server:start': z.undefined().or(z.null()).or(z.object({}).strict()),
  'link:open': z.object({ target: z.enum(['blog', 'admin']) }).strict(),
}

/** The auth capability, as far as the console needs it (optional until every host wires auth). */
interface LoginLinkIssuer {
  issueLoginLink(): Promise<string>
}

function ok<T>(data: T): Result<T> {
  return { ok: true, data }
}

function fail(error: unknown): { ok: false; error: ErrorInfo } {
  return { ok: false, error: toAppError(error).info }
}

/** The console's one implementation of every contract call, plus its pushed events, over a host. */
export function createConsoleService(host: ConsoleHost, options: ConsoleServiceOptions = {}): ConsoleService {
  const poolIntervalMs = options.poolIntervalMs ?? 1000
  const healthIntervalMs = options.healthIntervalMs ?? 3000
  const logBatchMs = options.logBatchMs ?? 250
  const maxLogBatch = options.maxLogBatch ?? 1000
  const historySize = options.eventHistory ?? 500
  const maxPending = options.maxPendingLogs ?? 10_000

  const listeners = new Set<(event: PushedEvent) => void>()
  const history: PushedEvent[] = []
  let nextId = 1
  let closed = false

  function push<E extends EventName>(name: E, payload: ContractEvents[E]): void {
    const event = { id: nextId++, name, payload } as PushedEvent
    history.push(event)
    if (history.length > historySize) history.shift()
    for (const listener of listeners) {
      try {
        listener(event)
      } catch {
        // A broken listener (e.g. a closed stream) must not stop the others.
      }
    }
  }

  function requireContext(what: string): ServerContext {
    const ctx = host.context()
    if (!ctx) throw appError('SERVER_NOT_RUNNING', { vars: { what } })
    return ctx
  }

  function configView(): ConfigView {
    const loaded = host.loaded()
    return {
      fields: loaded.fields.map((field) => (field.secret && field.value ? { ...field, value: SECRET_MASK } : field)),
      problems: loaded.problems,
      filePath: loaded.filePath,
    }
  }

  /** Drop masked secrets sent back unchanged, so a save never overwrites a secret with the mask. */
  function editedValues(values: Record<string, string>): Record<string, string> {
    const secretNames = new Set(host.loaded().fields.filter((f) => f.secret).map((f) => f.name))
    return Object.fromEntries(Object.entries(values).filter(([name, value]) => !(secretNames.has(name) && value === SECRET_MASK)))
  }

  function recentLogs(limit: number, afterSeq: number): { entries: LogEntry[]; dropped: number } {
    const ctx = host.context()
    if (!ctx) return { entries: [], dropped: 0 }
    return { entries: ctx.logging.buffer.recent(limit, afterSeq), dropped: ctx.logging.buffer.dropped }
  }

  async function lifecycle(action: 'start' | 'stop' | 'restart') {
    if (!host.supervised) throw appError('CONSOLE_ACTION_UNAVAILABLE', { vars: { action } })
    return host[action]()
  }

  const handlers: CallHandlers = {
    'server:snapshot': async () => {
      const ctx = host.context()
      return ok({
        status: host.status(),
        pool: ctx ? ctx.db.stats() : null,
        health: ctx ? ctx.health.last() : null,
        config: configView(),
        logs: recentLogs(2000, -1).entries,
      })
    },
    'server:status': async () => ok(host.status()),
    'pool:stats': async () => {
      const ctx = host.context()
      return ok(ctx ? ctx.db.stats() : null)
    },
    'health:get': async () => ok(await requireContext('the health report').health.readiness(true)),
    'config:get': async () => ok(configView()),
    'config:validate': async ({ values }) => ok({ problems: host.validate(editedValues(values)) }),
    'config:save': async ({ values }) => {
      // The config module keeps a file secret sent back as the mask, so save gets the values unfiltered.
      const result = await host.save(values)
      if (result.problems.length > 0) push('config:problems', { problems: result.problems })
      return ok(result)
    },
    'logs:recent': async (request) => ok(recentLogs(request?.limit ?? 1000, request?.afterSeq ?? -1)),
    'server:restart': async () => ok(await lifecycle('restart')),
    'server:stop': async () => ok(await lifecycle('stop')),
    'server:start': async () => ok(await lifecycle('start')),
    'link:open': async ({ target }) => {
      const ctx = requireContext('opening the blog')
      const url = host.status().url
      if (!url) throw appError('SERVER_NOT_RUNNING', { vars: { what: 'opening the blog' } })
      if (target === 'blog') return ok({ url: `${url}/` })
      const auth = (ctx as Partial<{ auth: LoginLinkIssuer }>).auth
      // Without the auth capability there is no one-time link: the login page is the next best thing.
      return ok({ url: auth ? await auth.issueLoginLink() : `${url}/admin/login` })
    },
  }

  async function call(name: unknown, request: unknown): Promise<Result<unknown>> {
    if (!isCallName(name)) return fail(appError('BAD_REQUEST', { vars: { detail: 'there is no console call by that name.' } }))
    const parsed = requestSchemas[name].safeParse(request)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = issue && issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : ''
      return fail(appError('BAD_REQUEST', { vars: { detail: `the payload of ${name} is invalid${where}.` } }))
    }
    try {
      // The schema table above guarantees the payload matches this call's request type.
      const handler = handlers[name] as (req: unknown) => Promise<Result<unknown>>
      return await handler(parsed.data)
    } catch (err) {
      if (!(err instanceof AppError)) {
        host.context()?.logger.error('console call failed', { call: name, cause: err instanceof Error ? err.message : String(err) })
      }
      return fail(err)
    }
  }

  // --- pushed events: run only while someone listens ---------------------------------------------
  let timers: NodeJS.Timeout[] = []
  let unbindLogs: (() => void) | null = null
  let unbindStatus: (() => void) | null = null
  let boundContext: ServerContext | null = null
  let pendingLogs: LogEntry[] = []
  let pendingDropped = 0
  let lastHealthSignature = ''
  let lastProblemsSignature = ''
  let healthPolling = false

  function bindLogs(): void {
    const ctx = host.context()
    if (ctx === boundContext) return
    unbindLogs?.()
    unbindLogs = null
    boundContext = ctx
    if (!ctx) return
    unbindLogs = ctx.logging.buffer.subscribe((entry) => {
      pendingLogs.push(entry)
      // Bounded: beyond what a client holds anyway, the oldest waiting entries are counted, not kept
      // (trimmed in one splice once twice over, not one shift per line).
      if (pendingLogs.length > 2 * maxPending) {
        const excess = pendingLogs.length - maxPending
        pendingLogs.splice(0, excess)
        pendingDropped += excess
      }
    })
  }

  /** At most maxLogBatch entries per tick; a burst drains over the next ticks instead of one huge message. */
  function flushLogs(): void {
    if (pendingLogs.length === 0 && pendingDropped === 0) return
    const entries = pendingLogs.length > maxLogBatch ? pendingLogs.splice(0, maxLogBatch) : pendingLogs
    if (entries === pendingLogs) pendingLogs = []
    const dropped = pendingDropped
    pendingDropped = 0
    push('logs:batch', { entries, dropped })
  }

  function healthSignature(report: HealthReport): string {
    const checks = Object.entries(report.checks ?? {}).map(([key, list]) => `${key}=${list.map((c) => c.status).join(',')}`)
    return `${report.status}|${checks.sort().join(';')}`
  }

  async function pollHealth(): Promise<void> {
    const ctx = host.context()
    if (!ctx || healthPolling) return
    healthPolling = true
    try {
      const report = await ctx.health.readiness(true)
      const signature = healthSignature(report)
      if (signature !== lastHealthSignature) {
        lastHealthSignature = signature
        push('health:changed', report)
      }
    } catch (err) {
      ctx.logger.warn('console health poll failed', { cause: err instanceof Error ? err.message : String(err) })
    } finally {
      healthPolling = false
    }
  }

  function pushProblemsIfChanged(): void {
    const problems = host.loaded().problems
    const signature = JSON.stringify(problems.map((p) => [p.code, p.message]))
    if (signature === lastProblemsSignature) return
    lastProblemsSignature = signature
    push('config:problems', { problems })
  }

  function startTimers(): void {
    bindLogs()
    lastHealthSignature = ''
    unbindStatus = host.onStatus((status) => {
      bindLogs()
      push('server:status', status)
      pushProblemsIfChanged()
      if (status.state === 'running') {
        lastHealthSignature = ''
        void pollHealth()
      }
    })
    const poolTimer = setInterval(() => {
      const ctx = host.context()
      if (ctx) push('pool:stats', ctx.db.stats())
    }, poolIntervalMs)
    const healthTimer = setInterval(() => void pollHealth(), healthIntervalMs)
    const logTimer = setInterval(flushLogs, logBatchMs)
    timers = [poolTimer, healthTimer, logTimer]
    for (const timer of timers) timer.unref()
    void pollHealth()
  }

  function stopTimers(): void {
    for (const timer of timers) clearInterval(timer)
    timers = []
    unbindLogs?.()
    unbindLogs = null
    boundContext = null
    unbindStatus?.()
    unbindStatus = null
    pendingLogs = []
    pendingDropped = 0
  }

  return {
    handlers,
    get supervised() {
      return host.supervised
    },
    call,
    subscribe(listener) {
      if (closed) return () => {}
      listeners.add(listener)
      if (listeners.size === 1) startTimers()
      return () => {
        if (!listeners.delete(listener)) return
        if (listeners.size === 0) stopTimers()
      }
    },
    eventsSince(afterId) {
      const events = history.filter((e) => e.id > afterId)
      const oldest = history[0]?.id ?? nextId
      return { events, complete: afterId >= oldest - 1 }
    },
    close() {
      closed = true
      listeners.clear()
      stopTimers()
    },
  }
}
