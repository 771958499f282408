import type { Clock } from './clock'

export interface FailureLimiterOptions {
  clock: Clock
  /** Failures allowed per key within the window. */
  maxFailures: number
  windowMs: number
  /** Bound on tracked keys, so a flood of addresses cannot grow memory without limit. */
  maxKeys?: number
}

export type LimitCheck = { allowed: true } | { allowed: false; retryAfterSeconds: number }

/**
 * Counts failed login attempts per key (client IP) in a sliding window. Successes are not counted:
 * the owner signing in repeatedly is never locked out; guessing is.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>()
  private readonly maxKeys: number

  constructor(private readonly options: FailureLimiterOptions) {
    this.maxKeys = options.maxKeys ?? 10_000
  }

  check(key: string): LimitCheck {
    const recent = this.recent(key)
    if (recent.length < this.options.maxFailures) return { allowed: true }
    const oldest = recent[recent.length - this.options.maxFailures] ?? this.options.clock()
    const retryAfterMs = oldest + this.options.windowMs - this.options.clock()
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) }
  }

  recordFailure(key: string): void {
    const recent = this.recent(key)
    recent.push(this.options.clock())
    // Only the newest maxFailures decide a check: a locked-out client that keeps failing cannot grow the list.
    if (recent.length > this.options.maxFailures) recent.splice(0, recent.length - this.options.maxFailures)
    this.failures.delete(key)
    this.failures.set(key, recent)
    // Map keeps insertion order: evict the least recently failing keys first.
    while (this.failures.size > this.maxKeys) {
      const first = this.failures.keys().next().value
      if (first === undefined) break
      this.failures.delete(first)
    }
  }

  private recent(key: string): number[] {
    const since = this.options.clock() - this.options.windowMs
    const list = (this.failures.get(key) ?? []).filter((at) => at > since)
    if (list.length === 0) this.failures.delete(key)
    else this.failures.set(key, list)
    return list
  }
}
