/** The transport in use, and the wiring of pushed events into the store. */
import type { CallName, CallRequest, CallResponse, Result } from '../../shared/contract'
import { useConsole } from './store'
import { chooseTransport, type ConsoleTransport } from './transport'

export const transport: ConsoleTransport = chooseTransport()

/** Call the server; an error lands in the store's banner as well as in the returned result. */
export async function call<N extends CallName>(name: N, request: CallRequest<N>): Promise<Result<CallResponse<N>>> {
  const result = await transport.call(name, request)
  if (!result.ok) useConsole.getState().setError(result.error)
  return result
}

export async function refreshSnapshot(): Promise<void> {
  const result = await call('server:snapshot', undefined)
  if (result.ok) useConsole.getState().applySnapshot(result.data)
}

/** Subscribe to every pushed event once; returns the teardown. */
export function connect(): () => void {
  const store = useConsole.getState
  let wasReconnecting = false
  const offs = [
    transport.on('server:status', (status) => {
      store().setStatus(status)
      // A (re)started server has new pool, health and config: fetch them at once.
      if (status.state === 'running' || status.state === 'failed') void refreshSnapshot()
    }),
    transport.on('pool:stats', (stats) => store().addPool(stats)),
    transport.on('health:changed', (report) => store().setHealth(report)),
    transport.on('logs:batch', ({ entries, dropped }) => store().addLogs(entries, dropped)),
    transport.on('config:problems', ({ problems }) => store().setProblems(problems)),
    transport.onConnection((state) => {
      store().setConnection(state)
      if (state === 'reconnecting') wasReconnecting = true
      if (state === 'open' && wasReconnecting) {
        wasReconnecting = false
        void refreshSnapshot()
      }
    }),
    transport.onResync(() => void refreshSnapshot()),
  ]
  void refreshSnapshot()
  return () => offs.forEach((off) => off())
}
