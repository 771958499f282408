import type { Logger } from '../logging'
import { discoverIndieAuth, normalizeMe, sha256Hex } from '../auth'
import { isOutboundError, type Outbound } from '../outbound'
import type { TokenGrant } from './types'

export interface ExternalVerifierOptions {
  /** The author's identity URL (config.adminMe); endpoints are discovered from it. */
  adminMe: string
  /** The server's one bounded outbound fetch. */
  outbound: Outbound
  /**
   * This server's own origins (site URL, listening URL). A verification never reaches them, first or after
   * a redirect, nor an alias with the same address and port: otherwise a token endpoint that points back
   * at us (a trailing slash, an http→https redirect, a www. alias) makes every check call us again.
   */
  ownOrigins: () => string[]
  logger: Logger
  timeoutMs?: number
  /** Positive verification cache lifetime (default 5 minutes). */
  cacheMs?: number
  /** How long a failed verification (or failed discovery) is remembered, so repeats do not refetch (default 30 s). */
  failureCacheMs?: number
  /** How long a discovered endpoint is reused (default 10 minutes). */
  discoveryMs?: number
  now?: () => number
}

export type ExternalResult = { ok: true; grant: TokenGrant } | { ok: false; reason: 'invalid' | 'unverifiable' }
type Failure = Extract<ExternalResult, { ok: false }>

/** Bound on remembered tokens per cache, so a flood of distinct tokens cannot grow memory without limit. */
const MAX_CACHED = 1000

/** Token endpoints answer JSON (IndieAuth) or, in older servers, form-encoding. */
function parseVerification(text: string, type: string): Record<string, unknown> | null {
  if (type.includes('json')) {
    try {
      const parsed: unknown = JSON.parse(text)
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null
    } catch {
      return null
    }
  }
  return Object.fromEntries(new URLSearchParams(text))
}

function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  cache.delete(key)
  cache.set(key, value)
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string)
}

/**
 * Verification of tokens issued by the author's own IndieAuth server, discovered from ADMIN_ME with the
 * shared IndieAuth discovery. Results are cached by SHA-256 of the token (never the token): successes for
 * cacheMs, failures briefly. Any network problem fails closed.
 */
export function createExternalVerifier(options: ExternalVerifierOptions) {
  const now = options.now ?? Date.now
  const timeoutMs = options.timeoutMs ?? 5_000
  const cacheMs = options.cacheMs ?? 5 * 60_000
  const failureCacheMs = options.failureCacheMs ?? 30_000
  const discoveryMs = options.discoveryMs ?? 10 * 60_000
  const expectedMe = normalizeMe(options.adminMe)
  const granted = new Map<string, { grant: TokenGrant; until: number }>()
  const refused = new Map<string, { result: Failure; until: number }>()
  let endpoint: { url: string | null; until: number } | null = null
  let discovering: Promise<string | null> | null = null

  const ownOrigins = () =>
    options.ownOrigins().flatMap((raw) => {
      try {
        return [new URL(raw).origin]
      } catch {
        return []
      }
    })

  async function discoverNow(): Promise<string | null> {
    let found: string | null = null
    try {
      found = (await discoverIndieAuth(options.outbound, options.adminMe, { request: { timeoutMs } })).tokenEndpoint
      if (!found) options.logger.warn('no token endpoint found at ADMIN_ME', { adminMe: options.adminMe })
    } catch (err) {
      options.logger.warn('token endpoint discovery failed', { adminMe: options.adminMe, err })
    }
    // A failure is remembered too, briefly: a flood of bogus tokens must not rediscover for each one.
    endpoint = { url: found, until: now() + (found ? discoveryMs : failureCacheMs) }
    return found
  }

  /** The token endpoint, discovered at most once at a time and cached. */
  async function discover(): Promise<string | null> {
    if (endpoint && endpoint.until > now()) return endpoint.url
    discovering ??= discoverNow().finally(() => {
      discovering = null
    })
    return discovering
  }

  async function check(token: string): Promise<ExternalResult> {
    if (!expectedMe) return { ok: false, reason: 'unverifiable' }
    const tokenEndpoint = await discover()
    if (!tokenEndpoint) return { ok: false, reason: 'unverifiable' }
    let res
    try {
      res = await options.outbound.fetchText(tokenEndpoint, {
        purpose: 'the token endpoint',
        timeoutMs,
        maxBodyBytes: 64 * 1024,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        refuseOrigins: ownOrigins(),
      })
    } catch (err) {
      if (isOutboundError(err) && err.reason === 'own-origin') {
        // Our own endpoint already said no to this token (it knows only tokens it issued).
        options.logger.warn('token endpoint at ADMIN_ME is this site: not asking ourselves', { adminMe: options.adminMe })
        return { ok: false, reason: 'invalid' }
      }
      endpoint = null // Re-discover next time: the endpoint may have moved.
      options.logger.warn('token endpoint unreachable', { tokenEndpoint, cause: isOutboundError(err) ? err.reason : (err as Error).name })
      return { ok: false, reason: 'unverifiable' }
    }
    if (res.status >= 500) {
      options.logger.warn('token endpoint failed', { tokenEndpoint, status: res.status })
      return { ok: false, reason: 'unverifiable' }
    }
    if (res.status < 200 || res.status > 299) return { ok: false, reason: 'invalid' }
    const body = parseVerification(res.text, res.headers.get('content-type') ?? '')
    if (!body) return { ok: false, reason: 'unverifiable' }
    if (body.active === false || typeof body.me !== 'string') return { ok: false, reason: 'invalid' }
    if (normalizeMe(body.me) !== expectedMe) {
      options.logger.warn('external token belongs to someone else', { me: body.me, adminMe: options.adminMe })
      return { ok: false, reason: 'invalid' }
    }
    return {
      ok: true,
      grant: {
        me: body.me,
        scopes: typeof body.scope === 'string' ? body.scope.split(/\s+/).filter(Boolean) : [],
        clientId: typeof body.client_id === 'string' ? body.client_id : null,
        source: 'external',
        id: null,
      },
    }
  }

  async function verify(token: string): Promise<ExternalResult> {
    const key = sha256Hex(token)
    const at = now()
    const hit = granted.get(key)
    if (hit && hit.until > at) return { ok: true, grant: hit.grant }
    if (hit) granted.delete(key)
    const miss = refused.get(key)
    if (miss && miss.until > at) return miss.result
    if (miss) refused.delete(key)
    const result = await check(token)
    if (result.ok) remember(granted, key, { grant: result.grant, until: now() + cacheMs })
    else remember(refused, key, { result, until: now() + failureCacheMs })
    return result
  }

  return { verify, discover }
}
