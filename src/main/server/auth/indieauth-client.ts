import { Parser } from 'htmlparser2'
import LinkHeader from 'http-link-header'
import type { Db } from '../db'
import { AppError, appError } from '../errors'
import type { Logger } from '../logging'
import type { Clock } from './clock'
import { pkceChallenge, randomToken, sha256Hex } from './crypto'
import { safeNext } from './redirect'

export type FetchLike = typeof fetch

export interface IndieAuthEndpoints {
  authorizationEndpoint: string
  tokenEndpoint: string | null
  /** From indieauth-metadata; when present the callback must carry the same `iss`. */
  issuer: string | null
  /** How they were found, for logs and tests. */
  via: 'metadata' | 'link-header' | 'html-link'
}

export interface IndieAuthClientOptions {
  db: Db
  clock: Clock
  logger: Logger
  fetch: FetchLike
  timeoutMs: number
  /** Largest discovery document read, bytes. */
  maxBodyBytes?: number
}

interface AuthStateRow {
  state: string
  code_verifier: string
  me: string
  authorization_endpoint: string
  redirect_to: string | null
  expires_at: number
  issuer: string | null
}

const STATE_TTL_MS = 10 * 60_000

/**
 * The profile URL in canonical form (IndieAuth §3.4): http(s) only, scheme and host lower-case,
 * a path of at least "/", no fragment, no credentials, no port-less ambiguity. Null when it is not a valid profile URL.
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
    parsed = LinkHeader.parse(header)
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

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

/** The IndieAuth client the admin signs in with: discovery, state + PKCE, code redemption, `me` check. */
export class IndieAuthClient {
  private readonly maxBodyBytes: number

  constructor(private readonly options: IndieAuthClientOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  }

