/**
 * How the console reaches the server: Electron IPC through window.starpunk when the preload provides it,
 * otherwise the same StarpunkApi over HTTP (calls) + Server-Sent Events (pushed events).
 */
import { EVENT_NAMES, type CallName, type CallRequest, type CallResponse, type ContractEvents, type EventName, type Result, type StarpunkApi } from '../../shared/contract'

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'signed-out'

export interface ConsoleTransport extends StarpunkApi {
  readonly kind: 'ipc' | 'http'
  /** Connection changes; 'open' after 'reconnecting' means events may have been missed: resync. */
  onConnection(listener: (state: ConnectionState) => void): () => void
  /** The server asked for a resync (it no longer holds the events we missed). */
  onResync(listener: () => void): () => void
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

export function ipcTransport(api: StarpunkApi): ConsoleTransport {
  return {
    kind: 'ipc',
    call: (name, request) => api.call(name, request),
    on: (name, listener) => api.on(name, listener),
    onConnection(listener) {
      listener('open')
      return () => {}
    },
    onResync: () => () => {},
  }
}

export function httpTransport(base: string): ConsoleTransport {
  type AnyListener = (payload: unknown) => void
  const listeners = new Map<EventName, Set<AnyListener>>()
  const connectionListeners = new Set<(state: ConnectionState) => void>()
  const resyncListeners = new Set<() => void>()
  let csrfToken: string | null = null
  let source: EventSource | null = null
  let state: ConnectionState = 'connecting'

  const setState = (next: ConnectionState) => {
    if (next === state) return
    state = next
    for (const l of connectionListeners) l(next)
  }

  let pendingSession: Promise<string | null> | null = null
  function session(): Promise<string | null> {
    if (csrfToken) return Promise.resolve(csrfToken)
    // One request for everyone asking at once.
    pendingSession ??= fetchSession().finally(() => {
      pendingSession = null
    })
    return pendingSession
  }

  async function fetchSession(): Promise<string | null> {
    const res = await fetch(`${base}/api/session`, { credentials: 'same-origin', headers: { accept: 'application/json' } })
    if (res.status === 401) {
      setState('signed-out')
      return null
    }
    if (!res.ok) return null
    const body = (await res.json()) as { csrfToken: string }
    csrfToken = body.csrfToken
    return csrfToken
  }

  function connect(): void {
    if (source) return
    source = new EventSource(`${base}/api/events`)
    source.onopen = () => setState('open')
    source.onerror = () => {
      // EventSource reconnects by itself and sends Last-Event-ID; a 401 closes it for good.
      if (source && source.readyState === EventSource.CLOSED) {
        source = null
        csrfToken = null
        void session().then((token) => {
          if (token) setTimeout(connect, 2000)
        })
      }
      if (state !== 'signed-out') setState('reconnecting')
    }
    source.addEventListener('resync', () => {
      for (const l of resyncListeners) l()
    })
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (message) => {
        let payload: unknown
        try {
          payload = JSON.parse((message as MessageEvent<string>).data)
        } catch {
          return
        }
        for (const l of listeners.get(name) ?? []) l(payload)
      })
    }
  }

  return {
    kind: 'http',
    async call<N extends CallName>(name: N, request: CallRequest<N>): Promise<Result<CallResponse<N>>> {
      try {
        let token = await session()
        if (token === null) return networkError('You are signed out of the admin area.')
        const send = () =>
          fetch(`${base}/api/call/${encodeURIComponent(name)}`, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': token ?? '' },
            body: JSON.stringify(request ?? {}),
          })
        let res = await send()
        if (res.status === 403 || res.status === 401) {
          // The session may have been renewed (a restart, a new sign-in): fetch a fresh token once.
          csrfToken = null
          token = await session()
          if (token === null) return networkError('You are signed out of the admin area.')
          res = await send()
        }
        return (await res.json()) as Result<CallResponse<N>>
      } catch {
        return networkError('The server did not answer.')
      }
    },
    on<E extends EventName>(name: E, listener: (payload: ContractEvents[E]) => void): () => void {
      const set = listeners.get(name) ?? new Set<AnyListener>()
      listeners.set(name, set)
      const wrapped = listener as AnyListener
      set.add(wrapped)
      void session().then((token) => {
        if (token !== null) connect()
      })
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
  }
}

/** IPC inside the desktop app, HTTP + SSE in a browser (the console is served at /admin/console/). */
export function chooseTransport(): ConsoleTransport {
  if (window.starpunk) return ipcTransport(window.starpunk)
  const base = window.location.pathname.replace(/\/(index\.html)?$/, '') || '/admin/console'
  return httpTransport(base)
}
