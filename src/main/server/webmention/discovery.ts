import type LinkHeader from 'http-link-header'
import { Parser } from 'htmlparser2'
import type { Outbound, OutboundRequest } from '../outbound'
import { lazyRequire } from '../lazy'

/** Loaded the first time a Link header is read (see lazy/). */
const linkHeader = lazyRequire<typeof LinkHeader>('http-link-header')

/** Largest target page read to find its endpoint: discovery needs the head, and pages put it there. */
export const DISCOVERY_MAX_BYTES = 1024 * 1024

/** What the target page advertises. `endpoint` is null when it names none (or did not answer 2xx). */
export interface DiscoveryResult {
  endpoint: string | null
  via: 'link-header' | 'html' | null
  /** The page URL after redirects (relative endpoints resolve against it). */
  pageUrl: string
  /** HTTP status of the page (a 5xx is worth another try later). */
  status: number
}

function hasWebmentionRel(rel: string | undefined): boolean {
  return rel !== undefined && rel.toLowerCase().split(/[\t\n\f\r ]+/).includes('webmention')
}

/** An http(s) endpoint resolved against the page, query kept, fragment dropped; null when unusable. */
function resolveEndpoint(href: string, base: string): string | null {
  let url: URL
  try {
    url = new URL(href, base)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  url.hash = ''
  return url.href
}

/** The first Link header value with rel=webmention (RFC 8288; several headers or values, rel token lists). */
export function endpointFromLinkHeader(header: string | null, base: string): string | null {
  if (!header) return null
  let parsed: LinkHeader
  try {
    parsed = linkHeader().parse(header)
  } catch {
    // A malformed header advertises nothing; the HTML may still.
    return null
  }
  for (const ref of parsed.refs) {
    if (hasWebmentionRel(ref.rel)) {
      const endpoint = resolveEndpoint(ref.uri, base)
      if (endpoint) return endpoint
    }
  }
  return null
}

/**
 * The first <link> or <a> with rel=webmention and an href, in document order. A tokenizing parser, not a
 * regular expression: comments, script and style contents and escaped text (`&lt;link …&gt;`) are never
 * elements, so nothing in them counts. An empty href is the page itself.
 */
export function endpointFromHtml(html: string, base: string): string | null {
  let found: string | null = null
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (found !== null || (name !== 'link' && name !== 'a')) return
        if (!hasWebmentionRel(attributes.rel) || attributes.href === undefined) return
        found = resolveEndpoint(attributes.href, base)
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  )
  parser.write(html)
  parser.end()
  return found
}

function isHtml(contentType: string | null): boolean {
  if (!contentType) return true // an untyped page is read as HTML, like a browser would
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  return type === 'text/html' || type === 'application/xhtml+xml'
}

/**
 * W3C Webmention §3.1.2: fetch the target (redirects followed, each checked by the outbound policy), then
 * the HTTP Link header first, then the HTML. Relative URLs resolve against the final URL after redirects.
 * Throws the outbound's errors (unreachable, refused, too large…); a page that advertises nothing has endpoint null.
 */
export async function discoverEndpoint(
  outbound: Outbound,
  target: string,
  request: Pick<OutboundRequest, 'timeoutMs' | 'refuseOrigins' | 'maxRedirects'> = {},
): Promise<DiscoveryResult> {
  const page = await outbound.fetchText(target, {
    ...request,
    maxBodyBytes: DISCOVERY_MAX_BYTES,
    headers: { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5' },
    purpose: 'the page a note links to',
  })
  const none: DiscoveryResult = { endpoint: null, via: null, pageUrl: page.url, status: page.status }
  if (page.status < 200 || page.status >= 300) return none
  const fromHeader = endpointFromLinkHeader(page.headers.get('link'), page.url)
  if (fromHeader) return { ...none, endpoint: fromHeader, via: 'link-header' }
  if (!isHtml(page.headers.get('content-type'))) return none
  const fromHtml = endpointFromHtml(page.text, page.url)
  return fromHtml ? { ...none, endpoint: fromHtml, via: 'html' } : none
}