  /** Find the authorization endpoint for a profile URL: Link header, then HTML <link>; metadata preferred. */
  async discover(me: string): Promise<IndieAuthEndpoints> {
    const profile = await this.request(me, { headers: { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5' } }, 'your profile URL')
    const base = profile.url || me
    const fromHeader = headerLinkRels(profile.headers.get('link'), base)
    const type = profile.headers.get('content-type') ?? ''
    const body = await this.readBody(profile, 'your profile URL')
    const fromHtml = type.includes('html') || type === '' ? htmlLinkRels(body, base) : new Map<string, string>()
    const pick = (rel: string): { href: string; via: 'link-header' | 'html-link' } | null => {
      const header = fromHeader.get(rel)
      if (header) return { href: header, via: 'link-header' }
      const html = fromHtml.get(rel)
      return html ? { href: html, via: 'html-link' } : null
    }

    const metadataLink = pick('indieauth-metadata')
    if (metadataLink) {
      const res = await this.request(metadataLink.href, { headers: { accept: 'application/json' } }, 'the IndieAuth metadata')
      let metadata: Record<string, unknown>
      try {
        metadata = JSON.parse(await this.readBody(res, 'the IndieAuth metadata')) as Record<string, unknown>
      } catch {
        throw this.unavailable(`the IndieAuth metadata at ${metadataLink.href} is not valid JSON.`)
      }
      if (!metadata || typeof metadata !== 'object' || !isHttpUrl(metadata.authorization_endpoint)) {
        throw this.unavailable(`the IndieAuth metadata at ${metadataLink.href} names no valid authorization_endpoint.`)
      }
      return {
        authorizationEndpoint: metadata.authorization_endpoint,
        tokenEndpoint: isHttpUrl(metadata.token_endpoint) ? metadata.token_endpoint : null,
        issuer: typeof metadata.issuer === 'string' && metadata.issuer ? metadata.issuer : null,
        via: 'metadata',
      }
    }
    // Older servers advertise the endpoints directly.
    const authorization = pick('authorization_endpoint')
    if (!authorization || !isHttpUrl(authorization.href)) {
      throw this.unavailable(`${me} advertises no IndieAuth server (no indieauth-metadata or authorization_endpoint link).`)
    }
    const token = pick('token_endpoint')
    return { authorizationEndpoint: authorization.href, tokenEndpoint: token?.href ?? null, issuer: null, via: authorization.via }
  }

  /** Begin sign-in: discover, store state + PKCE verifier, and return the URL to send the browser to. */
  async start(input: { me: string; clientId: string; redirectUri: string; next: string }): Promise<{ url: string; endpoints: IndieAuthEndpoints }> {
    const endpoints = await this.discover(input.me)
    const state = randomToken()
    const verifier = randomToken(48)
    const now = this.options.clock()
    await this.options.db.write((conn) =>
      conn
        .prepare(
          'INSERT INTO auth_state (state, code_verifier, me, authorization_endpoint, token_endpoint, redirect_to, created_at, expires_at, issuer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(sha256Hex(state), verifier, input.me, endpoints.authorizationEndpoint, endpoints.tokenEndpoint, safeNext(input.next), now, now + STATE_TTL_MS, endpoints.issuer),
    )
    const url = new URL(endpoints.authorizationEndpoint)
    url.searchParams.set('response_type', 'code')
    url.searchParams.set('client_id', input.clientId)
    url.searchParams.set('redirect_uri', input.redirectUri)
    url.searchParams.set('state', state)
    url.searchParams.set('code_challenge', pkceChallenge(verifier))
    url.searchParams.set('code_challenge_method', 'S256')
    url.searchParams.set('me', input.me)
    this.options.logger.info('indieauth sign-in started', { me: input.me, via: endpoints.via, authorizationEndpoint: endpoints.authorizationEndpoint })
    return { url: url.href, endpoints }
  }

  /**
   * Finish sign-in at the callback. Checks state (single use, unexpired), `iss`, redeems the code with
   * the PKCE verifier, and requires the returned `me` to be the configured admin. Returns the admin's `me`.
   */
  async finish(input: {
    query: Record<string, unknown>
    clientId: string
    redirectUri: string
    adminMe: string
    siteUrl: string
  }): Promise<{ me: string; next: string }> {
    const fail = (detail: string) => appError('LOGIN_FAILED', { vars: { detail, siteUrl: input.siteUrl } })
    const { query } = input
    const str = (name: string): string | null => (typeof query[name] === 'string' ? (query[name] as string) : null)
    const state = str('state')
    if (!state) throw fail('the IndieAuth server sent no state.')
    // Single use: the row is deleted as it is read, whatever happens next.
    const row = await this.options.db.write(
      (conn) => conn.prepare('DELETE FROM auth_state WHERE state = ? RETURNING *').get(sha256Hex(state)) as AuthStateRow | undefined,
    )
    if (!row) throw fail('this sign-in attempt is unknown or was already used.')
    if (row.expires_at <= this.options.clock()) throw fail('this sign-in attempt expired.')
    const error = str('error')
    if (error) {
      const description = str('error_description')
      throw fail(`the IndieAuth server refused: ${error}${description ? ` (${description.slice(0, 200)})` : ''}.`)
    }
    if (row.issuer !== null && str('iss') !== row.issuer) throw fail('the response did not come from the expected IndieAuth server (iss mismatch).')
    const code = str('code')
    if (!code) throw fail('the IndieAuth server sent no authorization code.')

    const res = await this.request(
      row.authorization_endpoint,
      {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          client_id: input.clientId,
          redirect_uri: input.redirectUri,
          code_verifier: row.code_verifier,
        }).toString(),
      },
      'the authorization endpoint',
      { allowClientErrors: true },
    )
    const text = await this.readBody(res, 'the authorization endpoint')
    let payload: Record<string, unknown> | null = null
    try {
      payload = JSON.parse(text) as Record<string, unknown>
    } catch {
      payload = null
    }
    if (!res.ok) {
      const reason = payload && typeof payload.error === 'string' ? payload.error : `HTTP ${res.status}`
      throw fail(`the IndieAuth server did not accept the authorization code (${reason.slice(0, 100)}).`)
    }
    if (!payload || typeof payload.me !== 'string') throw fail('the IndieAuth server answered without a `me`.')
    const returned = normalizeMe(payload.me)
    const expected = normalizeMe(input.adminMe)
    if (!returned || !expected || returned !== expected) {
      this.options.logger.warn('indieauth sign-in refused: not the admin', { me: payload.me })
      throw fail(`you signed in as ${payload.me.slice(0, 200)}, but this site's admin is ${input.adminMe}.`)
    }
    this.options.logger.info('indieauth sign-in verified', { me: returned })
    return { me: expected, next: row.redirect_to ?? '/admin' }
  }

  async cleanup(): Promise<number> {
    const now = this.options.clock()
    return this.options.db.write((conn) => conn.prepare('DELETE FROM auth_state WHERE expires_at <= ?').run(now).changes)
  }

  private unavailable(detail: string) {
    return appError('INDIEAUTH_UNAVAILABLE', { vars: { detail } })
  }

  private async request(url: string, init: RequestInit, what: string, opts: { allowClientErrors?: boolean } = {}): Promise<Response> {
    let res: Response
    try {
      res = await this.options.fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(this.options.timeoutMs) })
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
      throw appError('INDIEAUTH_UNAVAILABLE', {
        vars: { detail: timedOut ? `${what} (${url}) did not answer within ${Math.round(this.options.timeoutMs / 1000)} s.` : `${what} (${url}) could not be reached.` },
        cause: err,
      })
    }
    if (!res.ok && !(opts.allowClientErrors && res.status >= 400 && res.status < 500)) {
      await res.body?.cancel().catch(() => undefined)
      throw this.unavailable(`${what} (${url}) answered HTTP ${res.status}.`)
    }
    return res
  }

  /** Read a response body up to maxBodyBytes (a hostile page cannot exhaust memory). */
  private async readBody(res: Response, what: string): Promise<string> {
    if (!res.body) return ''
    const reader = res.body.getReader()
    const chunks: Uint8Array[] = []
    let size = 0
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        size += value.byteLength
        if (size > this.maxBodyBytes) {
          await reader.cancel().catch(() => undefined)
          throw this.unavailable(`${what} is larger than ${this.maxBodyBytes} bytes.`)
        }
        chunks.push(value)
      }
    } catch (err) {
      if (err instanceof AppError) throw err
      throw appError('INDIEAUTH_UNAVAILABLE', { vars: { detail: `${what} stopped answering mid-way.` }, cause: err })
    }
    return Buffer.concat(chunks).toString('utf8')
  }
}
