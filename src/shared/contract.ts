/**
 * The one contract between the server core (main), the preload bridge and the renderer.
 * Two transports carry it: Electron IPC (desktop) and HTTP + Server-Sent Events under /admin/console
 * (browser, when the server runs headless). Each call and each pushed event is defined once below, as a
 * zod schema; the TypeScript types, the name lists and the server's validation of requests all derive
 * from these two tables, so a call has one name, one payload type and one result type everywhere.
 */
import { z } from 'zod'
import type { ErrorInfo, Result } from './errors'

export type { ErrorInfo, Result }

// --- the shapes the calls and events carry ---------------------------------------------------------

export const errorInfoSchema: z.ZodType<ErrorInfo> = z.object({
  code: z.string(),
  message: z.string(),
  suggestion: z.string(),
  details: z.string().optional(),
  troubleshooting: z.array(z.string()),
})

export const logLevelSchema = z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'])
export type LogLevel = z.output<typeof logLevelSchema>

export const healthStatusSchema = z.enum(['pass', 'warn', 'fail'])
export type HealthStatus = z.output<typeof healthStatusSchema>

export const logEntrySchema = z.object({
  /** Monotonic sequence number within one server start; lets clients resume and detect gaps. */
  seq: z.number().int(),
  /**
   * Which server start wrote the line. A restarted server numbers its lines from 1 again, so a line is
   * identified by boot and seq together.
   */
  boot: z.string(),
  time: z.string(),
  level: logLevelSchema,
  msg: z.string(),
  requestId: z.string().optional(),
  /** Any further structured fields, already redacted. */
  fields: z.record(z.string(), z.unknown()).optional(),
})
export type LogEntry = z.output<typeof logEntrySchema>

export const poolStatsSchema = z.object({
  size: z.number(),
  active: z.number(),
  idle: z.number(),
  waiting: z.number(),
  acquired: z.number(),
  released: z.number(),
  created: z.number(),
  timeouts: z.number(),
  /** Time spent waiting for a connection, ms: waits that got one and waits that timed out. */
  totalWaitMs: z.number(),
  maxWaitMs: z.number(),
  /** Mean wait per acquisition attempt that ended (granted or timed out), ms. */
  meanWaitMs: z.number(),
  /** Epoch ms the snapshot was taken. */
  at: z.number(),
})
export type PoolStats = z.output<typeof poolStatsSchema>

/** One component check, after the IETF health-check draft (keys are `component:measurement`). */
export const healthCheckSchema = z.object({
  componentType: z.string().optional(),
  observedValue: z.union([z.string(), z.number(), z.boolean()]).optional(),
  observedUnit: z.string().optional(),
  status: healthStatusSchema,
  time: z.string(),
  output: z.string().optional(),
})
export type HealthCheck = z.output<typeof healthCheckSchema>

/**
 * Readiness held a new status for STARPUNK_ALERT_SAMPLES samples: the server's own decision (decideAlert),
 * pushed so the browser console alerts on exactly what the desktop app does. `time`: when it was decided.
 */
export const healthAlertSchema = z.object({
  from: healthStatusSchema,
  to: healthStatusSchema,
  kind: z.enum(['degraded', 'down', 'recovered']),
  time: z.number(),
})

export const healthReportSchema = z.object({
  status: healthStatusSchema,
  version: z.string().optional(),
  releaseId: z.string().optional(),
  description: z.string().optional(),
  uptimeSeconds: z.number().optional(),
  checks: z.record(z.string(), z.array(healthCheckSchema)).optional(),
})
export type HealthReport = z.output<typeof healthReportSchema>

export const serverStatusSchema = z.object({
  state: z.enum(['starting', 'running', 'stopped', 'failed']),
  url: z.string().nullable(),
  version: z.string(),
  startedAt: z.string().nullable(),
  uptimeSeconds: z.number(),
  dataDir: z.string(),
  searchEngine: z.enum(['fts5', 'like', 'disabled']).nullable(),
  /** Set when state is 'failed' (e.g. port in use). */
  error: errorInfoSchema.optional(),
  /** Whether start/stop/restart work from the console (false for a server the plain CLI started). */
  controllable: z.boolean().optional(),
})
export type ServerStatus = z.output<typeof serverStatusSchema>

export const configFieldSchema = z.object({
  /** Environment variable name, e.g. STARPUNK_PORT. */
  name: z.string(),
  value: z.string(),
  default: z.string(),
  description: z.string(),
  secret: z.boolean(),
  /** Only an environment variable may set it: the console shows it read-only. */
  envOnly: z.boolean(),
  source: z.enum(['env', 'file', 'default', 'generated']),
})
export type ConfigField = z.output<typeof configFieldSchema>

