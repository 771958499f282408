import { createHash, timingSafeEqual } from 'node:crypto'
import type { MetricsGuard } from './routes'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * The usual /metrics guard: open by setting, an admin session (res.locals.session, set by the auth
 * guards' loadSession), or the health token as a bearer, compared in constant time over digests.
 */
export function metricsAccess(options: { token: string | null; open: boolean }): MetricsGuard {
  const expected = options.token ? digest(options.token) : null
  return (req, res) => {
    if (options.open) return true
    if ((res.locals as { session?: unknown }).session != null) return true
    if (!expected) return false
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected)
  }
}
