/**
 * The shape of every error the product shows a person: in HTTP responses, in the console, at startup.
 * Shared by main, preload and renderer, so the renderer can show the same troubleshooting the server logs.
 */
export interface ErrorInfo {
  /** Stable machine-readable code, e.g. POOL_EXHAUSTED. Never changes once released. */
  code: string
  /** One sentence a person can read; names the setting or value involved (secrets masked). */
  message: string
  /** What to do next, in one sentence. */
  suggestion: string
  /** Longer explanation of why this happens (optional). */
  details?: string
  /** Ordered steps to diagnose and fix. */
  troubleshooting: string[]
}

/** The result of every call across the app's contract (IPC or HTTP). */
export type Result<T> = { ok: true; data: T } | { ok: false; error: ErrorInfo }
