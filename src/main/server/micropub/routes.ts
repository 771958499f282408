import express, { Router, type Request, type Response } from 'express'
import type { Config } from '../config'
import { appError, errorFormat, methodNotAllowed } from '../errors'
import { wholeNumberParam } from '../http'
import type { Logger } from '../logging'
import { receiveMultipart, UnverifiedUploadGate, type MediaService, type StoredMedia, type ReceivedFile, type UnverifiedUploadLimits, type UploadTicket } from '../media'
import { authenticate, bearerToken, hasScope, oauthErrorHandler, requireScope, type TokenGrant, type TokensService } from '../tokens'
import { foldFormFields, malformed, parseFormRequest, parseJsonRequest, type MicropubAction } from './request'
import type { MicropubService } from './service'

export interface MicropubRoutesDeps {
  config: Config
  logger: Logger
  tokens: TokensService
  micropub: MicropubService
  media: MediaService
  /** Bounds on uploads whose token is in the body (default: 2 at a time, twice STARPUNK_MEDIA_MAX_BYTES together). */
  unverifiedUploads?: UnverifiedUploadLimits
}

/** Multipart bodies may carry photos (create) or one file (media endpoint). */
const MAX_FILES = 10
/** File fields a create may carry: `photo` once or repeated, or `photo[]` (Quill, micropub.rocks, forms). */
const PHOTO_FIELDS = new Set(['photo', 'photo[]'])
/** The media query (q=source on the media endpoint): uploads per page. */
const MEDIA_PAGE = { fallback: 10, min: 1, max: 100 }

function bodyKind(req: Request): 'json' | 'form' | 'multipart' | 'none' | 'other' {
  if (!req.headers['content-type']) return 'none'
  if (req.is('application/json')) return 'json'
  if (req.is('application/x-www-form-urlencoded')) return 'form'
  if (req.is('multipart/form-data')) return 'multipart'
  return 'other'
}

/** Refuse an oversized body from its Content-Length before reading a byte of it. */
function checkDeclaredLength(req: Request, limit: number): void {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    req.resume()
    throw appError('PAYLOAD_TOO_LARGE', { vars: { limit: `${limit} bytes` } })
  }
}

/**
 * Refused before the body was read: answer and close the connection instead of reading (and discarding)
 * whatever the client still sends.
 */
function closeUnread(res: Response, err: unknown): never {
  res.set('Connection', 'close')
  throw err
}

/** Runs a body parser as a promise. Its failures are http-errors (Errors with a status), which reject as they are. */
function parseBody(parser: ReturnType<typeof express.json>, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    parser(req, res, (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error('the body parser failed', { cause: err })) : resolve()))
  })
}

function bodyTokenOf(fields: Record<string, string[]>): unknown {
  return fields.access_token && fields.access_token.length > 1 ? fields.access_token : fields.access_token?.[0]
}

function noStore(res: Response): Response {
  return res.set('Cache-Control', 'no-store')
}

