import type { ErrorInfo } from '../../../shared/errors'
import { ERROR_CATALOG, type ErrorCode } from './catalog'

export interface AppErrorOptions {
  /** Values for `{name}` placeholders in the catalog text. */
  vars?: Record<string, string | number>
  /** Replace the catalog message (still a person-readable sentence; never SQL, paths or stacks). */
  message?: string
  details?: string
  /** Replace the catalog suggestion (e.g. a per-setting hint for a configuration problem). */
  suggestion?: string
  /** Steps to put before the catalog's troubleshooting steps. */
  troubleshooting?: string[]
  /** Override the catalog status (e.g. a 406 on feeds built on BAD_REQUEST). */
  status?: number
  /** Extra response headers (Retry-After, Allow, WWW-Authenticate...). */
  headers?: Record<string, string>
  /** The underlying error: logged, never sent. */
  cause?: unknown
  /** The scope a token lacked (INSUFFICIENT_SCOPE): OAuth and Micropub clients get it as `scope` (RFC 6750 §3.1). */
  scope?: string
}

function fill(text: string, vars: Record<string, string | number> | undefined): string {
  if (!vars) return text
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole))
}

/** An error with a catalog entry. Subclasses say whose fault it is: the user's (4xx) or the system's (5xx). */
export abstract class AppError extends Error {
  abstract readonly kind: 'user' | 'system'
  readonly code: ErrorCode
  readonly status: number
  readonly info: ErrorInfo
  readonly headers: Record<string, string>
  /** The scope a token lacked, as data for the OAuth error body (never parsed back out of the message). */
  readonly scope: string | undefined

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const entry = ERROR_CATALOG[code]
    const message = options.message ?? fill(entry.message, options.vars)
    super(message, { cause: options.cause })
    this.code = code
    this.status = options.status ?? entry.status
    this.headers = options.headers ?? {}
    this.scope = options.scope
    const details = options.details ?? ('details' in entry ? entry.details : undefined)
    this.info = {
      code,
      message,
      suggestion: options.suggestion ?? fill(entry.suggestion, options.vars),
      ...(details ? { details: fill(details, options.vars) } : {}),
      troubleshooting: [...(options.troubleshooting ?? []), ...entry.troubleshooting.map((step) => fill(step, options.vars))],
    }
  }
}

export class UserError extends AppError {
  readonly kind = 'user' as const
}

export class SystemError extends AppError {
  readonly kind = 'system' as const
}

/** Build the right subclass from a catalog code: 4xx → UserError, otherwise SystemError. */
export function appError(code: ErrorCode, options: AppErrorOptions = {}): AppError {
  const status = options.status ?? ERROR_CATALOG[code].status
  return status < 500 ? new UserError(code, options) : new SystemError(code, options)
}

export function errorInfo(code: ErrorCode, options: AppErrorOptions = {}): ErrorInfo {
  return appError(code, options).info
}
