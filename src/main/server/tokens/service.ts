import type { Config } from '../config'
import type { Connection, Db } from '../db'
import { appError } from '../errors'
import type { Logger } from '../logging'
import type { Outbound } from '../outbound'
import { pkceChallenge, randomToken, safeEqual, sha256Hex } from '../auth'
import { normalizeMe } from '../auth'
import { createExternalVerifier } from './external'
import type {
  AuthorizationRequest,
  CreatePersonalTokenInput,
  IssuedTokens,
  RedeemCodeInput,
  RedeemedCode,
  RedeemResult,
  RefreshInput,
  RefreshResult,
  TokenGrant,
  TokenSummary,
  TokensService,
  VerifyResult,
} from './types'
import { SUPPORTED_SCOPES } from './types'

export interface TokensServiceDeps {
  db: Db
  config: Config
  logger: Logger
  /** The public base URL (no trailing slash): the final site URL (see site.ts). */
  siteBase: () => string
  /** The URL this server listens on, once listening: never asked to verify a token (nor is the site URL). */
  listeningUrl?: () => string | null
  /** The server's one bounded outbound fetch (external token verification). */
  outbound: Outbound
  now?: () => number
  /** Options for the external verifier (tests shorten the timeout). */
  external?: { timeoutMs?: number; cacheMs?: number; failureCacheMs?: number }
}

/** Authorization codes live 10 minutes at most (IndieAuth recommends short-lived codes). */
export const CODE_LIFETIME_MS = 10 * 60_000
/** Personal tokens are recognisable in leaks and secret scanners. */
const PERSONAL_PREFIX = 'spp_'
const INDIEAUTH_PREFIX = 'spa_'
const REFRESH_PREFIX = 'spr_'
/** last_used_at is written at most this often per token, so verification stays a read. */
const LAST_USED_RESOLUTION_MS = 60_000

interface TokenRow {
  id: number
  source: 'personal' | 'indieauth'
  name: string
  client_id: string | null
  me: string
  scope: string
  created_at: number
  expires_at: number | null
  revoked_at: number | null
  last_used_at: number | null
}

function toSummary(row: TokenRow): TokenSummary {
  return {
    id: row.id,
    source: row.source,
    name: row.name,
    clientId: row.client_id,
    scopes: row.scope.split(' ').filter(Boolean),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }
}

/** Keep only scopes we know, once each, in a stable order. */
export function normalizeScopes(scopes: Iterable<string>): string[] {
  const wanted = new Set(scopes)
  return SUPPORTED_SCOPES.filter((scope) => wanted.has(scope))
}

