import type { CallName, CallRequest, CallResponse, ContractEvents, EventName, Result, ServerStatus } from '../../../shared/contract'
import type { ErrorInfo } from '../../../shared/errors'
import type { LoadedConfig } from '../config'
import type { ServerContext } from '../context'

/**
 * What the console needs from whoever runs the blog server: the supervisor (desktop app, supervised
 * headless mode) or, for a server started on its own, a fixed host that can report but not restart.
 */
export interface ConsoleHost {
  status(): ServerStatus
  /** The running server's context, or null while stopped/starting/failed. */
  context(): ServerContext | null
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

export type CallHandler<N extends CallName> = (request: CallRequest<N>) => Promise<Result<CallResponse<N>>>

/** One implementation per contract call; both transports (IPC and HTTP) are generated from this table. */
export type CallHandlers = { [N in CallName]: CallHandler<N> }

export interface PushedEvent<E extends EventName = EventName> {
  /** Increasing id, for SSE Last-Event-ID resume. */
  id: number
  name: E
  payload: ContractEvents[E]
}

export interface ConsoleService {
  readonly handlers: CallHandlers
  /** Whether start/stop/restart can work (a supervisor hosts the server). */
  readonly supervised: boolean
  /** Dispatch by name with an unvalidated payload (from IPC or HTTP); never throws. */
  call(name: unknown, request: unknown): Promise<Result<unknown>>
  /**
   * Subscribe to every pushed event. Timers (pool ticker, health poll, log batching) run only while
   * someone listens. Returns the unsubscribe function.
   */
  subscribe(listener: (event: PushedEvent) => void): () => void
  /** Events after `afterId` still held for resume (bounded); `complete` is false when some fell off. */
  eventsSince(afterId: number): { events: PushedEvent[]; complete: boolean }
  /** Stop all timers and drop listeners. */
  close(): void
}
