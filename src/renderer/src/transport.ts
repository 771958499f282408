/**
 * How the console reaches the server: Electron IPC through window.starpunk when the preload provides it,
 * otherwise the same StarpunkApi over HTTP (calls) + Server-Sent Events (pushed events). Both behave the
 * same to the components: start/stop/restart answer "accepted" at once and the outcome arrives as a
 * `server:status` event; `link:open` opens the page (the system browser, or a new tab).
 *
 * No DOM types here: the HTTP transport runs under Node in its tests, against a real server.
 */
import { createParser } from 'eventsource-parser'
import {
  isEventName,
  type CallName,
  type CallRequest,
  type CallResponse,
  type EventName,
  type EventPayload,
  type LinkTarget,
  type Result,
  type StarpunkApi,
} from '../../shared/contract'

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'signed-out'

export interface ConsoleTransport extends StarpunkApi {
  /** Shown in the top bar; nothing behaves differently because of it. */
  readonly label: 'desktop' | 'browser'
  /** Connection changes; 'open' after 'reconnecting' means events may have been missed: resync. */
  onConnection(listener: (state: ConnectionState) => void): () => void
  /** The server asked for a resync (it no longer holds the events we missed). */
  onResync(listener: () => void): () => void
  /** Stop the event stream and any reconnecting. */
  close(): void
}

function networkError(message: string): Result<never> {
  return {
    ok: false,
    error: {
      code: 'NETWORK_ERROR',
      message,
      suggestion: 'Check that the StarPunk server is running, then try again.',
      troubleshooting: ['Look at the terminal where `npm run serve` runs.', 'Reload this page.'],
    },
  }
}

const SIGNED_OUT = networkError('You are signed out of the admin area.')

export function ipcTransport(api: StarpunkApi): ConsoleTransport {
  return {
    label: 'desktop',
    // link:open included: the main process opens the system browser (see desktop/ipc.ts).
    call: (name, request) => api.call(name, request),
    on: (name, listener) => api.on(name, listener),
    onConnection(listener) {
      listener('open')
      return () => {}
    },
    onResync: () => () => {},
    close: () => {},
  }
}

export interface Backoff {
  /** Wait before the first reconnect, ms, until the server's `retry:` field says otherwise. */
  initialMs: number
  /** Longest wait between reconnects, ms. */
  maxMs: number
}

export interface HttpTransportOptions {
  /** The console's base URL, e.g. '/admin/console' in the page, or an absolute URL in tests. */
  base: string
  /** The blog's origin as the page sees it (where the admin session cookie lives). */
  pageOrigin: string
  /** Open a URL in a new tab (window.open in the page). */
  openWindow: (url: string) => void
  /** The page's fetch (it sends the session cookie); tests pass one that adds it. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>
  backoff?: Backoff
}

/** Wait before reconnect attempt `attempt` (0-based): doubling from initialMs, at most maxMs. */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 16))
}

