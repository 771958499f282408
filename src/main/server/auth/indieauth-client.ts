import { createHash } from 'node:crypto'
import type { Db } from '../db'
import { appError } from '../errors'
import type { Logger } from '../logging'
import type { Outbound } from '../outbound'
import type { Clock } from './clock'
import { pkceChallenge, randomToken, safeEqual, sha256Hex } from './crypto'
import { asUnavailable, discoverIndieAuth, normalizeMe, type IndieAuthEndpoints } from './discovery'
import { safeNext } from './redirect'

export type { IndieAuthEndpoints } from './discovery'

export interface IndieAuthClientOptions {
  db: Db
  clock: Clock
  logger: Logger
  /** The server's one bounded outbound fetch. */
  outbound: Outbound
  /** Total time for each outbound IndieAuth request, ms. */
  timeoutMs: number
  /** Largest discovery document or token response read, bytes. */
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

export const STATE_TTL_MS = 10 * 60_000

/**
 * The state sent to the IndieAuth server is derived from a secret kept in the browser's cookie: the
 * callback is accepted only from the browser that holds it, and the state in the URL does not reveal it.
 */
export function stateForBrowserKey(browserKey: string): string {
  return createHash('sha256').update(`starpunk-login-state\0${browserKey}`).digest('base64url')
}

/** The IndieAuth client the admin signs in with: discovery, state + PKCE, code redemption, `me` check. */
export class IndieAuthClient {
  private readonly maxBodyBytes: number

  constructor(private readonly options: IndieAuthClientOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  }

  /** Find the authorization endpoint for a profile URL (the shared discovery; metadata preferred). */
  async discover(me: string): Promise<IndieAuthEndpoints & { authorizationEndpoint: string }> {
    const endpoints = await discoverIndieAuth(this.options.outbound, me, { request: { timeoutMs: this.options.timeoutMs, maxBodyBytes: this.maxBodyBytes } })
    const { authorizationEndpoint } = endpoints
    if (!authorizationEndpoint) {
      throw appError('INDIEAUTH_UNAVAILABLE', {
        vars: {
          detail:
            endpoints.via === 'metadata'
              ? `the IndieAuth metadata for ${me} names no valid authorization_endpoint.`
              : `${me} advertises no IndieAuth server (no indieauth-metadata or authorization_endpoint link).`,
        },
      })
    }
    return { ...endpoints, authorizationEndpoint }
  }

  /**
   * Begin sign-in: discover, store state + PKCE verifier, and return the URL to send the browser to.
   * `browserKey` goes into a short-lived cookie; the callback must bring it back (see stateForBrowserKey).
   */
  async start(input: { me: string; clientId: string; redirectUri: string; next: string }): Promise<{ url: string; endpoints: IndieAuthEndpoints; browserKey: string }> {
    const endpoints = await this.discover(input.me)
    const browserKey = randomToken()
    const state = stateForBrowserKey(browserKey)
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
    return { url: url.href, endpoints, browserKey }
  }

  /**
   * Finish sign-in at the callback. Checks the state belongs to this browser, is single use and unexpired,
   * checks `iss`, redeems the code with the PKCE verifier, and requires the returned `me` to be the
   * configured admin. Returns the admin's `me`.
   */
  async finish(input: {
    query: Record<string, unknown>
    /** The key from the login cookie of the browser making this request (null when it has none). */
    browserKey: string | null
    clientId: string
    redirectUri: string
    adminMe: string
    siteUrl: string
  }): Promise<{ me: string; next: string }> {
    const fail = (detail: string) => appError('LOGIN_FAILED', { vars: { detail, siteUrl: input.siteUrl } })
    const { query } = input
    const str = (name: string): string | null => {
      const value = query[name]
      return typeof value === 'string' ? value : null
    }
    const state = str('state')
    if (!state) throw fail('the IndieAuth server sent no state.')
    // Checked before the row is touched: a callback replayed from another browser cannot use up the owner's attempt.
    if (!input.browserKey || !safeEqual(stateForBrowserKey(input.browserKey), state)) {
      throw fail('this sign-in was started in another browser, or its cookie has expired. Start again from the login page in this browser.')
    }
    // Single use: the row is deleted as it is read, whatever happens next.
    const row = await this.options.db.write(
      (conn) => conn.prepare('DELETE FROM auth_state WHERE state = ? RETURNING *').get(sha256Hex(state)) as AuthStateRow | undefined,
    )
    if (!row) throw fail('this sign-in attempt is unknown or was already used.')
    if (row.expires_at <= this.options.clock()) throw fail('this sign-in attempt expired.')
    // Metadata always names an issuer (discovery refuses it otherwise), so a row with one came from metadata:
    // the response must then say who sent it (RFC 9207), error responses included.
    if (row.issuer !== null) {
      const iss = str('iss')
      if (iss === null) throw fail('the IndieAuth server sent no iss, so the response cannot be tied to it (iss missing).')
      if (iss !== row.issuer) throw fail('the response did not come from the expected IndieAuth server (iss mismatch).')
    }
    const error = str('error')
    if (error) {
      const description = str('error_description')
      throw fail(`the IndieAuth server refused: ${error}${description ? ` (${description.slice(0, 200)})` : ''}.`)
    }
    const code = str('code')
    if (!code) throw fail('the IndieAuth server sent no authorization code.')

    let res
    try {
      res = await this.options.outbound.fetchText(row.authorization_endpoint, {
        method: 'POST',
        purpose: 'the authorization endpoint',
        timeoutMs: this.options.timeoutMs,
        maxBodyBytes: this.maxBodyBytes,
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          client_id: input.clientId,
          redirect_uri: input.redirectUri,
          code_verifier: row.code_verifier,
        }).toString(),
      })
    } catch (err) {
      throw asUnavailable(err)
    }
    if (res.status >= 500 || res.status < 200 || (res.status > 299 && res.status < 400)) {
      throw appError('INDIEAUTH_UNAVAILABLE', { vars: { detail: `the authorization endpoint (${row.authorization_endpoint}) answered HTTP ${res.status}.` } })
    }
    let payload: Record<string, unknown> | null = null
    try {
      payload = JSON.parse(res.text) as Record<string, unknown>
    } catch {
      // Not JSON: the status decides the message below.
    }
    if (res.status >= 400) {
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
}
