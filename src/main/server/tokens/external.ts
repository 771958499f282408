import LinkHeader from 'http-link-header'
import { Parser } from 'htmlparser2'
import type { Logger } from '../logging'
import { sha256Hex } from '../auth'
import type { TokenGrant } from './types'

export interface ExternalVerifierOptions {
  /** The author's identity URL (config.adminMe); endpoints are discovered from it. */
  adminMe: string
  /** Our own token endpoint: never verify against ourselves over HTTP (local tokens are checked first). */
  ownTokenEndpoint: string
  logger: Logger
  timeoutMs?: number
  /** Positive verification cache lifetime (default 5 minutes). */
  cacheMs?: number
  /** How long a discovered endpoint is reused (default 10 minutes). */
  discoveryMs?: number
  now?: () => number
  fetchImpl?: typeof fetch
}

export type ExternalResult = { ok: true; grant: TokenGrant } | { ok: false; reason: 'invalid' | 'unverifiable' }

/** Compare identity URLs the way IndieAuth does: scheme+host case-insensitive, empty path = "/". */
export function normalizeMe(url: string): string | null {
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null
    parsed.hash = ''
    return parsed.href
  } catch {
    return null
  }
}

/** Pull rel links out of HTML with a real parser (no regex over markup). */
function htmlLinks(html: string, base: string): Map<string, string> {
  const found = new Map<string, string>()
  const parser = new Parser({
    onopentag(name, attrs) {
      if ((name !== 'link' && name !== 'a') || !attrs.rel || !attrs.href) return
      for (const rel of attrs.rel.toLowerCase().split(/\s+/)) {
        if (!found.has(rel)) {
          try {
            found.set(rel, new URL(attrs.href, base).href)
          } catch {
            // A broken href is skipped, like a browser would.
          }
        }
      }
    },
  })
  parser.write(html)
  parser.end()
  return found
}

/**
 * Verification of tokens issued by the author's own IndieAuth server, discovered from ADMIN_ME:
 * Link header first, then HTML <link>, preferring indieauth-metadata over the legacy token_endpoint rel.
 * Positive results are cached by SHA-256 of the token (never the token), failures are never cached, and
 * any network problem fails closed.
 */
export function createExternalVerifier(options: ExternalVerifierOptions) {
  const now = options.now ?? Date.now
  const fetchImpl = options.fetchImpl ?? fetch
  const timeoutMs = options.timeoutMs ?? 5_000
  const cacheMs = options.cacheMs ?? 5 * 60_000
  const discoveryMs = options.discoveryMs ?? 10 * 60_000
  const expectedMe = normalizeMe(options.adminMe)
  const cache = new Map<string, { grant: TokenGrant; until: number }>()
  let endpoint: { url: string; until: number } | null = null

  async function get(url: string, init: RequestInit = {}): Promise<Response> {
    return fetchImpl(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) })
  }

  async function discover(): Promise<string | null> {
    if (endpoint && endpoint.until > now()) return endpoint.url
    const res = await get(options.adminMe, { headers: { accept: 'text/html' } })
    const base = res.url || options.adminMe
    const rels = new Map<string, string>()
    const header = res.headers.get('link')
    if (header) {
      try {
        for (const ref of LinkHeader.parse(header).refs) {
          for (const rel of ref.rel.toLowerCase().split(/\s+/)) if (!rels.has(rel)) rels.set(rel, new URL(ref.uri, base).href)
        }
      } catch {
        // Malformed Link header: fall through to the HTML.
      }
    }
    const type = res.headers.get('content-type') ?? ''
    if (type.includes('html')) {
      const body = await res.text()
      for (const [rel, href] of htmlLinks(body.slice(0, 1_000_000), base)) if (!rels.has(rel)) rels.set(rel, href)
    } else {
      await res.body?.cancel()
    }
    let tokenEndpoint: string | null = null
    const metadataUrl = rels.get('indieauth-metadata')
    if (metadataUrl) {
      const meta = await get(metadataUrl, { headers: { accept: 'application/json' } })
      if (meta.ok) {
        const json = (await meta.json()) as { token_endpoint?: unknown }
        if (typeof json.token_endpoint === 'string') tokenEndpoint = new URL(json.token_endpoint, metadataUrl).href
      }
    }
    tokenEndpoint ??= rels.get('token_endpoint') ?? null
    if (tokenEndpoint) endpoint = { url: tokenEndpoint, until: now() + discoveryMs }
    return tokenEndpoint
  }

  async function verify(token: string): Promise<ExternalResult> {
    const key = sha256Hex(token)
    const hit = cache.get(key)
    if (hit && hit.until > now()) return { ok: true, grant: hit.grant }
    if (hit) cache.delete(key)
    if (!expectedMe) return { ok: false, reason: 'unverifiable' }
    let tokenEndpoint: string | null
    try {
      tokenEndpoint = await discover()
    } catch (err) {
      options.logger.warn('token endpoint discovery failed', { adminMe: options.adminMe, cause: (err as Error).name })
      return { ok: false, reason: 'unverifiable' }
    }
    if (!tokenEndpoint) {
      options.logger.warn('no token endpoint found at ADMIN_ME', { adminMe: options.adminMe })
      return { ok: false, reason: 'unverifiable' }
    }
    if (tokenEndpoint === options.ownTokenEndpoint) return { ok: false, reason: 'invalid' }
    let res: Response
    try {
      res = await get(tokenEndpoint, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } })
    } catch (err) {
      endpoint = null // Re-discover next time: the endpoint may have moved.
      options.logger.warn('token endpoint unreachable', { tokenEndpoint, cause: (err as Error).name })
      return { ok: false, reason: 'unverifiable' }
    }
    if (res.status >= 500) {
      await res.body?.cancel()
      options.logger.warn('token endpoint failed', { tokenEndpoint, status: res.status })
      return { ok: false, reason: 'unverifiable' }
    }
    if (!res.ok) {
      await res.body?.cancel()
      return { ok: false, reason: 'invalid' }
    }
    let body: { me?: unknown; scope?: unknown; client_id?: unknown; active?: unknown }
    try {
      const type = res.headers.get('content-type') ?? ''
      // Older endpoints answer form-encoded.
      body = type.includes('json') ? ((await res.json()) as typeof body) : Object.fromEntries(new URLSearchParams(await res.text()))
    } catch {
      return { ok: false, reason: 'unverifiable' }
    }
    if (body.active === false || typeof body.me !== 'string') return { ok: false, reason: 'invalid' }
    if (normalizeMe(body.me) !== expectedMe) {
      options.logger.warn('external token belongs to someone else', { me: body.me, adminMe: options.adminMe })
      return { ok: false, reason: 'invalid' }
    }
    const grant: TokenGrant = {
      me: body.me,
      scopes: typeof body.scope === 'string' ? body.scope.split(/\s+/).filter(Boolean) : [],
      clientId: typeof body.client_id === 'string' ? body.client_id : null,
      source: 'external',
      id: null,
    }
    cache.set(key, { grant, until: now() + cacheMs })
    if (cache.size > 1000) cache.delete(cache.keys().next().value as string)
    return { ok: true, grant }
  }

  return { verify, discover }
}
