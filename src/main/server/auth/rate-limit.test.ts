import { describe, expect, it } from 'vitest'
import { FailureLimiter } from './rate-limit'

function limiter(max = 3, windowMs = 60_000, maxKeys?: number) {
  let now = 1_000_000
  const l = new FailureLimiter({ clock: () => now, maxFailures: max, windowMs, ...(maxKeys ? { maxKeys } : {}) })
  return { l, advance: (ms: number) => (now += ms) }
}

describe('FailureLimiter', () => {
  it('allows up to the budget, then refuses with the time until the oldest failure leaves the window', () => {
    const { l, advance } = limiter(3, 60_000)
    l.recordFailure('a')
    advance(10_000)
    l.recordFailure('a')
    advance(10_000)
    expect(l.check('a')).toEqual({ allowed: true })
    l.recordFailure('a')
    expect(l.check('a')).toEqual({ allowed: false, retryAfterSeconds: 40 })
    // Other addresses are unaffected.
    expect(l.check('b')).toEqual({ allowed: true })
    // The window slides: once the first failure is older than a minute, one more attempt is allowed.
    advance(40_000)
    expect(l.check('a')).toEqual({ allowed: true })
  })

  it('keeps a bounded number of addresses, dropping the least recently failing', () => {
    const { l } = limiter(1, 60_000, 2)
    l.recordFailure('a')
    l.recordFailure('b')
    l.recordFailure('c')
    expect(l.check('a')).toEqual({ allowed: true })
    expect(l.check('b').allowed).toBe(false)
    expect(l.check('c').allowed).toBe(false)
  })
})