export const configViewSchema = z.object({
  fields: z.array(configFieldSchema),
  problems: z.array(errorInfoSchema),
  /** Where the optional config file lives. */
  filePath: z.string(),
})
export type ConfigView = z.output<typeof configViewSchema>

export const snapshotSchema = z.object({
  status: serverStatusSchema,
  pool: poolStatsSchema.nullable(),
  health: healthReportSchema.nullable(),
  config: configViewSchema,
  logs: z.array(logEntrySchema),
})
export type Snapshot = z.output<typeof snapshotSchema>

export const logsBatchSchema = z.object({ entries: z.array(logEntrySchema), dropped: z.number().int() })
export type LogsBatch = z.output<typeof logsBatchSchema>

export const lifecycleActionSchema = z.enum(['start', 'stop', 'restart'])
export type LifecycleAction = z.output<typeof lifecycleActionSchema>

/**
 * What start, stop and restart answer at once, on both transports: the action was accepted, and the
 * status at that moment. The outcome (running, stopped, failed) arrives later as a `server:status` event.
 */
export const lifecycleAcceptedSchema = z.object({ accepted: lifecycleActionSchema, status: serverStatusSchema })
export type LifecycleAccepted = z.output<typeof lifecycleAcceptedSchema>

export const linkTargetSchema = z.enum(['blog', 'admin'])
export type LinkTarget = z.output<typeof linkTargetSchema>

// --- backups (into <data dir>/backups) --------------------------------------------------------

export const backupInfoSchema = z.object({
  /** The archive's file name in <data dir>/backups. */
  file: z.string(),
  /** When it was taken, ISO 8601. */
  createdAt: z.string(),
  bytes: z.number(),
})
export type BackupInfo = z.output<typeof backupInfoSchema>

export const backupStatusSchema = z.object({
  running: z.boolean(),
  /** The newest archive in <data dir>/backups; null when there is none. */
  last: backupInfoSchema.nullable(),
  count: z.number().int(),
  /** How many are kept (STARPUNK_BACKUP_KEEP). */
  keep: z.number().int(),
})
export type BackupStatus = z.output<typeof backupStatusSchema>

// --- monitoring history (read from <data dir>/metrics.db) -----------------------------------------

/** The ranges the console's range picker offers, and how long each is. */
export const MONITORING_RANGES = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const
export const monitoringRangeSchema = z.enum(['15m', '1h', '24h', '7d', '30d'])
export type MonitoringRange = z.output<typeof monitoringRangeSchema>

/** Requests in one bucket (or a whole range): rates per sampled second, latency quantiles in ms. */
export const seriesStatsSchema = z.object({
  requests: z.number(),
  rps: z.number(),
  serverErrors: z.number(),
  clientErrors: z.number(),
  /** 5xx / requests; null without requests. */
  errorRate: z.number().nullable(),
  bytes: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
})
export type SeriesStats = z.output<typeof seriesStatsSchema>

export const trafficBucketSchema = z.object({
  /** Bucket start, epoch ms. */
  time: z.number(),
  /** Seconds sampled; null for a gap (the app was off, or the data is lost): drawn as a gap, never as zero. */
  sampledSeconds: z.number().nullable(),
  total: seriesStatsSchema.nullable(),
  /** By route group; {} for a sampled bucket without requests, null for a gap. */
  groups: z.record(z.string(), seriesStatsSchema).nullable(),
})
export type TrafficBucket = z.output<typeof trafficBucketSchema>

export const trafficViewSchema = z.object({
  range: monitoringRangeSchema,
  from: z.number(),
  to: z.number(),
  stepMs: z.number(),
  resolutionSeconds: z.number(),
  buckets: z.array(trafficBucketSchema),
  /** Route groups over the whole range, slowest p95 first. */
  slowest: z.array(seriesStatsSchema.extend({ group: z.string() })),
})
export type TrafficView = z.output<typeof trafficViewSchema>

/** Time up (pass + warn, of which degraded = warn), down (fail) and without samples (the app was off), ms. */
export const uptimeSchema = z.object({
  upMs: z.number(),
  degradedMs: z.number(),
  downMs: z.number(),
  noDataMs: z.number(),
  /** up / (up + down) × 100, no-data time left out; null without any data. */
  percent: z.number().nullable(),
})
export type UptimeView = z.output<typeof uptimeSchema>

export const heartbeatSchema = z.object({ time: z.number(), status: healthStatusSchema, output: z.string().nullable() })
export type Heartbeat = z.output<typeof heartbeatSchema>

export const incidentSchema = z.object({
  id: z.string(),
  component: z.string(),
  status: z.enum(['warn', 'fail']),
  startedAt: z.number(),
  /** null while open. */
  endedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  check: z.string().nullable(),
  firstOutput: z.string().nullable(),
})
export type IncidentView = z.output<typeof incidentSchema>

