import { createHmac } from 'node:crypto'
import express, { Router, type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import { allowFormActionTo, safeEqual, type AuthGuards } from '../auth'
import type { Config } from '../config'
import { AppError, appError, errorFormat } from '../errors'
import type { Logger } from '../logging'
import {
  checkCodeVerifier,
  invalidRequest,
  matchesPublished,
  readAuthorizationRequest,
  sameOriginAsClient,
  type AuthorizationParams,
} from './authorization-request'
import { authenticate, bearerToken, oauthErrorHandler } from './http'
import { renderConsentPage, renderTokensPage } from './pages'
import type { IssuedTokens, TokensService } from './types'

export interface IndieAuthRoutesDeps {
  config: Config
  logger: Logger
  tokens: TokensService
  guards: AuthGuards
  siteBase: () => string
  /** The redirect URIs a client's document publishes (bounded outbound fetch); absent when outbound requests are off. */
  clientRedirectUris?: ClientRedirectUris
}

/** Express 5 runs a middleware chain for us only inside a route; this runs one guard inline. */
function run(handler: RequestHandler, req: Request, res: Response): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let called = false
    const next: NextFunction = (err?: unknown) => {
      called = true
      // Guards pass AppErrors (Errors); anything else is wrapped so the error handler still gets an Error.
      if (err) reject(err instanceof Error ? err : new Error('a guard failed without an Error'))
      else resolve(true)
    }
    Promise.resolve(handler(req, res, next)).then(() => {
      // The guard answered itself (a redirect): nothing more to do.
      if (!called) resolve(false)
    }, reject)
  })
}

