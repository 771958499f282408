import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { Router, type RequestHandler, type Response } from 'express'
import type { Result } from '../../../shared/contract'
import type { AuthGuards } from '../auth/types'
import type { Config } from '../config'
import { ERROR_CATALOG, appError, errorFormat } from '../errors'
import type { Logger } from '../logging'
import { cachedBody, sendEntry, type CachedBody } from '../web'
import type { CallOptions, ConsoleService, PushedEvent } from './types'

/** Where the console lives; everything else derives from it. */
export const CONSOLE_PATH = '/admin/console'

/**
 * The console's own Content-Security-Policy: scripts and styles only from our origin (no inline script,
 * no eval), data only from our own API, never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** The built renderer (electron-vite's out/renderer), from the source tree, the bundle or the cwd. */
export function findRendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [resolve(here, '../../../../out/renderer'), resolve(here, '../renderer'), resolve(process.cwd(), 'out/renderer')]
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? (candidates[0] as string)
}

export interface ConsoleRoutesDeps {
  console: ConsoleService
  config: Pick<Config, 'maxBodyBytes'>
  /** The admin guards; without them (auth not wired) every console request is refused. */
  guards: AuthGuards | null
  rendererDir?: string
  /** Heartbeat comment interval on the event stream, ms (keeps proxies and idle timers from cutting it). */
  heartbeatMs?: number
  /**
   * A stream whose client stopped reading is dropped once this much is still waiting for it after the
   * socket said "full" (it reconnects with Last-Event-ID, or resyncs). Default 8 MiB.
   */
  maxStreamBufferBytes?: number
  logger?: Logger
}

export interface ConsoleTransport {
  router: Router
  /** End every open event stream (the server is closing; clients reconnect with Last-Event-ID). */
  closeStreams(): void
}

function statusOf(result: Result<unknown>): number {
  if (result.ok) return 200
  const entry = (ERROR_CATALOG as Record<string, { status: number } | undefined>)[result.error.code]
  return entry?.status ?? 500
}

function eventText(event: PushedEvent): string {
  return `id: ${event.id}\nevent: ${event.name}\ndata: ${JSON.stringify(event.payload)}\n\n`
}

const ASSET_TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' }

/**
 * The built console's JS and CSS (hashed names under /assets/), read and compressed once per file version:
 * they hold no secret, so they are compressed for the signed-in admin too (the HTML page, which carries the
 * CSRF token, is not). Anything else, or a file that is not there, is left to express.static.
 */
function compressedAssets(rendererDir: string): (path: string) => Promise<{ entry: CachedBody; type: string } | null> {
  const built = new Map<string, { mtimeMs: number; entry: Promise<CachedBody> }>()
  return async (path) => {
    const type = ASSET_TYPES[/\.[a-z]+$/.exec(path)?.[0] ?? '']
    if (!type || !/^\/assets\/[\w.-]+$/.test(path)) return null
    const file = join(rendererDir, path)
    const info = await stat(file).catch(() => null)
    if (!info?.isFile()) return null
    let known = built.get(path)
    if (!known || known.mtimeMs !== info.mtimeMs) {
      const entry = readFile(file).then((body) => cachedBody(body, type))
      // A failed read is not remembered: the next request tries again.
      entry.catch(() => built.delete(path))
      known = { mtimeMs: info.mtimeMs, entry }
      built.set(path, known)
    }
    return { entry: await known.entry, type }
  }
}

