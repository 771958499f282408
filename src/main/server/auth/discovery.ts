import { Parser } from 'htmlparser2'
import type LinkHeader from 'http-link-header'
import { appError } from '../errors'
import { isOutboundError, type Outbound, type OutboundRequest } from '../outbound'
import { lazyRequire } from '../lazy'

/** Loaded the first time a Link header is read (see lazy/). */
const linkHeader = lazyRequire<typeof LinkHeader>('http-link-header')

/** What a profile URL advertises (IndieAuth §4.1). */
export interface IndieAuthEndpoints {
  authorizationEndpoint: string | null
  tokenEndpoint: string | null
  /** The metadata's issuer; set exactly when metadata was used, so the callback must carry the same `iss`. */
  issuer: string | null
  /** How they were found, for logs and tests. */
  via: 'metadata' | 'link-header' | 'html-link' | 'none'
}

/**
 * The profile URL in canonical form (IndieAuth §3.4): http(s) only, scheme and host lower-case,
 * a path of at least "/", no fragment, no credentials. Null when it is not a valid profile URL.
 */
export function normalizeMe(value: string): string | null {
  let url: URL
  try {
    url = new URL(value.includes('://') ? value : `https://${value}`)
  } catch {
    return null
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
  if (url.username || url.password) return null
  url.hash = ''
  // URL lower-cases scheme and host and turns an empty path into "/".
  return url.href
}

/** rel values of <link> elements in an HTML document, first occurrence wins, hrefs resolved against base. */
export function htmlLinkRels(html: string, base: string): Map<string, string> {
  const rels = new Map<string, string>()
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name !== 'link' || !attributes.rel || attributes.href === undefined) return
        for (const rel of attributes.rel.toLowerCase().split(/\s+/).filter(Boolean)) {
          if (rels.has(rel)) continue
          try {
            rels.set(rel, new URL(attributes.href, base).href)
          } catch {
            // An unparseable href is ignored like a browser would.
          }
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  )
  parser.write(html)
  parser.end()
  return rels
}

/** rel values from HTTP Link headers, first occurrence wins, resolved against base. */
export function headerLinkRels(header: string | null, base: string): Map<string, string> {
  const rels = new Map<string, string>()
  if (!header) return rels
  let parsed: LinkHeader
  try {
    parsed = linkHeader().parse(header)
  } catch {
    return rels
  }
  for (const ref of parsed.refs) {
    for (const rel of ref.rel.toLowerCase().split(/\s+/).filter(Boolean)) {
      if (rels.has(rel)) continue
      try {
        rels.set(rel, new URL(ref.uri, base).href)
      } catch {
        // ignore unparseable targets
      }
    }
  }
  return rels
}

function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null
  } catch {
    return null
  }
}

/**
 * An issuer identifier as IndieAuth §4.1.1 / RFC 8414 define it: an http(s) URL without query or fragment
 * that is a prefix of the metadata URL it was served from. Null when it is not one.
 */
export function validIssuer(value: unknown, metadataUrl: string): string | null {
  if (typeof value !== 'string' || !value) return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return null
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
  if (url.search || url.hash || value.includes('?') || value.includes('#')) return null
  // Compare the canonical forms, so a host's case or a default port does not decide.
  const metadata = new URL(metadataUrl)
  metadata.search = ''
  metadata.hash = ''
  return metadata.href.startsWith(url.href) ? value : null
}

function unavailable(detail: string, cause?: unknown) {
  return appError('INDIEAUTH_UNAVAILABLE', { vars: { detail }, ...(cause === undefined ? {} : { cause }) })
}

/** An outbound failure as the sign-in error people see; "outbound is off" stays its own error. */
export function asUnavailable(err: unknown): unknown {
  if (isOutboundError(err) && err.reason !== 'disabled') return unavailable(err.detail, err)
  return err
}

export interface DiscoverOptions {
  /** Per-request limits and policy passed to the outbound fetch. */
  request?: Pick<OutboundRequest, 'timeoutMs' | 'maxBodyBytes' | 'refuseOrigins'>
}

/**
 * The one IndieAuth discovery: fetch the profile, read its Link header and HTML <link> rels, prefer
 * indieauth-metadata (whose issuer must be valid and a prefix of the metadata URL) over the legacy
 * authorization_endpoint / token_endpoint rels. Throws INDIEAUTH_UNAVAILABLE (or OUTBOUND_DISABLED).
 */
export async function discoverIndieAuth(outbound: Outbound, me: string, options: DiscoverOptions = {}): Promise<IndieAuthEndpoints> {
  try {
    const profile = await outbound.fetchText(me, {
      ...options.request,
      purpose: 'your profile URL',
      headers: { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5' },
    })
    if (profile.status < 200 || profile.status > 299) throw unavailable(`your profile URL (${me}) answered HTTP ${profile.status}.`)
    const base = profile.url
    const fromHeader = headerLinkRels(profile.headers.get('link'), base)
    const type = profile.headers.get('content-type') ?? ''
    const fromHtml = type.includes('html') || type === '' ? htmlLinkRels(profile.text, base) : new Map<string, string>()
    const pick = (rel: string): { href: string; via: 'link-header' | 'html-link' } | null => {
      const header = fromHeader.get(rel)
      if (header) return { href: header, via: 'link-header' }
      const html = fromHtml.get(rel)
      return html ? { href: html, via: 'html-link' } : null
    }

    const metadataLink = pick('indieauth-metadata')
    if (metadataLink) {
      const where = `the IndieAuth metadata at ${metadataLink.href}`
      const res = await outbound.fetchText(metadataLink.href, { ...options.request, purpose: 'the IndieAuth metadata', headers: { accept: 'application/json' } })
      if (res.status < 200 || res.status > 299) throw unavailable(`${where} answered HTTP ${res.status}.`)
      let metadata: unknown
      try {
        metadata = JSON.parse(res.text)
      } catch {
        throw unavailable(`${where} is not valid JSON.`)
      }
      if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) throw unavailable(`${where} is not a JSON object.`)
      const fields = metadata as Record<string, unknown>
      const issuer = validIssuer(fields.issuer, metadataLink.href)
      if (!issuer) throw unavailable(`${where} names no valid issuer (an http(s) URL that is a prefix of the metadata URL).`)
      return {
        authorizationEndpoint: httpUrl(fields.authorization_endpoint),
        tokenEndpoint: httpUrl(fields.token_endpoint),
        issuer,
        via: 'metadata',
      }
    }
    // Older servers advertise the endpoints directly.
    const authorization = pick('authorization_endpoint')
    const token = pick('token_endpoint')
    const via = authorization?.via ?? token?.via ?? 'none'
    return { authorizationEndpoint: httpUrl(authorization?.href), tokenEndpoint: httpUrl(token?.href), issuer: null, via }
  } catch (err) {
    throw asUnavailable(err)
  }
}