export function micropubRoutes(deps: MicropubRoutesDeps): Router {
  const { config, tokens, micropub, media } = deps
  const router = Router()
  // Micropub clients are programs: JSON errors on every path here (OAuth-shaped ones come from oauthErrorHandler).
  router.use('/micropub', errorFormat('json'))
  const json = express.json({ limit: config.maxBodyBytes, strict: false, type: 'application/json' })
  const form = express.urlencoded({ extended: false, limit: config.maxBodyBytes, parameterLimit: 1000 })
  const multipartLimits = {
    maxFileBytes: config.media.maxUploadBytes,
    maxFieldBytes: config.maxBodyBytes,
    maxFiles: MAX_FILES,
  }
  const unverified = new UnverifiedUploadGate(deps.unverifiedUploads ?? { maxConcurrent: 2, maxBytes: 2 * config.media.maxUploadBytes })

  /**
   * A header token is checked before a byte of the body is read, so a stranger cannot make us parse or
   * store anything. Null when there is no header: the token may then be in the body.
   */
  const headerGrant = async (req: Request, res: Response): Promise<TokenGrant | null> => {
    if (req.get('authorization') === undefined) return null
    try {
      return await authenticate(tokens, bearerToken(req, undefined), config.adminMe)
    } catch (err) {
      return closeUnread(res, err)
    }
  }

  /** The grant for the whole request: the header's (a body token must then be the same one), else the body's. */
  const grantFor = async (req: Request, checked: TokenGrant | null, bodyToken: unknown): Promise<TokenGrant> => {
    const token = bearerToken(req, bodyToken)
    return checked ?? authenticate(tokens, token, config.adminMe)
  }

  /** A slot for an upload that cannot be authenticated before it is read (token in the body). */
  const enterUnverified = (res: Response): UploadTicket => {
    try {
      return unverified.enter()
    } catch (err) {
      return closeUnread(res, err)
    }
  }

  // Queries: a valid token of any scope; the text of posts and the tags of drafts only to a token that can write posts.
  router.get('/micropub', async (req, res) => {
    const query = foldFormFields(req.query)
    if (query.access_token) throw malformed('send the token in the Authorization header, not the address (it would end up in logs and history).')
    const grant = await authenticate(tokens, bearerToken(req, undefined), config.adminMe)
    const canWritePosts = hasScope(grant, 'create') || hasScope(grant, 'update')
    const q = query.q?.[0]
    if (!q) throw malformed('a GET request needs a q parameter (config, source, syndicate-to or category).')
    noStore(res)
    switch (q) {
      case 'config':
        res.json(micropub.config())
        return
      case 'syndicate-to':
        res.json({ 'syndicate-to': [] })
        return
      case 'category':
        res.json({ categories: await micropub.categories(query.filter?.[0] ?? null, { includeDrafts: canWritePosts }) })
        return
      case 'source': {
        const url = query.url?.[0]
        // A draft's text is private: a media-only token must not read it (nor any post's source).
        if (!canWritePosts) requireScope(grant, 'update')
        if (!url) throw malformed('q=source needs a url parameter.')
        res.json(await micropub.source(url, query.properties ?? []))
        return
      }
      default:
        throw malformed(`the query "${q.slice(0, 32)}" is not supported; q=config lists those that are.`)
    }
  })

  router.post('/micropub', async (req, res) => {
    const kind = bodyKind(req)
    if (kind === 'other') {
      req.resume()
      throw appError('UNSUPPORTED_MEDIA_TYPE', { vars: { type: String(req.headers['content-type']).slice(0, 64) } })
    }
    const checked = await headerGrant(req, res)
    let ticket: UploadTicket | null = null
    let action: MicropubAction
    let files: ReceivedFile[] = []
    let grant: TokenGrant
    if (kind === 'json') {
      checkDeclaredLength(req, config.maxBodyBytes)
      await parseBody(json, req, res)
      const body = req.body as unknown
      const bodyToken = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).access_token : undefined
      grant = await grantFor(req, checked, bodyToken)
      action = parseJsonRequest(body)
    } else if (kind === 'form') {
      checkDeclaredLength(req, config.maxBodyBytes)
      await parseBody(form, req, res)
      const fields = foldFormFields((req.body ?? {}) as Record<string, unknown>)
      grant = await grantFor(req, checked, bodyTokenOf(fields))
      action = parseFormRequest(fields)
    } else if (kind === 'multipart') {
      checkDeclaredLength(req, config.media.maxUploadBytes * MAX_FILES + config.maxBodyBytes)
      const slot = checked ? null : enterUnverified(res)
      ticket = slot
      try {
        const body = await receiveMultipart(req, media, multipartLimits, slot ? (bytes) => slot.take(bytes) : undefined)
        files = body.files
        const fields = foldFormFields(body.fields)
        grant = await grantFor(req, checked, bodyTokenOf(fields))
        action = parseFormRequest(fields)
      } catch (err) {
        // Removed at once: an unauthenticated upload must not keep its disk space until the answer is sent.
        await Promise.all(files.map((f) => media.discard(f.tempPath)))
        ticket?.release()
        throw err
      }
    } else {
      await grantFor(req, checked, undefined)
      throw malformed('the request has no body.')
    }
    try {
      requireScope(grant, action.action)
      if (files.length && action.action !== 'create') throw malformed('files can only be sent with a new post.')
      if (action.action === 'create') {
        // Uploaded photos become media first; they are only stored once the token and scope are known good.
        const uploaded: StoredMedia[] = []
        for (const file of files) {
          if (!PHOTO_FIELDS.has(file.field)) throw malformed(`the file field "${file.field.slice(0, 32)}" is not supported; send images as "photo" or "photo[]".`)
        }
        // One at a time, in the order sent (mp-photo-alt values follow that order). Each leaves the list once
        // the media service owns it (it removes the temp file whatever happens).
        let created: Awaited<ReturnType<MicropubService['create']>>
        try {
          while (files.length) {
            const file = files.shift()!
            uploaded.push(await media.storeTempFile(file.tempPath, { declaredType: file.clientType, declaredName: file.clientName }))
          }
          const properties = { ...action.properties }
          if (uploaded.length) properties.photo = [...(properties.photo ?? []), ...uploaded.map((m) => m.url)]
          created = await micropub.create(action.type, properties, action.commands)
        } catch (err) {
          // A refused photo or post: the photos stored for it go too, so a bad request leaves nothing behind.
          await Promise.all(uploaded.map((m) => media.forget(m)))
          throw err
        }
        noStore(res).status(201).location(created.location).json({ url: created.location })
        return
      }
      if (action.action === 'update') {
        await micropub.update(action.url, action)
        noStore(res).status(204).end()
        return
      }
      if (action.action === 'delete') await micropub.remove(action.url)
      else await micropub.restore(action.url)
      noStore(res).status(204).end()
    } finally {
      await Promise.all(files.map((f) => media.discard(f.tempPath)))
      ticket?.release()
    }
  })

  router.post('/micropub/media', async (req, res) => {
    if (bodyKind(req) !== 'multipart') {
      req.resume()
      await authenticate(tokens, bearerToken(req, undefined), config.adminMe)
      throw malformed('the media endpoint takes multipart/form-data with one "file" part.')
    }
    // Token first, as on /micropub: a stranger learns nothing, not even the size limit.
    const checked = await headerGrant(req, res)
    checkDeclaredLength(req, config.media.maxUploadBytes + config.maxBodyBytes)
    const ticket = checked ? null : enterUnverified(res)
    let body: { fields: Record<string, string[]>; files: ReceivedFile[] } = { fields: {}, files: [] }
    try {
      body = await receiveMultipart(req, media, { ...multipartLimits, maxFiles: 1 }, ticket ? (bytes) => ticket.take(bytes) : undefined)
      const grant = await grantFor(req, checked, bodyTokenOf(foldFormFields(body.fields)))
      requireScope(grant, 'media')
      const file = body.files[0]
      if (!file || file.field !== 'file') throw malformed('send the upload as a multipart part named "file".')
      body.files = []
      const stored = await media.storeTempFile(file.tempPath, { declaredType: file.clientType, declaredName: file.clientName })
      noStore(res).status(201).location(stored.url).json({ url: stored.url })
    } finally {
      await Promise.all(body.files.map((f) => media.discard(f.tempPath)))
      ticket?.release()
    }
  })

  // The media query: a client lists recent uploads so its author can pick one (q=source), newest first.
  router.get('/micropub/media', async (req, res) => {
    const query = foldFormFields(req.query)
    if (query.access_token) throw malformed('send the token in the Authorization header, not the address (it would end up in logs and history).')
    const grant = await authenticate(tokens, bearerToken(req, undefined), config.adminMe)
    if (!hasScope(grant, 'create')) requireScope(grant, 'media')
    const q = query.q?.[0]
    noStore(res)
    if (q === 'config') {
      res.json({ q: ['source'] })
      return
    }
    if (q !== 'source') throw malformed('the media endpoint answers q=source (recent uploads) and q=config.')
    const limit = wholeNumberParam(req, 'limit', MEDIA_PAGE)
    const offset = wholeNumberParam(req, 'offset', { fallback: 0, min: 0, max: 1_000_000 })
    const items = await media.list({ limit, offset })
    res.json({ items: items.map((item) => ({ url: item.url, published: item.createdAt, mime_type: item.mime })) })
  })

  router.all('/micropub', methodNotAllowed(['GET', 'POST']))
  router.all('/micropub/media', methodNotAllowed(['GET', 'POST']))
  router.use(['/micropub', '/micropub/media'], oauthErrorHandler(deps.logger))
  return router
}