export function httpTransport(options: HttpTransportOptions): ConsoleTransport {
  const base = options.base.replace(/\/$/, '')
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  const backoff = { ...(options.backoff ?? { initialMs: 2000, maxMs: 15_000 }) }
  type AnyListener = (payload: unknown) => void
  const listeners = new Map<EventName, Set<AnyListener>>()
  const connectionListeners = new Set<(state: ConnectionState) => void>()
  const resyncListeners = new Set<() => void>()
  let csrfToken: string | null = null
  let state: ConnectionState = 'connecting'
  let streaming = false
  let closed = false
  let lastEventId: string | null = null
  let abort: AbortController | null = null
  let wake: (() => void) | null = null

  const setState = (next: ConnectionState) => {
    if (next === state) return
    state = next
    for (const l of connectionListeners) l(next)
  }

  let pendingSession: Promise<'ok' | 'signed-out' | 'unavailable'> | null = null
  /** The CSRF token: 401 means signed out; anything else that fails (5xx, no answer) means "try later". */
  function session(): Promise<'ok' | 'signed-out' | 'unavailable'> {
    if (csrfToken) return Promise.resolve('ok')
    // One request for everyone asking at once.
    pendingSession ??= fetchSession().finally(() => {
      pendingSession = null
    })
    return pendingSession
  }

  async function fetchSession(): Promise<'ok' | 'signed-out' | 'unavailable'> {
    let res: Response
    try {
      res = await doFetch(`${base}/api/session`, { credentials: 'same-origin', headers: { accept: 'application/json' } })
    } catch {
      return 'unavailable'
    }
    if (res.status === 401) {
      setState('signed-out')
      return 'signed-out'
    }
    if (!res.ok) return 'unavailable'
    try {
      csrfToken = ((await res.json()) as { csrfToken: string }).csrfToken
      return 'ok'
    } catch {
      return 'unavailable'
    }
  }

  function deliver(event: string | undefined, data: string): void {
    if (event === 'resync') {
      for (const l of resyncListeners) l()
      return
    }
    if (!isEventName(event)) return
    let payload: unknown
    try {
      payload = JSON.parse(data)
    } catch {
      return
    }
    for (const l of listeners.get(event) ?? []) l(payload)
  }

  /** One connection to the event stream, until it ends. Resolves how it ended; never rejects. */
  async function streamOnce(): Promise<'ended' | 'signed-out' | 'failed'> {
    abort = new AbortController()
    const headers: Record<string, string> = { accept: 'text/event-stream' }
    // Resume where we were: the server replays what it still holds, or asks for a resync.
    if (lastEventId !== null) headers['last-event-id'] = lastEventId
    try {
      const res = await doFetch(`${base}/api/events`, { credentials: 'same-origin', headers, signal: abort.signal })
      if (res.status === 401) return 'signed-out'
      if (!res.ok || !res.body) {
        await res.body?.cancel()
        return 'failed'
      }
      setState('open')
      const parser = createParser({
        onEvent(message) {
          if (message.id !== undefined) lastEventId = message.id
          deliver(message.event, message.data)
        },
        // The server's hint for how long a restart takes; the backoff doubles from there.
        onRetry(ms) {
          if (!options.backoff) backoff.initialMs = Math.min(ms, backoff.maxMs)
        },
      })
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return 'ended'
        parser.feed(value)
      }
    } catch {
      return 'failed'
    } finally {
      abort = null
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = null
        resolve()
      }, ms)
      wake = () => {
        clearTimeout(timer)
        wake = null
        resolve()
      }
    })
  }

  /** Keep the stream open: reconnect with backoff after any end or failure, until signed out or closed. */
  async function keepStreaming(): Promise<void> {
    let attempt = 0
    while (!closed) {
      const outcome = await streamOnce()
      if (closed) return
      if (outcome === 'signed-out') {
        setState('signed-out')
        streaming = false
        return
      }
      // A stream that was open and ended (the server restarting) starts the backoff afresh.
      if (state === 'open') attempt = 0
      setState('reconnecting')
      await sleep(backoffDelay(attempt++, backoff))
    }
  }

  function ensureStreaming(): void {
    if (streaming || closed) return
    streaming = true
    void keepStreaming()
  }

  function openLink(target: LinkTarget): Result<{ url: string }> {
    // Same origin as this page: the admin session cookie is here. Opened before any await, so the
    // browser still counts it as the person's click.
    const url = new URL(target === 'blog' ? '/' : '/admin/', options.pageOrigin).toString()
    options.openWindow(url)
    return { ok: true, data: { url } }
  }

  async function post<N extends CallName>(name: N, request: CallRequest<N>): Promise<Result<CallResponse<N>>> {
    for (let attempt = 0; ; attempt++) {
      const got = await session()
      if (got === 'signed-out') return SIGNED_OUT
      if (got === 'unavailable') return networkError('The server did not answer.')
      const res = await doFetch(`${base}/api/call/${encodeURIComponent(name)}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken ?? '' },
        body: JSON.stringify(request ?? {}),
      })
      if ((res.status === 403 || res.status === 401) && attempt === 0) {
        // The session may have been renewed (a new sign-in): fetch a fresh token once.
        await res.body?.cancel()
        csrfToken = null
        continue
      }
      if (res.status === 401) {
        setState('signed-out')
        return SIGNED_OUT
      }
      return (await res.json()) as Result<CallResponse<N>>
    }
  }

  return {
    label: 'browser',
    async call<N extends CallName>(name: N, request: CallRequest<N>): Promise<Result<CallResponse<N>>> {
      if (name === 'link:open') {
        // CallRequest<'link:open'> and CallResponse<'link:open'>: N is that name here.
        return openLink((request as CallRequest<'link:open'>).target) as Result<CallResponse<N>>
      }
      try {
        return await post(name, request)
      } catch {
        return networkError('The server did not answer.')
      }
    },
    on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
      const set = listeners.get(name) ?? new Set<AnyListener>()
      listeners.set(name, set)
      const wrapped = listener as AnyListener
      set.add(wrapped)
      ensureStreaming()
      return () => {
        set.delete(wrapped)
      }
    },
    onConnection(listener) {
      connectionListeners.add(listener)
      listener(state)
      return () => connectionListeners.delete(listener)
    },
    onResync(listener) {
      resyncListeners.add(listener)
      return () => resyncListeners.delete(listener)
    },
    close() {
      closed = true
      abort?.abort()
      wake?.()
    },
  }
}

/** The part of the page the console needs to pick its transport (window, in the browser). */
export interface PageLike {
  starpunk?: StarpunkApi
  location: { pathname: string; origin: string }
  open(url: string, target: string, features: string): unknown
}

/** IPC inside the desktop app, HTTP + SSE in a browser (the console is served at /admin/console/). */
export function chooseTransport(page: PageLike): ConsoleTransport {
  if (page.starpunk) return ipcTransport(page.starpunk)
  const base = page.location.pathname.replace(/\/(index\.html)?$/, '') || '/admin/console'
  return httpTransport({ base, pageOrigin: page.location.origin, openWindow: (url) => void page.open(url, '_blank', 'noopener') })
}
