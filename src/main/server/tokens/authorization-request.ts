/**
 * The rules an IndieAuth authorization request must meet before the author is asked anything. Pure
 * functions over strings and URLs: no HTTP, no database (the routes throw the errors, the client metadata
 * fetcher supplies the redirect URIs a client publishes).
 */
import { isIP } from 'node:net'
import { appError } from '../errors'
import { normalizeScopes } from './service'

export function invalidRequest(detail: string) {
  return appError('INDIEAUTH_INVALID_REQUEST', { vars: { detail } })
}

/** The loopback interface: where native apps listen for their redirect (RFC 8252 §7.3). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost'
}

/** `.` and `..` segments (also percent-encoded) in the path of the URL as written; the URL parser would remove them silently. */
function hasDotSegment(raw: string): boolean {
  const path = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(raw)?.[1] ?? ''
  return path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))
}

/**
 * A client identifier as IndieAuth §4.2 defines it: http(s), a path, no fragment, no user info, no dot
 * segments, and a domain name for host (IP literals only for the loopback interface).
 */
export function parseClientId(raw: string | undefined): URL {
  if (!raw) throw invalidRequest('client_id is missing.')
  if (raw.length > 2000) throw invalidRequest('client_id is too long.')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw invalidRequest('client_id is not a URL.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidRequest('client_id must be an http(s) URL.')
  if (raw.includes('#')) throw invalidRequest('client_id must not contain a fragment (#…).')
  if (url.username || url.password) throw invalidRequest('client_id must not carry a user name or password.')
  if (hasDotSegment(raw)) throw invalidRequest('client_id must not contain "." or ".." path segments.')
  const bare = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(bare) !== 0 && !isLoopbackHost(url.hostname)) throw invalidRequest('client_id must name its host by domain name; of IP addresses only 127.0.0.1 and [::1] are allowed.')
  return url
}

/** Schemes that must never receive a code, whoever publishes them. */
const FORBIDDEN_REDIRECT_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'filesystem:'])

/**
 * A redirect URI: an absolute URL without fragment or user info. http(s) is the common case; a
 * private-use scheme (`com.example.app:/callback`, RFC 8252 §7.1) is only accepted when the client's own
 * document publishes it.
 */
export function parseRedirectUri(raw: string | undefined): URL {
  if (!raw) throw invalidRequest('redirect_uri is missing.')
  if (raw.length > 2000) throw invalidRequest('redirect_uri is too long.')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw invalidRequest('redirect_uri is not a URL.')
  }
  if (FORBIDDEN_REDIRECT_SCHEMES.has(url.protocol)) throw invalidRequest(`redirect_uri must not use the ${url.protocol} scheme.`)
  if (raw.includes('#')) throw invalidRequest('redirect_uri must not contain a fragment (#…).')
  if (url.username || url.password) throw invalidRequest('redirect_uri must not carry a user name or password.')
  return url
}

function isHttp(url: URL): boolean {
  return url.protocol === 'http:' || url.protocol === 'https:'
}

/** Loopback http redirect URIs match whatever port the app picked at run time (RFC 8252 §7.3). */
function isLoopbackRedirect(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackHost(url.hostname)
}

/** redirect_uri is trusted without asking the client when it has client_id's scheme, host and port (or is loopback on client_id's loopback host). */
export function sameOriginAsClient(client: URL, redirect: URL): boolean {
  if (!isHttp(redirect)) return false
  if (redirect.origin === client.origin) return true
  return isLoopbackRedirect(redirect) && redirect.protocol === client.protocol && redirect.hostname === client.hostname
}

/** Does `redirect` equal one the client published? Loopback ones may differ in port only. */
export function matchesPublished(redirect: URL, published: readonly string[]): boolean {
  return published.some((entry) => {
    let candidate: URL
    try {
      candidate = new URL(entry)
    } catch {
      return false
    }
    if (candidate.href === redirect.href) return true
    if (!isLoopbackRedirect(candidate) || !isLoopbackRedirect(redirect)) return false
    return candidate.hostname === redirect.hostname && candidate.pathname === redirect.pathname && candidate.search === redirect.search
  })
}

export interface AuthorizationParams {
  clientId: string
  redirectUri: string
  state: string
  codeChallenge: string
  scopes: string[]
}

function one(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/

/** RFC 7636 §4.1: a code_verifier is 43–128 unreserved characters. */
export function checkCodeVerifier(verifier: string): void {
  if (!PKCE_VALUE.test(verifier)) throw invalidRequest('code_verifier must be 43 to 128 characters from A–Z, a–z, 0–9 and "-._~" (RFC 7636).')
}

/**
 * Everything about an authorization request that can be checked without the network. Every problem is
 * thrown (and shown to the person as an error page): nothing is redirected to a client before the
 * author has approved it (RFC 9700 §4.11). Whether redirect_uri belongs to client_id is checked next.
 */
export function readAuthorizationRequest(source: Record<string, unknown>): { params: AuthorizationParams; client: URL; redirect: URL } {
  const client = parseClientId(one(source.client_id))
  const redirect = parseRedirectUri(one(source.redirect_uri))
  const responseType = one(source.response_type) ?? 'code'
  if (responseType !== 'code' && responseType !== 'id') throw invalidRequest('only response_type=code is supported.')
  const state = one(source.state)
  if (!state) throw invalidRequest('state is missing; the app must send one to protect its sign-in.')
  if (state.length > 2000) throw invalidRequest('state is too long (over 2000 characters).')
  const codeChallenge = one(source.code_challenge)
  if (!codeChallenge || one(source.code_challenge_method) !== 'S256') throw invalidRequest('PKCE with code_challenge_method=S256 is required.')
  if (!PKCE_VALUE.test(codeChallenge)) throw invalidRequest('code_challenge must be 43 to 128 characters (base64url of a SHA-256).')
  const params: AuthorizationParams = {
    clientId: client.href,
    redirectUri: redirect.href,
    state,
    codeChallenge,
    scopes: normalizeScopes((one(source.scope) ?? one(source.requested_scope) ?? '').split(/\s+/).filter(Boolean)),
  }
  return { params, client, redirect }
}
