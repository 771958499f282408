import type { BackupInfo, BackupStatus, CallName, CallPayload, CallRequest, CallResponse, EventName, EventPayload, HealthReport, PoolStats, Result, ServerStatus, SiteExportOutcome, SiteExportStatus, SiteExportTarget, WebmentionEvent } from '../../../shared/contract'
import type { Alert } from '../../../shared/alert'
import type { ErrorInfo } from '../../../shared/errors'
import type { LoadedConfig } from '../config'
import type { LogBuffer, Logger } from '../logging'
import type { MetricsHistory } from '../metrics'

/** The monitoring history the console reads (read-only: it never records or prunes). */
export type MonitoringPort = Pick<MetricsHistory, 'traffic' | 'heartbeats' | 'uptime' | 'incidents' | 'events'>

/** "Back up now" of a running server (the backup service). */
export interface BackupPort {
  runNow(): Promise<BackupInfo>
  status(): Promise<BackupStatus>
}

/**
 * What the console reads from a running blog server, and nothing more: the server builds this port when
 * it wires itself, so the console never holds (or guesses at) the whole server.
 */
export interface ConsolePort {
  /** When this server started (ms since the epoch). */
  readonly startedAt: number
  /** The configured site URL (its origin counts as the blog's, next to the listening address). */
  readonly siteUrl: string
  /** The search engine answering, or 'disabled' by configuration. */
  searchEngine(): NonNullable<ServerStatus['searchEngine']>
  poolStats(): PoolStats
  /** Run every readiness check (detailed). */
  readiness(): Promise<HealthReport>
  /** The last readiness report computed, or null. */
  lastHealth(): HealthReport | null
  /** The in-memory log lines the console shows and streams. */
  readonly logs: LogBuffer
  /** Mint a one-time admin sign-in link (a secret: only for someone about to open it). */
  issueLoginLink(): Promise<string>
  /** The server's logger, for the console's own failures. */
  readonly logger: Logger
  /** Monitoring history (metrics.db); absent when the server has no metrics wired: the metrics:* calls then say so. */
  readonly monitoring?: MonitoringPort | null
  /** "Export site" (a static copy into the data dir or the mirror); absent on a server without it. */
  readonly siteExport?: {
    run(target: SiteExportTarget): Promise<SiteExportOutcome>
    status(): SiteExportStatus
    /** Returns: stop. */
    onStatus(listener: (status: SiteExportStatus) => void): () => void
  }
  /** Hear the alerts readiness raises (held for STARPUNK_ALERT_SAMPLES samples); absent without metrics. Returns: stop. */
  onAlert?(listener: (alert: Alert) => void): () => void
  /** Hear Webmentions as verification stores, updates or removes them; absent without Webmention. Returns: stop. */
  onWebmention?(listener: (event: WebmentionEvent) => void): () => void
  /** Backups into <data dir>/backups; absent for a server without them: the backup:* calls then say so. */
  readonly backups?: BackupPort
}

/**
 * What the console needs from whoever runs the blog server: the supervisor (desktop app, supervised
 * headless mode) or, for a server started on its own, a fixed host that can report but not restart.
 */
export interface ConsoleHost {
  status(): ServerStatus
  /** The running server's console port, or null while stopped/starting/failed. */
  running(): ConsolePort | null
  /** The configuration as last loaded (fields, problems, file path), also when startup failed. */
  loaded(): LoadedConfig
  /** Validate edited values against the same rules as startup, without applying them. */
  validate(values: Record<string, string>): ErrorInfo[]
  /** Persist edited values (only when valid). */
  save(values: Record<string, string>): Promise<{ problems: ErrorInfo[]; saved: boolean }>
  /** False for a server that was not started by a supervisor: start/stop/restart then answer an error. */
  readonly supervised: boolean
  start(): Promise<ServerStatus>
  stop(): Promise<ServerStatus>
  restart(): Promise<ServerStatus>
  /** Status changes (starting, running, stopped, failed). Returns the unsubscribe function. */
  onStatus(listener: (status: ServerStatus) => void): () => void
}

/** How a transport wants a call carried out. */
export interface CallOptions {
  /**
   * When an accepted start/stop/restart begins. Default: at once. The HTTP transport runs it once its
   * answer is flushed: stopping the server cuts the very connection that asked.
   */
  schedule?: (action: () => void) => void
}

export type CallHandler<N extends CallName> = (request: CallPayload<N>, options: CallOptions) => Promise<Result<CallResponse<N>>>

/** One implementation per contract call; both transports (IPC and HTTP) are generated from this table. */
export type CallHandlers = { [N in CallName]: CallHandler<N> }

/** One pushed event; `name` tells the payload's type. */
export type PushedEvent = { [E in EventName]: { /** Increasing id, for SSE Last-Event-ID resume. */ id: number; name: E; payload: EventPayload<E> } }[EventName]

export interface ConsoleService {
  /** Whether start/stop/restart can work (a supervisor hosts the server). */
  readonly supervised: boolean
  /** A typed call from inside the main process (menus, tray, tests). Validated like any other; never throws. */
  call<N extends CallName>(name: N, request: CallRequest<N>, options?: CallOptions): Promise<Result<CallResponse<N>>>
  /** Dispatch by name with an unvalidated payload (from IPC or HTTP); never throws. */
  dispatch(name: unknown, request: unknown, options?: CallOptions): Promise<Result<unknown>>
  /**
   * Mint a one-time admin sign-in link. Not a contract call: only the desktop shell, which opens it in
   * the system browser at once, may hold one.
   */
  issueLoginLink(): Promise<Result<{ url: string }>>
  /** The origins the blog answers on (its listening address and its site URL); empty while not running. */
  blogOrigins(): string[]
  /**
   * Subscribe to every pushed event. Timers (pool ticker, health poll, log batching) run only while
   * someone listens. Returns the unsubscribe function.
   */
  subscribe(listener: (event: PushedEvent) => void): () => void
  /** The id of the newest pushed event (0 before the first). */
  lastEventId(): number
  /** Events after `afterId` still held for resume (bounded); `complete` is false when some fell off. */
  eventsSince(afterId: number): { events: PushedEvent[]; complete: boolean }
  /** Stop all timers and drop listeners. */
  close(): void
}
