/**
 * The redirect URIs an IndieAuth client publishes at its client_id (IndieAuth §4.2.1/§4.2.2): `redirect_uris`
 * in a JSON client metadata document, or `rel="redirect_uri"` in an HTML `<link>` or an HTTP `Link` header.
 * Fetched through the server's one bounded outbound fetch, only when redirect_uri is not on client_id's own
 * origin (a native app with a private-use scheme, or a web app that signs in on another host).
 */
import { Parser } from 'htmlparser2'
import type LinkHeader from 'http-link-header'
import { appError } from '../errors'
import { isOutboundError, type Outbound } from '../outbound'
import { lazyRequire } from '../lazy'

/** Loaded the first time a Link header is read (see lazy/). */
const linkHeader = lazyRequire<typeof LinkHeader>('http-link-header')

export interface ClientMetadataDeps {
  outbound: Outbound
  /** This server's own origins: a client_id document is never fetched from ourselves. */
  ownOrigins: () => readonly string[]
}

/** At most this many redirect URIs are read from one document (a client needs a handful). */
const MAX_REDIRECT_URIS = 50
/** A client document is small; this leaves room for an ordinary HTML home page. */
const MAX_DOCUMENT_BYTES = 512 * 1024

function absolute(value: unknown, base: string): string | null {
  if (typeof value !== 'string' || !value) return null
  try {
    return new URL(value, base).href
  } catch {
    return null
  }
}

function fromLinkHeader(header: string | null, base: string): string[] {
  if (!header) return []
  try {
    return linkHeader().parse(header)
      .rel('redirect_uri')
      .map((ref) => absolute(ref.uri, base))
      .filter((uri): uri is string => uri !== null)
  } catch {
    return []
  }
}

function fromHtml(html: string, base: string): string[] {
  const found: string[] = []
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name !== 'link' || !attributes.rel || attributes.href === undefined) return
        if (!attributes.rel.toLowerCase().split(/\s+/).includes('redirect_uri')) return
        const uri = absolute(attributes.href, base)
        if (uri) found.push(uri)
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  )
  parser.write(html)
  parser.end()
  return found
}

/** JSON client metadata: its client_id must be the URL it was fetched for, else nothing in it is trusted. */
function fromJson(text: string, clientId: URL): string[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return []
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return []
  const { client_id: declared, redirect_uris: uris } = doc as Record<string, unknown>
  if (declared !== undefined && absolute(declared, clientId.href) !== clientId.href) {
    throw appError('INDIEAUTH_INVALID_REQUEST', { vars: { detail: "the client metadata document names another client_id than the URL it was fetched from." } })
  }
  if (!Array.isArray(uris)) return []
  return uris.map((uri) => absolute(uri, clientId.href)).filter((uri): uri is string => uri !== null && !uri.startsWith('javascript:'))
}

function looksLikeJson(contentType: string | null, text: string): boolean {
  if (contentType && /^application\/([\w.+-]*\+)?json\b/i.test(contentType)) return true
  return !contentType && text.trimStart().startsWith('{')
}

/** The redirect URIs published at client_id. Throws when the document cannot be fetched (outbound off, unreachable, not 2xx). */
export function createClientRedirectLookup(deps: ClientMetadataDeps): (clientId: URL) => Promise<readonly string[]> {
  return async (clientId) => {
    let res: Awaited<ReturnType<Outbound['fetchText']>>
    try {
      res = await deps.outbound.fetchText(clientId.href, {
        headers: { accept: 'application/json, text/html;q=0.9, */*;q=0.1' },
        maxBodyBytes: MAX_DOCUMENT_BYTES,
        refuseOrigins: deps.ownOrigins(),
        purpose: 'the app\'s page (client_id)',
      })
    } catch (err) {
      if (isOutboundError(err)) throw appError('INDIEAUTH_INVALID_REQUEST', { vars: { detail: `redirect_uri is not on the origin of client_id, and the app's page could not be fetched to confirm it: ${err.detail}` }, cause: err })
      throw err
    }
    if (res.status < 200 || res.status > 299) {
      throw appError('INDIEAUTH_INVALID_REQUEST', { vars: { detail: `redirect_uri is not on the origin of client_id, and the app's page answered ${res.status} when asked to confirm it.` } })
    }
    // Relative references resolve against where the document really came from (after redirects).
    const found = [...fromLinkHeader(res.headers.get('link'), res.url)]
    const contentType = res.headers.get('content-type')
    if (looksLikeJson(contentType, res.text)) found.push(...fromJson(res.text, clientId))
    else if (!contentType || /html/i.test(contentType)) found.push(...fromHtml(res.text, res.url))
    return [...new Set(found)].slice(0, MAX_REDIRECT_URIS)
  }
}