export const UPTIME_WINDOWS = ['24h', '7d', '30d'] as const
export const healthHistorySchema = z.object({
  range: monitoringRangeSchema,
  /** One entry per component ('overall' is the report's own status), its samples oldest first. */
  components: z.array(
    z.object({
      name: z.string(),
      heartbeats: z.array(heartbeatSchema),
      uptime: z.object({ '24h': uptimeSchema, '7d': uptimeSchema, '30d': uptimeSchema }),
    }),
  ),
  /** Incidents touching the range, newest first (open ones have endedAt null). */
  incidents: z.array(incidentSchema),
})
export type HealthHistory = z.output<typeof healthHistorySchema>

export const monitoringEventSchema = z.object({
  id: z.number(),
  time: z.number(),
  type: z.string(),
  level: z.enum(['info', 'warning', 'error']),
  message: z.string(),
  /** Links the event to its log lines. */
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
})
export type MonitoringEvent = z.output<typeof monitoringEventSchema>

// --- the calls and events ---------------------------------------------------------------------------

/** A call without a payload: the IPC bridge sends undefined, the HTTP client an empty JSON object. */
const noPayload = z.union([z.undefined(), z.null(), z.object({}).strict()]).transform(() => undefined)
const editedValues = z.object({ values: z.record(z.string(), z.string().max(10_000)) }).strict()
/** `confirm`: the person said yes to a change that needs it (a listen address other machines can reach). */
const savedValues = z.object({ values: z.record(z.string(), z.string().max(10_000)), confirm: z.boolean().optional() }).strict()

/** A change config:save refuses until it is sent again with `confirm: true`; the explanation is for the person. */
export const configConfirmationSchema = z.object({ setting: z.string(), from: z.string(), to: z.string(), explanation: z.string() })
export type ConfigConfirmation = z.output<typeof configConfirmationSchema>

/** Where "Export site" writes: a fixed folder in the data dir, or the configured mirror (never a path). */
export const siteExportTargetSchema = z.enum(['data', 'mirror'])
export type SiteExportTarget = z.output<typeof siteExportTargetSchema>
export const siteExportOutcomeSchema = z.object({
  target: siteExportTargetSchema,
  finishedAt: z.string(),
  ok: z.boolean(),
  message: z.string(),
  written: z.number(),
  unchanged: z.number(),
  removed: z.number(),
  files: z.number(),
  bytes: z.number(),
  durationMs: z.number(),
})
export type SiteExportOutcome = z.output<typeof siteExportOutcomeSchema>
export const siteExportStatusSchema = z.object({
  running: z.boolean(),
  target: siteExportTargetSchema.nullable(),
  progress: z.object({ phase: z.enum(['listing', 'pages', 'media', 'cleaning', 'done']), done: z.number(), total: z.number() }).nullable(),
  last: siteExportOutcomeSchema.nullable(),
  targets: z.array(siteExportTargetSchema),
})
export type SiteExportStatus = z.output<typeof siteExportStatusSchema>

/** Request/response calls: name → the schema of its payload and of its result's data. */
export const CONTRACT_CALLS = {
  'server:snapshot': { request: noPayload, response: snapshotSchema },
  'server:status': { request: noPayload, response: serverStatusSchema },
  'pool:stats': { request: noPayload, response: poolStatsSchema.nullable() },
  'health:get': { request: noPayload, response: healthReportSchema },
  'config:get': { request: noPayload, response: configViewSchema },
  'config:validate': { request: editedValues, response: z.object({ problems: z.array(errorInfoSchema) }) },
  'config:save': {
    request: savedValues,
    response: z.object({ problems: z.array(errorInfoSchema), saved: z.boolean(), confirmation: configConfirmationSchema.optional() }),
  },
  'logs:recent': {
    request: z
      .object({ limit: z.number().int().min(1).max(10_000).optional(), afterSeq: z.number().int().min(-1).optional() })
      .strict()
      .or(z.undefined())
      .or(z.null()),
    response: logsBatchSchema,
  },
  'server:restart': { request: noPayload, response: lifecycleAcceptedSchema },
  'server:stop': { request: noPayload, response: lifecycleAcceptedSchema },
  'server:start': { request: noPayload, response: lifecycleAcceptedSchema },
  /**
   * Open the blog or its admin area for the person: the desktop app opens the system browser (with a
   * one-time sign-in link for admin, minted then and there), the browser console a new tab. The answer
   * names the page opened, never the sign-in link.
   */
  'link:open': { request: z.object({ target: linkTargetSchema }).strict(), response: z.object({ url: z.string() }) },
  /** Back up now into <data dir>/backups (the oldest beyond STARPUNK_BACKUP_KEEP removed); answers when written. */
  'backup:run': { request: noPayload, response: backupInfoSchema },
  /** The newest backup there, and whether one is running. */
  'backup:status': { request: noPayload, response: backupStatusSchema },
  /** Traffic over a range: buckets (null = gap) and the slowest route groups. */
  'metrics:traffic': { request: z.object({ range: monitoringRangeSchema }).strict(), response: trafficViewSchema },
  /** Health history: heartbeats per component over the range, uptime over 24 h / 7 d / 30 d, incidents. */
  'metrics:health': { request: z.object({ range: monitoringRangeSchema }).strict(), response: healthHistorySchema },
  /** The event timeline over the range, newest first, optionally only some types. */
  'metrics:events': {
    request: z.object({ range: monitoringRangeSchema, types: z.array(z.string().max(64)).max(32).optional() }).strict(),
    /** `types`: every event type there is (for the filter), whether or not the range has one. */
    response: z.object({ events: z.array(monitoringEventSchema), types: z.array(z.string()) }),
  },
  /** Write a static copy of the public site into the target's folder; progress arrives as site:export events. */
  'site:export': { request: z.object({ target: siteExportTargetSchema }).strict(), response: siteExportOutcomeSchema },
  'site:export-status': { request: noPayload, response: siteExportStatusSchema },
} as const satisfies Record<string, { request: z.ZodType; response: z.ZodType }>