export function createTokensService(deps: TokensServiceDeps): TokensService {
  const { db, config } = deps
  const now = deps.now ?? Date.now
  const siteMe = () => `${deps.siteBase()}/`
  const adminMe = config.adminMe ? normalizeMe(config.adminMe) : null
  let externalVerifier: ReturnType<typeof createExternalVerifier> | null | undefined
  // Built lazily: the site's own URL is only known once the server listens (port 0 in tests).
  // The site is its own identity when ADMIN_ME is unset or points at this site: nothing external to ask.
  const external = () => {
    if (externalVerifier === undefined) {
      externalVerifier =
        adminMe && adminMe !== siteMe()
          ? createExternalVerifier({
              adminMe,
              outbound: deps.outbound,
              ownOrigins: () => [config.siteUrl, deps.siteBase(), deps.listeningUrl?.() ?? ''].filter(Boolean),
              logger: deps.logger.child({ component: 'token-verify' }),
              ...deps.external,
              now,
            })
          : null
    }
    return externalVerifier
  }

  async function insertToken(source: 'personal' | 'indieauth', name: string, clientId: string | null, scopes: string[], expiresAt: number | null) {
    const prefix = source === 'personal' ? PERSONAL_PREFIX : INDIEAUTH_PREFIX
    const token = prefix + randomToken()
    const createdAt = now()
    const id = await db.write((conn) =>
      Number(
        conn
          .prepare('INSERT INTO tokens (token_hash, source, name, client_id, me, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(sha256Hex(token), source, name, clientId, siteMe(), scopes.join(' '), createdAt, expiresAt).lastInsertRowid,
      ),
    )
    const summary: TokenSummary = { id, source, name, clientId, scopes, createdAt, expiresAt, lastUsedAt: null, revokedAt: null }
    return { token, summary }
  }

  /** Built-in provider tokens live this long after their last use; refresh tokens one more lifetime after that. */
  const lifetimeMs = () => config.indieauth.tokenLifetimeSeconds * 1000

  function newTokenValues(at: number) {
    return {
      token: INDIEAUTH_PREFIX + randomToken(),
      refreshToken: REFRESH_PREFIX + randomToken(),
      expiresAt: at + lifetimeMs(),
      refreshExpiresAt: at + 2 * lifetimeMs(),
    }
  }

  /** Inside the redemption's write transaction: the token row, tied to the code it came from. */
  function insertIndieAuthToken(conn: Connection, code: RedeemedCode, codeHash: string, at: number): IssuedTokens {
    let name = code.clientId
    try {
      name = new URL(code.clientId).host
    } catch {
      // client_id was validated when the code was issued; keep it verbatim if it somehow isn't a URL.
    }
    const issued = newTokenValues(at)
    conn
      .prepare(
        'INSERT INTO tokens (token_hash, source, name, client_id, me, scope, created_at, expires_at, code_hash, refresh_hash, refresh_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(sha256Hex(issued.token), 'indieauth', name, code.clientId, code.me, code.scopes.join(' '), at, issued.expiresAt, codeHash, sha256Hex(issued.refreshToken), issued.refreshExpiresAt)
    return { token: issued.token, refreshToken: issued.refreshToken, expiresIn: lifetimeMs() / 1000 }
  }

  return {
    get me() {
      return siteMe()
    },

    async createPersonal(input: CreatePersonalTokenInput) {
      const name = input.name.trim()
      if (!name || name.length > 100) throw appError('BAD_REQUEST', { vars: { detail: 'a token needs a name of 1 to 100 characters.' } })
      const scopes = normalizeScopes(input.scopes)
      if (scopes.length === 0) throw appError('BAD_REQUEST', { vars: { detail: 'choose at least one scope.' } })
      if (input.expiresAt !== null && !(input.expiresAt > now())) throw appError('BAD_REQUEST', { vars: { detail: 'the expiry must be in the future.' } })
      const created = await insertToken('personal', name, null, scopes, input.expiresAt)
      deps.logger.info('personal token created', { tokenId: created.summary.id, scopes: scopes.join(' ') })
      return created
    },

    async list() {
      const rows = await db.all<TokenRow>(
        'SELECT id, source, name, client_id, me, scope, created_at, expires_at, revoked_at, last_used_at FROM tokens ORDER BY revoked_at IS NOT NULL, created_at DESC, id DESC',
      )
      return rows.map(toSummary)
    },

    async revokeById(id) {
      const changed = await db.write((conn) => conn.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now(), id).changes)
      if (changed > 0) deps.logger.info('token revoked', { tokenId: id })
      return changed > 0
    },

    async revokeByValue(token) {
      const changed = await db.write((conn) =>
        // RFC 7009: either the access or the refresh token ends the whole grant (they share one row).
        conn.prepare('UPDATE tokens SET revoked_at = ? WHERE (token_hash = ? OR refresh_hash = ?) AND revoked_at IS NULL').run(now(), sha256Hex(token), sha256Hex(token)).changes,
      )
      if (changed > 0) deps.logger.info('token revoked by its holder')
    },

    async verify(token, options): Promise<VerifyResult> {
      if (!token || token.length > 4096) return { ok: false, reason: 'invalid' }
      const row = await db.get<TokenRow>(
        'SELECT id, source, name, client_id, me, scope, created_at, expires_at, revoked_at, last_used_at FROM tokens WHERE token_hash = ?',
        [sha256Hex(token)],
      )
      const at = now()
      if (row) {
        if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= at)) return { ok: false, reason: 'invalid' }
        if (row.last_used_at === null || at - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
          // Built-in provider tokens slide: in use, they never expire, so a client that ignores refresh tokens stays signed in.
          // Rows from before expiry existed keep expires_at NULL (never), as do personal tokens with no expiry.
          await db.write((conn) =>
            conn
              .prepare(
                "UPDATE tokens SET last_used_at = ?, expires_at = CASE WHEN source = 'indieauth' AND expires_at IS NOT NULL THEN ? ELSE expires_at END, refresh_expires_at = CASE WHEN refresh_expires_at IS NOT NULL THEN ? ELSE NULL END WHERE id = ?",
              )
              .run(at, at + lifetimeMs(), at + 2 * lifetimeMs(), row.id),
          )
        }
        const grant: TokenGrant = { me: row.me, scopes: row.scope.split(' ').filter(Boolean), clientId: row.client_id, source: row.source, id: row.id }
        return { ok: true, grant }
      }
      // Our own tokens have a recognisable prefix: an unknown one is simply invalid, no need to ask elsewhere.
      const verifier = external()
      if (!verifier || options?.localOnly || token.startsWith(PERSONAL_PREFIX) || token.startsWith(INDIEAUTH_PREFIX) || token.startsWith(REFRESH_PREFIX)) return { ok: false, reason: 'invalid' }
      return verifier.verify(token)
    },

    async issueCode(request: AuthorizationRequest) {
      const code = randomToken()
      const createdAt = now()
      await db.write((conn) => {
        // Expired codes are swept whenever a new one is issued: the table stays tiny.
        conn.prepare('DELETE FROM authorization_codes WHERE expires_at < ?').run(createdAt)
        conn
          .prepare(
            'INSERT INTO authorization_codes (code_hash, client_id, redirect_uri, scope, me, code_challenge, code_challenge_method, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(sha256Hex(code), request.clientId, request.redirectUri, normalizeScopes(request.scopes).join(' '), siteMe(), request.codeChallenge, request.codeChallengeMethod, createdAt, createdAt + CODE_LIFETIME_MS)
      })
      return code
    },

    async redeemCode(input: RedeemCodeInput, options: { issueToken: boolean }): Promise<RedeemResult> {
      const at = now()
      const codeHash = sha256Hex(input.code)
      // One write transaction: marking the code used, the checks and the new token's row, so two racing
      // redemptions cannot both win and a replay cannot slip in between the redemption and the token.
      const result = await db.write((conn): { ok: false; replayedRevoked: number | null } | { ok: true; code: RedeemedCode; issued: IssuedTokens | null } => {
        const found = conn
          .prepare('SELECT client_id, redirect_uri, scope, me, code_challenge, expires_at, used_at FROM authorization_codes WHERE code_hash = ?')
          .get(codeHash) as
          | { client_id: string; redirect_uri: string; scope: string; me: string; code_challenge: string; expires_at: number; used_at: number | null }
          | undefined
        if (!found || found.used_at !== null) {
          // A used code (or one already swept) presented again: whoever holds it may have stolen it, so every
          // token issued from it is revoked (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
          const revoked = conn.prepare('UPDATE tokens SET revoked_at = ? WHERE code_hash = ? AND revoked_at IS NULL').run(at, codeHash).changes
          // null: a code we never issued (nothing to report); a number: a replay, and how many tokens it ended.
          return { ok: false, replayedRevoked: found || revoked > 0 ? revoked : null }
        }
        conn.prepare('UPDATE authorization_codes SET used_at = ? WHERE code_hash = ?').run(at, codeHash)
        if (found.expires_at <= at) return { ok: false, replayedRevoked: null }
        if (found.client_id !== input.clientId || found.redirect_uri !== input.redirectUri) return { ok: false, replayedRevoked: null }
        if (!input.codeVerifier || !safeEqual(pkceChallenge(input.codeVerifier), found.code_challenge)) return { ok: false, replayedRevoked: null }
        const code: RedeemedCode = { me: found.me, scopes: found.scope.split(' ').filter(Boolean), clientId: found.client_id }
        if (!options.issueToken) return { ok: true, code, issued: null }
        const scopes = code.scopes.filter((scope) => scope !== 'profile' && scope !== 'email')
        if (scopes.length === 0) return { ok: true, code, issued: null }
        return { ok: true, code, issued: insertIndieAuthToken(conn, code, codeHash, at) }
      })
      if (!result.ok) {
        if (result.replayedRevoked !== null) deps.logger.warn('authorization code replayed: tokens issued from it revoked', { clientId: input.clientId, revoked: result.replayedRevoked })
        throw appError('INDIEAUTH_INVALID_GRANT')
      }
      if (result.issued) deps.logger.info('access token issued', { clientId: result.code.clientId, scopes: result.code.scopes.join(' ') })
      return result
    },

    async refresh(input: RefreshInput): Promise<RefreshResult> {
      const at = now()
      const refreshHash = sha256Hex(input.refreshToken)
      const invalidRefresh = () => appError('INDIEAUTH_INVALID_GRANT', { message: 'The refresh token is invalid, expired, revoked or already used.' })
      if (input.refreshToken.length > 4096) throw invalidRefresh()
      const result = await db.write((conn): { ok: false; reused: boolean } | { ok: true; code: RedeemedCode; issued: IssuedTokens } => {
        const row = conn
          .prepare('SELECT id, client_id, me, scope, revoked_at, refresh_expires_at FROM tokens WHERE refresh_hash = ?')
          .get(refreshHash) as { id: number; client_id: string | null; me: string; scope: string; revoked_at: number | null; refresh_expires_at: number | null } | undefined
        if (!row) {
          // A refresh token that was already rotated away: it leaked (or the client replays it); end that sign-in.
          const reused = conn.prepare('UPDATE tokens SET revoked_at = ? WHERE previous_refresh_hash = ? AND revoked_at IS NULL').run(at, refreshHash).changes
          return { ok: false, reused: reused > 0 }
        }
        if (row.revoked_at !== null || row.refresh_expires_at === null || row.refresh_expires_at <= at || row.client_id !== input.clientId) return { ok: false, reused: false }
        const granted = row.scope.split(' ').filter(Boolean)
        const scopes = input.scopes ? normalizeScopes(input.scopes) : granted
        if (scopes.length === 0 || scopes.some((scope) => !granted.includes(scope))) return { ok: false, reused: false }
        const issued = newTokenValues(at)
        conn
          .prepare('UPDATE tokens SET token_hash = ?, refresh_hash = ?, previous_refresh_hash = ?, scope = ?, expires_at = ?, refresh_expires_at = ? WHERE id = ?')
          .run(sha256Hex(issued.token), sha256Hex(issued.refreshToken), refreshHash, scopes.join(' '), issued.expiresAt, issued.refreshExpiresAt, row.id)
        return { ok: true, code: { me: row.me, scopes, clientId: row.client_id }, issued: { token: issued.token, refreshToken: issued.refreshToken, expiresIn: lifetimeMs() / 1000 } }
      })
      if (!result.ok) {
        if (result.reused) deps.logger.warn('refresh token used twice: the sign-in it belongs to is revoked', { clientId: input.clientId })
        throw invalidRefresh()
      }
      deps.logger.info('access token refreshed', { clientId: result.code.clientId })
      return result
    },
  }
}