function one(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** URLs are compared in their normalised form, as they were stored when the code was issued. */
function normalizedUrl(value: string): string {
  try {
    return new URL(value).href
  } catch {
    return value
  }
}

const invalid = invalidRequest

/** Where a client may be sent back to: trusted without asking (same origin), or published in its own document. */
export type ClientRedirectUris = (clientId: URL) => Promise<readonly string[]>

function redirectBack(res: Response, redirectUri: string, values: Record<string, string>): void {
  const url = new URL(redirectUri)
  for (const [key, value] of Object.entries(values)) url.searchParams.set(key, value)
  res.set('Cache-Control', 'no-store').redirect(302, url.href)
}

/**
 * The consent form carries the request's parameters in hidden fields; this MAC (keyed by the site secret
 * and bound to the session's CSRF token) proves they are the ones that were checked and shown, so the POST
 * need not fetch the client's document again and nobody can swap the redirect_uri in between.
 */
function consentMac(secret: string, csrfToken: string, params: AuthorizationParams): string {
  const fields = [csrfToken, params.clientId, params.redirectUri, params.state, params.codeChallenge, params.scopes.join(' ')]
  return createHmac('sha256', secret).update(`indieauth-consent:${JSON.stringify(fields)}`).digest('base64url')
}

/** The built-in IndieAuth provider: metadata, authorization (consent) and token endpoints, revocation. */
export function indieauthRoutes(deps: IndieAuthRoutesDeps): Router {
  const { config, tokens, guards, siteBase } = deps
  const router = Router()
  const form = express.urlencoded({ extended: false, limit: 64 * 1024, parameterLimit: 100 })
  const json = express.json({ limit: 64 * 1024 })
  // Where this server answers from outside: the live URL when the site itself is a static mirror (the
  // metadata is fetched there, and an issuer must be a prefix of its metadata's URL), else the site URL.
  const serverBase = () => config.publicSite.liveUrl?.replace(/\/+$/, '') ?? siteBase()
  const issuer = () => `${serverBase()}/`
  // Programs call these; the consent pages under /indieauth/auth stay pages.
  router.use(['/indieauth/token', '/indieauth/revoke', '/.well-known'], errorFormat('json'))

  router.get('/.well-known/oauth-authorization-server', (_req, res) => {
    const base = serverBase()
    res.set('Cache-Control', 'public, max-age=300').json({
      issuer: issuer(),
      authorization_endpoint: `${base}/indieauth/auth`,
      token_endpoint: `${base}/indieauth/token`,
      revocation_endpoint: `${base}/indieauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['none'],
      scopes_supported: ['create', 'update', 'delete', 'undelete', 'media', 'profile'],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      service_documentation: 'https://indieauth.spec.indieweb.org/',
    })
  })

  /** Does redirect_uri belong to client_id? Same origin is trusted; anything else must be published by the client. */
  async function checkRedirect(client: URL, redirect: URL): Promise<void> {
    if (sameOriginAsClient(client, redirect)) return
    if (!deps.clientRedirectUris) {
      throw invalid(`redirect_uri (${redirect.origin === 'null' ? redirect.protocol : redirect.origin}) is not on the origin of client_id, and this server does not fetch client documents (outbound requests are off).`)
    }
    let published: readonly string[]
    try {
      published = await deps.clientRedirectUris(client)
    } catch (err) {
      deps.logger.info('client document unavailable', { clientId: client.href, cause: err })
      if (err instanceof AppError && err.code === 'INDIEAUTH_INVALID_REQUEST') throw err
      throw invalid('redirect_uri is not on the origin of client_id, and the app\'s page (client_id) could not be fetched to confirm it.')
    }
    if (!matchesPublished(redirect, published)) throw invalid('redirect_uri is not on the origin of client_id, and the app\'s page does not publish it (redirect_uris, or rel="redirect_uri").')
  }

  router.get('/indieauth/auth', async (req, res) => {
    // Every problem before consent is an error page: we never send the browser to a client nobody approved.
    const { params, client, redirect } = readAuthorizationRequest(req.query)
    if (!(await run(guards.requireAdmin, req, res))) return
    // Only for the signed-in author: a stranger cannot make us fetch client documents.
    await checkRedirect(client, redirect)
    const session = res.locals.session!
    allowFormActionTo(res, redirect)
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(renderConsentPage({ config, session, ...params, me: tokens.me, approval: consentMac(config.sessionSecret, session.csrfToken, params) }))
  })

  router.post('/indieauth/auth/consent', form, guards.requireAdmin, guards.verifyCsrf, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    let request: ReturnType<typeof readAuthorizationRequest>
    try {
      // `scope` here holds the boxes left ticked; what was requested (and shown, and MACed) is requested_scope.
      request = readAuthorizationRequest({ ...body, scope: one(body.requested_scope) ?? '', response_type: 'code' })
    } catch {
      throw invalid('the consent form is incomplete; start signing in again from the app.')
    }
    const { params } = request
    const approval = one(body._approval) ?? ''
    if (!safeEqual(approval, consentMac(config.sessionSecret, res.locals.session!.csrfToken, params))) {
      throw invalid('the consent form does not match the request that was checked; start signing in again from the app.')
    }
    // The approval MAC proves redirect_uri was checked when the page was shown: from here on, errors go back to the client.
    const back = { state: params.state, iss: issuer() }
    if (one(body.decision) !== 'approve') {
      deps.logger.info('sign-in denied', { clientId: params.clientId })
      redirectBack(res, params.redirectUri, { error: 'access_denied', ...back })
      return
    }
    // Only scopes both requested and left ticked on the consent page.
    const ticked = new Set(Array.isArray(body.scope) ? body.scope.map(String) : typeof body.scope === 'string' ? [body.scope] : [])
    const scopes = params.scopes.filter((s) => ticked.has(s))
    const code = await tokens.issueCode({ clientId: params.clientId, redirectUri: params.redirectUri, scopes, codeChallenge: params.codeChallenge, codeChallengeMethod: 'S256' })
    deps.logger.info('sign-in approved', { clientId: params.clientId, scopes: scopes.join(' ') })
    redirectBack(res, params.redirectUri, { code, ...back })
  })

  /** An authorization_code grant: redeem the code (and, at the token endpoint, issue tokens in the same step). */
  async function redeem(req: Request, issueToken: boolean) {
    const body = (req.body ?? {}) as Record<string, unknown>
    const code = one(body.code)
    const clientId = one(body.client_id)
    const redirectUri = one(body.redirect_uri)
    const codeVerifier = one(body.code_verifier)
    if (!code || !clientId || !redirectUri) throw invalid('code, client_id and redirect_uri are required.')
    if (!codeVerifier) throw invalid('code_verifier is required (PKCE).')
    checkCodeVerifier(codeVerifier)
    return tokens.redeemCode({ code, clientId: normalizedUrl(clientId), redirectUri: normalizedUrl(redirectUri), codeVerifier }, { issueToken })
  }

  function profile(scopes: string[]) {
    return scopes.includes('profile') ? { profile: { name: config.authorName, url: tokens.me } } : {}
  }

  function tokenResponse(res: Response, grant: { me: string; scopes: string[] }, issued: IssuedTokens) {
    res.set('Cache-Control', 'no-store').json({
      me: grant.me,
      access_token: issued.token,
      token_type: 'Bearer',
      scope: grant.scopes.join(' '),
      expires_in: issued.expiresIn,
      refresh_token: issued.refreshToken,
      ...profile(grant.scopes),
    })
  }

  // Profile-only sign-in: the code is redeemed at the authorization endpoint and yields only `me`.
  router.post('/indieauth/auth', form, json, async (req, res) => {
    const grantType = one((req.body as Record<string, unknown> | undefined)?.grant_type) ?? 'authorization_code'
    if (grantType !== 'authorization_code') throw invalid('grant_type must be authorization_code.')
    const { code } = await redeem(req, false)
    res.set('Cache-Control', 'no-store').json({ me: code.me, ...profile(code.scopes) })
  })

  router.post('/indieauth/token', form, json, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    if (one(body.action) === 'revoke') {
      // Legacy revocation (Quill's sign-out): answers 200 whether or not the token existed (RFC 7009 §2.2).
      const token = one(body.token)
      if (!token) throw invalid('token is required.')
      await tokens.revokeByValue(token)
      res.set('Cache-Control', 'no-store').json({})
      return
    }
    const grantType = one(body.grant_type) ?? 'authorization_code'
    if (grantType === 'refresh_token') {
      const refreshToken = one(body.refresh_token)
      const clientId = one(body.client_id)
      if (!refreshToken || !clientId) throw invalid('refresh_token and client_id are required.')
      const scope = one(body.scope)
      const refreshed = await tokens.refresh({ refreshToken, clientId: normalizedUrl(clientId), ...(scope !== undefined ? { scopes: scope.split(/\s+/).filter(Boolean) } : {}) })
      tokenResponse(res, refreshed.code, refreshed.issued)
      return
    }
    if (grantType !== 'authorization_code') throw invalid('grant_type must be authorization_code or refresh_token.')
    const { code, issued } = await redeem(req, true)
    if (!issued) throw appError('INDIEAUTH_INVALID_GRANT', { message: 'This code was issued without a scope, so no access token can be issued.' })
    tokenResponse(res, code, issued)
  })

  // Legacy token verification (GET with the bearer token), as older Micropub servers call it. Only tokens
  // this server issued are answered: forwarding unknown ones to ADMIN_ME's endpoint could loop back here.
  router.get('/indieauth/token', async (req, res) => {
    const grant = await authenticate(tokens, bearerToken(req, undefined), config.adminMe, { localOnly: true })
    res.set('Cache-Control', 'no-store').json({ me: grant.me, client_id: grant.clientId, scope: grant.scopes.join(' ') })
  })

  router.post('/indieauth/revoke', form, json, async (req, res) => {
    const token = one((req.body as Record<string, unknown> | undefined)?.token)
    if (!token) throw invalid('token is required.')
    await tokens.revokeByValue(token)
    res.set('Cache-Control', 'no-store').status(200).end()
  })

  const oauthErrors = oauthErrorHandler(deps.logger)
  router.use(['/indieauth/token', '/indieauth/revoke'], oauthErrors)
  // Code redemption at the authorization endpoint is a client call (JSON errors); the consent pages stay HTML.
  const redemptionErrors: ErrorRequestHandler = (err, req, res, next) => {
    if (req.method === 'POST' && req.path === '/indieauth/auth') oauthErrors(err, req, res, next)
    else next(err)
  }
  router.use(redemptionErrors)
  return router
}

export interface TokensAdminRoutesDeps {
  config: Config
  tokens: TokensService
  guards: AuthGuards
  now?: () => number
}

const DAY_MS = 86_400_000

/** /admin/tokens: create (shown once), list and revoke personal tokens; forms carry the CSRF token. */
export function tokensAdminRoutes(deps: TokensAdminRoutesDeps): Router {
  const { config, tokens, guards } = deps
  const now = deps.now ?? Date.now
  const router = Router()
  const form = express.urlencoded({ extended: false, limit: 16 * 1024, parameterLimit: 50 })
  const page = async (res: Response, extra: { created?: { name: string; token: string }; notice?: string; error?: string } = {}, status = 200) => {
    res
      .status(status)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(renderTokensPage({ config, session: res.locals.session!, tokens: await tokens.list(), now: now(), ...extra }))
  }

  router.get('/admin/tokens', guards.requireAdmin, async (req, res) => {
    await page(res, { ...(req.query.done === 'revoked' ? { notice: 'Token revoked.' } : {}) })
  })

  router.post('/admin/tokens', form, guards.requireAdmin, guards.verifyCsrf, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const name = one(body.name) ?? ''
    const scopes = Array.isArray(body.scope) ? body.scope.map(String) : typeof body.scope === 'string' ? [body.scope] : []
    const days = one(body.expires_in_days) ?? ''
    if (days && !/^\d{1,4}$/.test(days)) {
      await page(res, { error: 'The expiry must be a whole number of days.' }, 400)
      return
    }
    try {
      const created = await tokens.createPersonal({ name, scopes, expiresAt: days ? now() + Number(days) * DAY_MS : null })
      await page(res, { created: { name: created.summary.name, token: created.token } }, 201)
    } catch (err) {
      const e = err as { status?: number; info?: { message: string } }
      if (e.status === 400 && e.info) await page(res, { error: e.info.message }, 400)
      else throw err
    }
  })

  router.post('/admin/tokens/:id/revoke', form, guards.requireAdmin, guards.verifyCsrf, async (req, res) => {
    const id = Number(req.params.id)
    if (!Number.isSafeInteger(id) || id <= 0 || !(await tokens.revokeById(id))) throw appError('NOT_FOUND')
    res.redirect(303, '/admin/tokens?done=revoked')
  })
  return router
}
