import express, { Router, type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import type { AuthGuards } from '../auth'
import type { Config } from '../config'
import { appError } from '../errors'
import type { Logger } from '../logging'
import { authenticate, bearerToken, oauthErrorHandler } from './http'
import { renderConsentPage, renderTokensPage } from './pages'
import { normalizeScopes } from './service'
import type { TokensService } from './types'

export interface IndieAuthRoutesDeps {
  config: Config
  logger: Logger
  tokens: TokensService
  guards: AuthGuards
  siteBase: () => string
}

/** Express 5 runs a middleware chain for us only inside a route; this runs one guard inline. */
function run(handler: RequestHandler, req: Request, res: Response): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let called = false
    const next: NextFunction = (err?: unknown) => {
      called = true
      if (err) reject(err)
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

function invalid(detail: string) {
  return appError('INDIEAUTH_INVALID_REQUEST', { vars: { detail } })
}

function httpUrl(value: string | undefined, name: string): URL {
  if (!value) throw invalid(`${name} is missing.`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid(`${name} is not a URL.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`${name} must be an http(s) URL.`)
  if (url.username || url.password) throw invalid(`${name} must not carry a user name or password.`)
  return url
}

interface AuthParams {
  clientId: string
  redirectUri: string
  state: string
  codeChallenge: string
  scopes: string[]
}

/**
 * Check an authorization request. Problems with client_id/redirect_uri are shown to the person (never
 * redirected: that would make us an open redirector); the rest go back to the client as OAuth errors.
 */
function readAuthParams(source: Record<string, unknown>): { params: AuthParams; redirectError: string | null } {
  const client = httpUrl(one(source.client_id), 'client_id')
  const redirect = httpUrl(one(source.redirect_uri), 'redirect_uri')
  // Without fetching the client's metadata we only trust redirects to the client's own host.
  if (redirect.host !== client.host) throw invalid('redirect_uri must be on the same host as client_id.')
  const state = one(source.state) ?? ''
  const params: AuthParams = {
    clientId: client.href,
    redirectUri: redirect.href,
    state,
    codeChallenge: one(source.code_challenge) ?? '',
    scopes: normalizeScopes((one(source.scope) ?? one(source.requested_scope) ?? '').split(/\s+/).filter(Boolean)),
  }
  const responseType = one(source.response_type) ?? 'code'
  let redirectError: string | null = null
  if (responseType !== 'code' && responseType !== 'id') redirectError = 'unsupported_response_type'
  else if (!params.codeChallenge || !/^[A-Za-z0-9._~-]{43,128}$/.test(params.codeChallenge) || one(source.code_challenge_method) !== 'S256') redirectError = 'invalid_request'
  else if (state.length > 2000) redirectError = 'invalid_request'
  return { params, redirectError }
}

function redirectBack(res: Response, redirectUri: string, values: Record<string, string>): void {
  const url = new URL(redirectUri)
  for (const [key, value] of Object.entries(values)) url.searchParams.set(key, value)
  res.set('Cache-Control', 'no-store').redirect(302, url.href)
}

/** The built-in IndieAuth provider: metadata, authorization (consent) and token endpoints, revocation. */
export function indieauthRoutes(deps: IndieAuthRoutesDeps): Router {
  const { config, tokens, guards, siteBase } = deps
  const router = Router()
  const form = express.urlencoded({ extended: false, limit: 64 * 1024, parameterLimit: 100 })
  const json = express.json({ limit: 64 * 1024 })
  const issuer = () => `${siteBase()}/`

  router.get('/.well-known/oauth-authorization-server', (_req, res) => {
    const base = siteBase()
    res.set('Cache-Control', 'public, max-age=300').json({
      issuer: issuer(),
      authorization_endpoint: `${base}/indieauth/auth`,
      token_endpoint: `${base}/indieauth/token`,
      revocation_endpoint: `${base}/indieauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['none'],
      scopes_supported: ['create', 'update', 'delete', 'undelete', 'media', 'profile'],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      service_documentation: 'https://indieauth.spec.indieweb.org/',
    })
  })

  router.get('/indieauth/auth', async (req, res) => {
    const query = req.query as Record<string, unknown>
    const { params, redirectError } = readAuthParams(query)
    if (redirectError) {
      redirectBack(res, params.redirectUri, {
        error: redirectError,
        error_description: redirectError === 'invalid_request' ? 'PKCE with code_challenge_method=S256 is required' : 'only response_type=code is supported',
        ...(params.state ? { state: params.state } : {}),
        iss: issuer(),
      })
      return
    }
    if (!(await run(guards.requireAdmin, req, res))) return
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(renderConsentPage({ config, session: res.locals.session!, ...params, me: tokens.me }))
  })

  router.post('/indieauth/auth/consent', form, guards.requireAdmin, guards.verifyCsrf, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const { params, redirectError } = readAuthParams({ ...body, response_type: 'code' })
    if (redirectError) throw invalid('the consent form is incomplete; start signing in again from the app.')
    const back = { ...(params.state ? { state: params.state } : {}), iss: issuer() }
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

  async function redeem(req: Request) {
    const body = (req.body ?? {}) as Record<string, unknown>
    const grantType = one(body.grant_type) ?? 'authorization_code'
    if (grantType !== 'authorization_code') throw invalid('grant_type must be authorization_code.')
    const code = one(body.code)
    const clientId = one(body.client_id)
    const redirectUri = one(body.redirect_uri)
    const codeVerifier = one(body.code_verifier)
    if (!code || !clientId || !redirectUri) throw invalid('code, client_id and redirect_uri are required.')
    if (!codeVerifier) throw invalid('code_verifier is required (PKCE).')
    // URLs are compared in their normalised form, as they were stored.
    const norm = (v: string) => {
      try {
        return new URL(v).href
      } catch {
        return v
      }
    }
    return tokens.redeemCode({ code, clientId: norm(clientId), redirectUri: norm(redirectUri), codeVerifier })
  }

  function profile(scopes: string[]) {
    return scopes.includes('profile') ? { profile: { name: config.authorName, url: tokens.me } } : {}
  }

  // Profile-only sign-in: the code is redeemed at the authorization endpoint and yields only `me`.
  router.post('/indieauth/auth', form, json, async (req, res) => {
    const redeemed = await redeem(req)
    res.set('Cache-Control', 'no-store').json({ me: redeemed.me, ...profile(redeemed.scopes) })
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
    const redeemed = await redeem(req)
    const scopes = redeemed.scopes.filter((s) => s !== 'profile' && s !== 'email')
    if (scopes.length === 0) throw appError('INDIEAUTH_INVALID_GRANT', { message: 'This code was issued without a scope, so no access token can be issued.' })
    const issued = await tokens.issueAccessToken(redeemed)
    res.set('Cache-Control', 'no-store').json({
      me: redeemed.me,
      access_token: issued.token,
      token_type: 'Bearer',
      scope: redeemed.scopes.join(' '),
      ...profile(redeemed.scopes),
    })
  })

  // Legacy token verification (GET with the bearer token), as older Micropub servers call it.
  router.get('/indieauth/token', async (req, res) => {
    const grant = await authenticate(tokens, bearerToken(req, undefined), config.adminMe)
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
