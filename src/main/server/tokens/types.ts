/** The scopes a Micropub token can carry. `profile`/`email` only matter to the IndieAuth provider. */
export const MICROPUB_SCOPES = ['create', 'update', 'delete', 'undelete', 'media'] as const
export type MicropubScope = (typeof MICROPUB_SCOPES)[number]
export const SUPPORTED_SCOPES = [...MICROPUB_SCOPES, 'profile', 'email'] as const

export type TokenSource = 'personal' | 'indieauth' | 'external'

/** What a verified bearer token grants. Never carries the token value itself. */
export interface TokenGrant {
  me: string
  scopes: string[]
  clientId: string | null
  source: TokenSource
  /** Local row id (personal/indieauth); null for externally verified tokens. */
  id: number | null
}

/** One row of the admin's token list: no secret, no hash. */
export interface TokenSummary {
  id: number
  source: 'personal' | 'indieauth'
  name: string
  clientId: string | null
  scopes: string[]
  /** Epoch ms. */
  createdAt: number
  expiresAt: number | null
  lastUsedAt: number | null
  revokedAt: number | null
}

export interface CreatePersonalTokenInput {
  name: string
  scopes: string[]
  /** Epoch ms, or null for no expiry. */
  expiresAt: number | null
}

export interface AuthorizationRequest {
  clientId: string
  redirectUri: string
  scopes: string[]
  codeChallenge: string
  codeChallengeMethod: 'S256'
}

export interface RedeemCodeInput {
  code: string
  clientId: string
  redirectUri: string
  codeVerifier: string
}

export interface RedeemedCode {
  me: string
  scopes: string[]
  clientId: string
}

/** An access token and its refresh token from the built-in provider (values shown once, stored hashed). */
export interface IssuedTokens {
  token: string
  refreshToken: string
  /** Seconds; extended on every use. */
  expiresIn: number
}

/** A redeemed code, and the tokens issued for it (null for profile-only codes, or when none was asked). */
export interface RedeemResult {
  code: RedeemedCode
  issued: IssuedTokens | null
}

export interface RefreshInput {
  refreshToken: string
  clientId: string
  /** Narrower scopes to ask for; absent: the ones granted. */
  scopes?: string[]
}

export interface RefreshResult {
  code: { me: string; scopes: string[]; clientId: string | null }
  issued: IssuedTokens
}

/** Result of verifying a bearer token: the grant, or why not (no token value in either). */
export type VerifyResult = { ok: true; grant: TokenGrant } | { ok: false; reason: 'invalid' | 'unverifiable' }

/** Tokens for Micropub clients, from all three sources. Knows nothing of HTTP requests. */
export interface TokensService {
  /** The identity this site's owner signs in as with the built-in provider: `<siteUrl>/`. */
  readonly me: string
  createPersonal(input: CreatePersonalTokenInput): Promise<{ token: string; summary: TokenSummary }>
  list(): Promise<TokenSummary[]>
  /** Revoke by row id (admin page). Returns false when no such active token. */
  revokeById(id: number): Promise<boolean>
  /** Revoke by value (RFC 7009 and legacy action=revoke). Unknown tokens are not an error. */
  revokeByValue(token: string): Promise<void>
  /** Local tokens first, then (unless localOnly) the external token endpoint discovered from config.adminMe. */
  verify(token: string, options?: { localOnly?: boolean }): Promise<VerifyResult>
  /** Issue a single-use, short-lived authorization code (stored hashed). */
  issueCode(request: AuthorizationRequest): Promise<string>
  /**
   * Redeem a code once: checks client_id, redirect_uri and the PKCE verifier; with `issueToken`, also issues
   * an access and refresh token for its Micropub scopes in the same transaction. A replayed code revokes
   * every token issued from it. Throws INDIEAUTH_INVALID_GRANT.
   */
  redeemCode(input: RedeemCodeInput, options: { issueToken: boolean }): Promise<RedeemResult>
  /** grant_type=refresh_token: rotate the refresh token and the access token (IndieAuth §5.5). Throws INDIEAUTH_INVALID_GRANT. */
  refresh(input: RefreshInput): Promise<RefreshResult>
}
