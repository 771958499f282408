import type { ErrorRequestHandler, Request } from 'express'
import { appError, toAppError, type AppError, type ErrorCode } from '../errors'
import type { Logger } from '../logging'
import type { TokenGrant, TokensService } from './types'

/** The OAuth / Micropub error string for each of our codes (RFC 6749, RFC 6750, Micropub §3.7). */
const OAUTH_ERRORS: Partial<Record<ErrorCode, string>> = {
  TOKEN_MISSING: 'unauthorized',
  TOKEN_INVALID: 'unauthorized',
  TOKEN_UNVERIFIABLE: 'unauthorized',
  UNAUTHORIZED: 'unauthorized',
  INSUFFICIENT_SCOPE: 'insufficient_scope',
  FORBIDDEN: 'forbidden',
  INDIEAUTH_INVALID_GRANT: 'invalid_grant',
}

export function oauthErrorName(error: AppError): string {
  return OAUTH_ERRORS[error.code] ?? (error.status >= 500 ? 'server_error' : 'invalid_request')
}

/**
 * Errors in the shape Micropub and OAuth clients read: `{error, error_description}`, plus our code,
 * suggestion, troubleshooting steps (as every other error), the request ID and (for 403) the missing scope. Headers from the error (WWW-Authenticate) are kept.
 */
export function oauthErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toAppError(err)
    const requestId = res.locals.requestId ?? ''
    const fields = { code: error.code, status: error.status, method: req.method, path: req.originalUrl.split('?', 1)[0], ...(error.cause !== undefined ? { cause: error.cause } : {}) }
    if (error.kind === 'system') logger.error(error.message, fields)
    else logger.info(`request rejected: ${error.code}`, fields)
    if (res.headersSent) {
      res.destroy()
      return
    }
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value)
    res
      .status(error.status)
      .set('Cache-Control', 'no-store')
      .json({
        error: oauthErrorName(error),
        error_description: error.info.message,
        ...(error.scope ? { scope: error.scope } : {}),
        code: error.code,
        suggestion: error.info.suggestion,
        troubleshooting: error.info.troubleshooting,
        request_id: requestId,
      })
  }
}

const REALM = 'realm="StarPunk"'

/**
 * The bearer token of a request (RFC 6750 §2.1 header, §2.2 form field). Both present and equal is fine
 * (Quill sends both); both present and different is a 400. Query-string tokens are not accepted.
 */
export function bearerToken(req: Request, bodyToken: unknown): string | null {
  const header = req.get('authorization')
  let fromHeader: string | null = null
  if (header !== undefined) {
    const match = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header)
    if (!match) throw appError('TOKEN_INVALID', { headers: { 'WWW-Authenticate': `Bearer ${REALM}, error="invalid_request"` } })
    fromHeader = match[1] ?? null
  }
  let fromBody: string | null = null
  if (bodyToken !== undefined && bodyToken !== null && bodyToken !== '') {
    if (typeof bodyToken !== 'string') throw appError('MICROPUB_MALFORMED', { vars: { detail: 'access_token must be a single string.' } })
    fromBody = bodyToken
  }
  if (fromHeader && fromBody && fromHeader !== fromBody) throw appError('TOKEN_CONFLICT')
  return fromHeader ?? fromBody
}

/**
 * Verify the request's token or throw the RFC 6750 error (401 with WWW-Authenticate). localOnly: only
 * tokens this server issued count (the token endpoint never forwards a stranger's token elsewhere).
 */
export async function authenticate(tokens: TokensService, token: string | null, adminMe: string | null, options: { localOnly?: boolean } = {}): Promise<TokenGrant> {
  if (!token) throw appError('TOKEN_MISSING', { headers: { 'WWW-Authenticate': `Bearer ${REALM}` } })
  const result = await tokens.verify(token, options)
  if (result.ok) return result.grant
  if (result.reason === 'unverifiable') {
    throw appError('TOKEN_UNVERIFIABLE', {
      vars: { me: adminMe ?? 'ADMIN_ME' },
      headers: { 'WWW-Authenticate': `Bearer ${REALM}, error="invalid_token", error_description="The token could not be verified"` },
    })
  }
  throw appError('TOKEN_INVALID', { headers: { 'WWW-Authenticate': `Bearer ${REALM}, error="invalid_token", error_description="The token is unknown, expired or revoked"` } })
}

/** Scopes that imply another: older clients (Quill) ask for `create` and then upload media; `post` is pre-2016. */
const IMPLIED: Record<string, string[]> = { media: ['create'], create: ['post'], update: ['post'], delete: ['post'], undelete: ['post'] }

export function hasScope(grant: TokenGrant, scope: string): boolean {
  return grant.scopes.includes(scope) || (IMPLIED[scope] ?? []).some((alt) => grant.scopes.includes(alt))
}

export function requireScope(grant: TokenGrant, scope: string): void {
  if (!hasScope(grant, scope)) {
    throw appError('INSUFFICIENT_SCOPE', {
      vars: { scope },
      scope,
      headers: { 'WWW-Authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${scope}"` },
    })
  }
}
