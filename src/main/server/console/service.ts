import {
  MONITORING_RANGES,
  UPTIME_WINDOWS,
  isCallName,
  parseCallRequest,
  type CallName,
  type CallPayload,
  type CallRequest,
  type CallResponse,
  type ConfigView,
  type EventName,
  type EventPayload,
  type HealthReport,
  type LifecycleAccepted,
  type LifecycleAction,
  type LogEntry,
  type MonitoringRange,
  type Result,
} from '../../../shared/contract'
import type { ErrorInfo } from '../../../shared/errors'
import { SECRET_MASK, checkConsoleEdits } from '../config'
import { AppError, appError, toAppError } from '../errors'
import { EVENT_TYPES } from '../metrics'
import type { BackupPort, CallHandlers, CallOptions, ConsoleHost, ConsolePort, ConsoleService, MonitoringPort, PushedEvent } from './types'

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

  function push<E extends EventName>(name: E, payload: EventPayload<E>): void {
    // TypeScript cannot pair a generic name with its payload inside the union; push's signature does.
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

  function requireServer(what: string): ConsolePort {
    const ctx = host.running()
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

  /** The console's own rules (config/console-edits.ts), against what the config file holds now. */
  function consoleEdits(values: Record<string, string>, confirmed: boolean) {
    const fileValues = Object.fromEntries(host.loaded().fields.filter((f) => f.source === 'file').map((f) => [f.name, f.value]))
    return checkConsoleEdits(values, { fileValues, confirmed })
  }

  /** Drop masked secrets sent back unchanged, so a save never overwrites a secret with the mask. */
  function editedValues(values: Record<string, string>): Record<string, string> {
    const secretNames = new Set(host.loaded().fields.filter((f) => f.secret).map((f) => f.name))
    return Object.fromEntries(Object.entries(values).filter(([name, value]) => !(secretNames.has(name) && value === SECRET_MASK)))
  }

  function recentLogs(limit: number, afterSeq: number): { entries: LogEntry[]; dropped: number } {
    const ctx = host.running()
    if (!ctx) return { entries: [], dropped: 0 }
    return { entries: ctx.logs.recent(limit, afterSeq), dropped: ctx.logs.dropped }
  }

  /**
   * Accept a lifecycle action and answer at once, the same on every transport; the outcome arrives as
   * `server:status` events (the supervisor runs actions one at a time, in order).
   */
  function lifecycle(action: LifecycleAction, options: CallOptions): Result<LifecycleAccepted> {
    if (!host.supervised) throw appError('CONSOLE_ACTION_UNAVAILABLE', { vars: { action } })
    const status = host.status()
    const run = () => {
      host[action]().catch((err: unknown) => host.running()?.logger.error('console action failed', { action, err }))
    }
    ;(options.schedule ?? ((act: () => void) => act()))(run)
    return ok({ accepted: action, status })
  }

  /** The page a link target names, on the address the server listens on (no sign-in token: see issueLoginLink). */
  function linkUrl(target: 'blog' | 'admin'): string {
    const url = host.status().url
    if (!url || !host.running()) throw appError('SERVER_NOT_RUNNING', { vars: { what: 'opening the blog' } })
    return target === 'blog' ? `${url}/` : `${url}/admin/`
  }

  /**
   * Read the monitoring history of the running server. A server without monitoring, or a history that
   * cannot be read (metrics.db unreachable), answers MONITORING_UNAVAILABLE: never a crash, never a path.
   */
  function readMonitoring<T>(read: (monitoring: MonitoringPort, now: number) => T): T {
    const monitoring = requireServer('the monitoring history').monitoring
    if (!monitoring) throw appError('MONITORING_UNAVAILABLE', { vars: { reason: 'this server runs without monitoring' } })
    try {
      return read(monitoring, Date.now())
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code
      throw appError('MONITORING_UNAVAILABLE', { vars: { reason: typeof code === 'string' ? code : 'the history file cannot be opened' } })
    }
  }

  function backupsOf(): BackupPort {
    const backups = requireServer('backups').backups
    if (!backups) throw appError('CONSOLE_ACTION_UNAVAILABLE', { vars: { action: 'back up' }, suggestion: 'Run `npm run backup -- FILE` in a terminal instead.' })
    return backups
  }

  const rangeStart = (range: MonitoringRange, now: number) => now - MONITORING_RANGES[range]

  const handlers: CallHandlers = {
    'server:snapshot': async () => {
      const ctx = host.running()
      return ok({
        status: host.status(),
        pool: ctx ? ctx.poolStats() : null,
        health: ctx ? ctx.lastHealth() : null,
        config: configView(),
        logs: recentLogs(2000, -1).entries,
      })
    },
    'server:status': async () => ok(host.status()),
    'pool:stats': async () => {
      const ctx = host.running()
      return ok(ctx ? ctx.poolStats() : null)
    },
    'health:get': async () => ok(await requireServer('the health report').readiness()),
    'config:get': async () => ok(configView()),
    'config:validate': async ({ values }) => {
      const check = consoleEdits(values, false)
      return ok({ problems: [...check.problems, ...host.validate(editedValues(check.allowed))] })
    },
    'config:save': async ({ values, confirm }) => {
      const check = consoleEdits(values, confirm === true)
      const validation = check.problems.length > 0 ? [...check.problems, ...host.validate(editedValues(check.allowed))] : []
      if (validation.length > 0) return ok({ problems: validation, saved: false })
      // Nothing is written until the person has confirmed a listen address other machines can reach.
      if (check.confirmation) return ok({ problems: [], saved: false, confirmation: check.confirmation })
      // The config module keeps a file secret sent back as the mask, so save gets the values unfiltered.
      const result = await host.save(check.allowed)
      if (result.problems.length > 0) push('config:problems', { problems: result.problems })
      return ok(result)
    },
    'logs:recent': async (request) => ok(recentLogs(request?.limit ?? 1000, request?.afterSeq ?? -1)),
    'server:restart': async (_request, options) => lifecycle('restart', options),
    'server:stop': async (_request, options) => lifecycle('stop', options),
    'server:start': async (_request, options) => lifecycle('start', options),
    // Resolves the page only; opening it is the transport's effect (the desktop shell, or the browser).
    'link:open': async ({ target }) => ok({ url: linkUrl(target) }),
    'backup:run': async () => ok(await backupsOf().runNow()),
    'backup:status': async () => ok(await backupsOf().status()),
    'metrics:traffic': async ({ range }) =>
      ok(
        readMonitoring((m, now) => {
          const result = m.traffic({ from: rangeStart(range, now), to: now })
          return {
            range,
            from: result.from,
            to: result.to,
            stepMs: result.stepMs,
            resolutionSeconds: result.resolutionSeconds,
            buckets: result.buckets.map((b) => ({ time: b.time, sampledSeconds: b.sampledSeconds, total: b.total, groups: b.groups })),
            slowest: result.slowest,
          }
        }),
      ),
    'metrics:health': async ({ range }) =>
      ok(
        readMonitoring((m, now) => {
          const from = rangeStart(range, now)
          // One cell per sample; the bar shows the newest 90 of the range (about 45 minutes at 30 s).
          const beats = m.heartbeats({ from, to: now, limit: 90 })
          const uptimes = Object.fromEntries(UPTIME_WINDOWS.map((w) => [w, m.uptime({ from: rangeStart(w, now), to: now })]))
          const names = new Set([...Object.keys(beats), ...Object.keys(uptimes['30d'] ?? {})])
          const none = { upMs: 0, degradedMs: 0, downMs: 0, noDataMs: 0, percent: null }
          const components = [...names]
            .sort((a, b) => (a === 'overall' ? -1 : b === 'overall' ? 1 : a.localeCompare(b)))
            .map((name) => ({
              name,
              heartbeats: beats[name] ?? [],
              uptime: { '24h': uptimes['24h']?.[name] ?? none, '7d': uptimes['7d']?.[name] ?? none, '30d': uptimes['30d']?.[name] ?? none },
            }))
          return { range, components, incidents: m.incidents({ from, to: now, limit: 100 }) }
        }),
      ),
    'metrics:events': async ({ range, types }) =>
      ok(
        readMonitoring((m, now) => ({
          events: m.events({ from: rangeStart(range, now), to: now, ...(types && types.length > 0 ? { types } : {}), limit: 500 }),
          types: [...EVENT_TYPES],
        })),
      ),
    'site:export': async ({ target }) => {
      const exporter = requireServer('exporting the site').siteExport
      if (!exporter || !exporter.status().targets.includes(target)) {
        return fail(appError('SITE_EXPORT_UNAVAILABLE', { vars: { target: target === 'mirror' ? 'a mirror directory' : 'the data directory' } }))
      }
      const outcome = await exporter.run(target)
      return outcome.ok ? ok(outcome) : fail(appError('SITE_EXPORT_FAILED', { vars: { reason: outcome.message } }))
    },
    'site:export-status': async () => {
      const exporter = requireServer('exporting the site').siteExport
      return ok(exporter ? exporter.status() : { running: false, target: null, progress: null, last: null, targets: [] })
    },
  }

  async function run<N extends CallName>(name: N, request: unknown, options: CallOptions): Promise<Result<CallResponse<N>>> {
    const parsed = parseCallRequest(name, request)
    if (!parsed.ok) return fail(appError('BAD_REQUEST', { vars: { detail: parsed.detail } }))
    try {
      // handlers[name] is the handler of this very call: the mapped type pairs them, the index loses it.
      const handler = handlers[name] as unknown as (req: CallPayload<N>, options: CallOptions) => Promise<Result<CallResponse<N>>>
      return await handler(parsed.data, options)
    } catch (err) {
      if (!(err instanceof AppError)) host.running()?.logger.error('console call failed', { call: name, err })
      return fail(err)
    }
  }

  async function issueLoginLink(): Promise<Result<{ url: string }>> {
    try {
      return ok({ url: await requireServer('signing in').issueLoginLink() })
    } catch (err) {
      if (!(err instanceof AppError)) host.running()?.logger.error('login link failed', { err })
      return fail(err)
    }
  }

  function blogOrigins(): string[] {
    const ctx = host.running()
    const url = host.status().url
    if (!ctx || !url) return []
    const origins = new Set([new URL(url).origin])
    try {
      origins.add(new URL(ctx.siteUrl).origin)
    } catch {
      // An unparsable site URL is a configuration problem shown elsewhere; the listening address still counts.
    }
    return [...origins]
  }

  // --- pushed events: run only while someone listens ---------------------------------------------
  let timers: NodeJS.Timeout[] = []
  let unbindLogs: (() => void) | null = null
  let unbindAlerts: (() => void) | null = null
  let unbindExport: (() => void) | null = null
  let unbindMentions: (() => void) | null = null
  let unbindStatus: (() => void) | null = null
  let boundServer: ConsolePort | null = null
  let pendingLogs: LogEntry[] = []
  let pendingDropped = 0
  let lastHealthSignature = ''
  let lastProblemsSignature = ''
  let healthPolling = false

  function bindLogs(): void {
    const ctx = host.running()
    if (ctx === boundServer) return
    unbindLogs?.()
    unbindLogs = null
    unbindAlerts?.()
    unbindAlerts = null
    unbindExport?.()
    unbindExport = null
    unbindMentions?.()
    unbindMentions = null
    boundServer = ctx
    if (!ctx) return
    // The server's own alert decision (held for STARPUNK_ALERT_SAMPLES samples), so a browser console
    // alerts on exactly what the desktop app does.
    unbindAlerts = ctx.onAlert?.((alert) => push('health:alert', { ...alert, time: Date.now() })) ?? null
    unbindExport = ctx.siteExport?.onStatus((status) => push('site:export', status)) ?? null
    unbindMentions = ctx.onWebmention?.((event) => push('webmention:received', event)) ?? null
    unbindLogs = ctx.logs.subscribe((entry) => {
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
    const ctx = host.running()
    if (!ctx || healthPolling) return
    healthPolling = true
    try {
      const report = await ctx.readiness()
      const signature = healthSignature(report)
      if (signature !== lastHealthSignature) {
        lastHealthSignature = signature
        push('health:changed', report)
      }
    } catch (err) {
      ctx.logger.warn('console health poll failed', { err })
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
      pushProblemsIfChanged()
      if (status.state === 'running') {
        lastHealthSignature = ''
        void pollHealth()
      }
    })
    const poolTimer = setInterval(() => {
      const ctx = host.running()
      if (ctx) push('pool:stats', ctx.poolStats())
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
    unbindAlerts?.()
    unbindAlerts = null
    unbindExport?.()
    unbindExport = null
    unbindMentions?.()
    unbindMentions = null
    boundServer = null
    unbindStatus?.()
    unbindStatus = null
    pendingLogs = []
    pendingDropped = 0
  }

  // Status changes are kept for resume even while nobody listens: a browser console is cut off by the
  // very restart it asked for, and learns how it ended from these when it reconnects (Last-Event-ID).
  const unbindStatusHistory = host.onStatus((status) => {
    if (!closed) push('server:status', status)
  })

  return {
    get supervised() {
      return host.supervised
    },
    call: <N extends CallName>(name: N, request: CallRequest<N>, options: CallOptions = {}) => run(name, request, options),
    dispatch(name, request, options = {}) {
      if (!isCallName(name)) return Promise.resolve(fail(appError('BAD_REQUEST', { vars: { detail: 'there is no console call by that name.' } })))
      return run(name, request, options)
    },
    issueLoginLink,
    blogOrigins,
    subscribe(listener) {
      if (closed) return () => {}
      listeners.add(listener)
      if (listeners.size === 1) startTimers()
      return () => {
        if (!listeners.delete(listener)) return
        if (listeners.size === 0) stopTimers()
      }
    },
    lastEventId: () => nextId - 1,
    eventsSince(afterId) {
      const events = history.filter((e) => e.id > afterId)
      const oldest = history[0]?.id ?? nextId
      return { events, complete: afterId >= oldest - 1 }
    },
    close() {
      closed = true
      listeners.clear()
      stopTimers()
      unbindStatusHistory()
    },
  }
}