/** HTTP + Server-Sent Events transport of the console contract, and the built renderer, behind the admin session. */
export function consoleRoutes(deps: ConsoleRoutesDeps): ConsoleTransport {
  const router = Router()
  const rendererDir = deps.rendererDir ?? findRendererDir()
  const heartbeatMs = deps.heartbeatMs ?? 15_000
  const maxBuffered = deps.maxStreamBufferBytes ?? 8 * 1024 * 1024
  const streams = new Set<Response>()

  const refuseWithoutAuth: RequestHandler = (_req, _res, next) => next(appError('UNAUTHORIZED'))
  const requireAdmin = deps.guards?.requireAdmin ?? refuseWithoutAuth
  const verifyCsrf = deps.guards?.verifyCsrf ?? refuseWithoutAuth
  const strictCsp: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP)
    next()
  }

  // Relative asset URLs need the trailing slash (non-strict routing matches both forms here).
  router.get(CONSOLE_PATH, (req, res, next) => {
    if (req.originalUrl.split('?')[0]?.endsWith('/')) next()
    else res.redirect(302, `${CONSOLE_PATH}/`)
  })

  const api = Router()
  // Set before the guard: a refused API call is a 401 JSON answer, not a redirect to the login page.
  api.use(errorFormat('json'))
  api.use(requireAdmin)
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store')
    next()
  })

  api.get('/session', (_req, res) => {
    const session = res.locals.session as { csrfToken?: string; me?: string } | null | undefined
    res.json({ csrfToken: session?.csrfToken ?? '', me: session?.me ?? null })
  })

  api.post('/call/:name', verifyCsrf, express.json({ limit: deps.config.maxBodyBytes, strict: false }), async (req, res) => {
    const requestId = res.locals.requestId ?? ''
    let scheduled = false
    const options: CallOptions = {
      // Stopping the server waits for in-flight requests, this one included, and cuts connections: close
      // this one once the answer is flushed, and only then act.
      schedule(action) {
        scheduled = true
        res.setHeader('Connection', 'close')
        if (res.socket) res.socket.once('close', action)
        else res.once('finish', action)
      },
    }
    const result = await deps.console.dispatch(req.params.name, req.body as unknown, options)
    if (result.ok) res.status(scheduled ? 202 : 200).json(result)
    else res.status(statusOf(result)).json({ ok: false, error: { ...result.error, request_id: requestId } })
  })

  api.get('/events', (req, res) => {
    const lastHeader = req.get('last-event-id') ?? (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : '')
    const lastId = /^\d{1,15}$/.test(lastHeader) ? Number(lastHeader) : null
    res.status(200)
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8')
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('X-Accel-Buffering', 'no')
    res.flushHeaders()

    // Backpressure: once the socket says "full", the next write finds out whether the client caught up.
    // One that is still more than maxBuffered behind is dropped rather than buffered without end.
    let congested = false
    let dropped = false
    res.on('drain', () => {
      congested = false
    })
    const send = (text: string): void => {
      if (dropped) return
      if (congested && res.writableLength > maxBuffered) {
        dropped = true
        deps.logger?.warn('console event stream dropped: the client is not reading', { bufferedBytes: res.writableLength })
        res.destroy()
        return
      }
      if (!res.write(text)) congested = true
    }

    send('retry: 2000\n\n')
    // A fresh client learns where the stream stands, so a reconnect (say, after the restart it asked
    // for) resumes from here even if no event came in between.
    if (lastId === null) send(`id: ${deps.console.lastEventId()}\nevent: ready\ndata: {}\n\n`)
    else {
      const { events, complete } = deps.console.eventsSince(lastId)
      // The client missed more than we kept: tell it to fetch a fresh snapshot.
      if (!complete) send(`event: resync\ndata: {}\n\n`)
      for (const event of events) send(eventText(event))
    }
    streams.add(res)
    const unsubscribe = deps.console.subscribe((event) => send(eventText(event)))
    const heartbeat = setInterval(() => send(': keep-alive\n\n'), heartbeatMs)
    heartbeat.unref()
    const cleanup = () => {
      clearInterval(heartbeat)
      unsubscribe()
      streams.delete(res)
    }
    res.on('close', cleanup)
  })

  api.use((_req, _res, next) => next(appError('NOT_FOUND')))
  router.use(`${CONSOLE_PATH}/api`, api)

  const serveStatic = express.static(rendererDir, { index: 'index.html', fallthrough: true, redirect: false, maxAge: 0 })
  const compressedAsset = compressedAssets(rendererDir)
  router.use(`${CONSOLE_PATH}/`, requireAdmin, strictCsp, (req, res, next) => {
    if (!existsSync(join(rendererDir, 'index.html'))) {
      next(appError('CONSOLE_NOT_BUILT'))
      return
    }
    // Hashed asset names change with every build; the page itself must always be revalidated.
    res.setHeader('Cache-Control', req.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')
    compressedAsset(req.path).then(
      (asset) => {
        if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) {
          void serveStatic(req, res, next)
          return
        }
        res.setHeader('Content-Type', asset.type)
        if (Object.keys(asset.entry.encoded).length > 0) res.setHeader('Vary', 'Accept-Encoding')
        sendEntry(req, res, asset.entry)
      },
      next,
    )
  })

  return {
    router,
    closeStreams() {
      for (const res of streams) res.end()
      streams.clear()
    },
  }
}
