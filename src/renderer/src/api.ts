/**
 * The console client: one transport and one store, made by the app at start (main.tsx) and handed to
 * the components through React context. It wires pushed events into the store and turns call errors
 * into the banner.
 */
import { createContext, useContext } from 'react'
import { useStore } from 'zustand'
import type { CallName, CallRequest, CallResponse, LifecycleAction, LinkTarget, Result } from '../../shared/contract'
import type { ConsoleState, ConsoleStore } from './store'
import type { ConsoleTransport } from './transport'

export interface ConsoleClient {
  readonly transport: ConsoleTransport
  readonly store: ConsoleStore
  /** Call the server; an error lands in the store's banner as well as in the returned result. */
  call: <N extends CallName>(name: N, request: CallRequest<N>) => Promise<Result<CallResponse<N>>>
  /** Start, stop or restart: accepted at once; the store's `pending` clears when the outcome arrives. */
  act: (action: LifecycleAction) => Promise<void>
  /** Open the blog or the admin area (system browser in the desktop app, a new tab in a browser). */
  openLink: (target: LinkTarget) => Promise<void>
  refreshSnapshot: () => Promise<void>
  /** Subscribe to every pushed event; returns the teardown. */
  connect: () => () => void
}

export function createConsoleClient(transport: ConsoleTransport, store: ConsoleStore): ConsoleClient {
  const state = store.getState

  async function call<N extends CallName>(name: N, request: CallRequest<N>): Promise<Result<CallResponse<N>>> {
    const result = await transport.call(name, request)
    if (!result.ok) state().setError(result.error)
    return result
  }

  async function refreshSnapshot(): Promise<void> {
    const result = await call('server:snapshot', undefined)
    if (result.ok) state().applySnapshot(result.data)
  }

  return {
    transport,
    store,
    call,
    refreshSnapshot,
    async act(action) {
      const result = await call(`server:${action}`, undefined)
      if (result.ok) state().setPending(result.data)
    },
    async openLink(target) {
      await call('link:open', { target })
    },
    connect() {
      let wasReconnecting = false
      const offs = [
        transport.on('server:status', (status) => {
          state().setStatus(status)
          // A (re)started server has new pool, health and config: fetch them at once.
          if (status.state === 'running' || status.state === 'failed') void refreshSnapshot()
        }),
        transport.on('pool:stats', (stats) => state().addPool(stats)),
        transport.on('health:changed', (report) => state().setHealth(report)),
        transport.on('health:alert', ({ from, to, kind }) => state().addAlert({ from, to, kind })),
        transport.on('logs:batch', ({ entries, dropped }) => state().addLogs(entries, dropped)),
        transport.on('config:problems', ({ problems }) => state().setProblems(problems)),
        transport.onConnection((connection) => {
          state().setConnection(connection)
          if (connection === 'reconnecting') wasReconnecting = true
          if (connection === 'open' && wasReconnecting) {
            wasReconnecting = false
            void refreshSnapshot()
          }
        }),
        transport.onResync(() => void refreshSnapshot()),
      ]
      void refreshSnapshot()
      return () => offs.forEach((off) => off())
    },
  }
}

export const ClientContext = createContext<ConsoleClient | null>(null)

export function useClient(): ConsoleClient {
  const client = useContext(ClientContext)
  if (!client) throw new Error('The console client is missing: render the app inside <ClientContext.Provider>.')
  return client
}

/** Read from the console's store; re-renders when the selected value changes. */
export function useConsole<T>(selector: (state: ConsoleState) => T): T {
  return useStore(useClient().store, selector)
}
