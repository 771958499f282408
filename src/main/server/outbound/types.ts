import type { Logger } from '../logging'

export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

/** Host name → addresses. Throws (or returns []) for an unknown host. Injectable so tests need no network. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>

export interface OutboundOptions {
  /** STARPUNK_FETCH_ENABLED: false refuses every request with OUTBOUND_DISABLED. */
  enabled: boolean
  /** STARPUNK_FETCH_ALLOW_PRIVATE: allow loopback, private, link-local, unique-local and reserved addresses. */
  allowPrivate: boolean
  /** Sent on every request; a function when the site URL is only known once listening. */
  userAgent: string | (() => string)
  /** Default: the operating system's resolver (dns.lookup). */
  resolver?: Resolver
  /** Defaults for every request (each can be lowered or raised per request). */
  timeoutMs?: number
  maxBodyBytes?: number
  maxRedirects?: number
  logger?: Logger
}

export interface OutboundRequest {
  method?: 'GET' | 'POST' | 'HEAD'
  /** Request headers. Authorization, Cookie and Proxy-Authorization are dropped when a redirect leaves the origin. */
  headers?: Record<string, string>
  /** POST body (already encoded; give its content-type in headers). */
  body?: string
  /** Total time for the whole request, redirects and body included, ms. */
  timeoutMs?: number
  /** Largest body read, bytes (Content-Length is checked first, then the bytes as they arrive). */
  maxBodyBytes?: number
  /** Redirects followed at most; 0 returns the 3xx itself. */
  maxRedirects?: number
  /**
   * Origins never contacted, on the first request or any redirect (e.g. this server's own site and
   * listening URLs, so a verification cannot call back into us). Also refused: a host that resolves to the
   * same address and port as one of them (an alias such as `www.`, or `localhost` for 127.0.0.1).
   */
  refuseOrigins?: readonly string[]
  /** What is being fetched, for error messages ("your profile URL", "the token endpoint"). */
  purpose?: string
}

export interface OutboundHead {
  /** HTTP status of the final response (after redirects). */
  status: number
  /** The final URL, after redirects. */
  url: string
  headers: Headers
  /** Every URL visited before the final one, in order. */
  redirects: string[]
}

export interface OutboundText extends OutboundHead {
  text: string
}

export interface OutboundBytes extends OutboundHead {
  /** The body as it arrived (capped). */
  body: Buffer
}

export interface OutboundJson extends OutboundHead {
  /** The parsed body. */
  json: unknown
}

/** Why an outbound request did not happen or did not finish. */
export type OutboundFailure =
  | 'disabled'
  | 'bad-url'
  | 'scheme'
  | 'private-address'
  | 'own-origin'
  | 'unknown-host'
  | 'unreachable'
  | 'timeout'
  | 'too-large'
  | 'too-many-redirects'
  | 'bad-redirect'
  | 'not-json'

/** The one way the server talks to the outside. */
export interface Outbound {
  readonly enabled: boolean
  readonly allowPrivate: boolean
  /** Fetch and return the body as UTF-8 text (capped). */
  fetchText(url: string, request?: OutboundRequest): Promise<OutboundText>
  /** Fetch and return the body as bytes (capped): images and other binary files. */
  fetchBytes(url: string, request?: OutboundRequest): Promise<OutboundBytes>
  /** Fetch and parse the body as JSON (capped); OUTBOUND_FAILED (not-json) when it is not JSON. */
  fetchJson(url: string, request?: OutboundRequest): Promise<OutboundJson>
  /** Follow redirects and return the final URL, status and headers; the body is not read. */
  fetchHead(url: string, request?: OutboundRequest): Promise<OutboundHead>
  /** Resolve the URL's host and apply the address and origin policy without connecting. */
  checkTarget(url: string, request?: Pick<OutboundRequest, 'refuseOrigins' | 'purpose'>): Promise<ResolvedAddress>
}