/** A Webmention arrived and was verified (or a known one changed or went away): the console shows it. */
export const webmentionEventSchema = z.object({
  change: z.enum(['added', 'updated', 'removed']),
  type: z.enum(['reply', 'like', 'repost', 'bookmark', 'rsvp', 'mention']),
  moderation: z.enum(['approved', 'held']),
  source: z.string(),
  target: z.string(),
  /** The note it is about (null when it is gone). */
  slug: z.string().nullable(),
  authorName: z.string().nullable(),
  time: z.number(),
})
export type WebmentionEvent = z.output<typeof webmentionEventSchema>

/** Pushed events: name → the schema of its payload. */
export const CONTRACT_EVENTS = {
  'pool:stats': poolStatsSchema,
  'health:changed': healthReportSchema,
  'health:alert': healthAlertSchema,
  'logs:batch': logsBatchSchema,
  'config:problems': z.object({ problems: z.array(errorInfoSchema) }),
  'server:status': serverStatusSchema,
  /** Each progress step of a site export, and its end (with the outcome in `last`). */
  'site:export': siteExportStatusSchema,
  'webmention:received': webmentionEventSchema,
} as const satisfies Record<string, z.ZodType>

type Calls = typeof CONTRACT_CALLS
type Events = typeof CONTRACT_EVENTS

export type CallName = keyof Calls
export type EventName = keyof Events
/** What a caller sends (before validation: an absent payload may be undefined, null or {}). */
export type CallRequest<N extends CallName> = z.input<Calls[N]['request']>
/** What the server's handler receives, after validation. */
export type CallPayload<N extends CallName> = z.output<Calls[N]['request']>
export type CallResponse<N extends CallName> = z.output<Calls[N]['response']>
export type EventPayload<E extends EventName> = z.output<Events[E]>
export type ContractEvents = { [E in EventName]: EventPayload<E> }

// Object.keys loses the key type; the tables above are the only source of these names.
export const CALL_NAMES = Object.freeze(Object.keys(CONTRACT_CALLS)) as readonly CallName[]
export const EVENT_NAMES = Object.freeze(Object.keys(CONTRACT_EVENTS)) as readonly EventName[]

/** IPC channel names derive from the call and event names, so nothing else spells them. */
export const ipcChannel = {
  call: (name: CallName): string => `starpunk:call:${name}`,
  event: (name: EventName): string => `starpunk:event:${name}`,
}

/** What the preload exposes as `window.starpunk`, and what the HTTP client implements too. */
export interface StarpunkApi {
  call<N extends CallName>(name: N, request: CallRequest<N>): Promise<Result<CallResponse<N>>>
  /** Subscribe to a pushed event; returns the unsubscribe function. */
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void
}

export function isCallName(value: unknown): value is CallName {
  return typeof value === 'string' && Object.hasOwn(CONTRACT_CALLS, value)
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(CONTRACT_EVENTS, value)
}

/**
 * Validate an untrusted payload for `name`. The failure names the call and the first offending path,
 * never the value (it may be a secret).
 */
export function parseCallRequest<N extends CallName>(name: N, request: unknown): { ok: true; data: CallPayload<N> } | { ok: false; detail: string } {
  const parsed = CONTRACT_CALLS[name].request.safeParse(request)
  if (parsed.success) return { ok: true, data: parsed.data as CallPayload<N> }
  const issue = parsed.error.issues[0]
  const where = issue && issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : ''
  return { ok: false, detail: `the payload of ${name} is invalid${where}.` }
}
