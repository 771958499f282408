/**
 * Live monitoring views: each panel polls the history only while it is open (mounted), so a console
 * that is closed, or looking at another panel, costs the server nothing. Calls go straight to the
 * transport: a history that cannot be read is shown in the panel, not as the console's error banner.
 */
import { useCallback, useEffect } from 'react'
import type { MonitoringRange } from '../../shared/contract'
import { useClient, useConsole } from './api'

/** The history is written every 10 s: polling faster would show nothing new. */
export const POLL_MS = 5_000

function usePoll(load: () => Promise<void>, intervalMs: number): void {
  useEffect(() => {
    let stopped = false
    const tick = () => {
      // A hidden window (minimised, another tab) skips the tick; the next visible one catches up.
      if (!stopped && document.visibilityState !== 'hidden') void load()
    }
    tick()
    const timer = setInterval(tick, intervalMs)
    document.addEventListener('visibilitychange', tick)
    return () => {
      stopped = true
      clearInterval(timer)
      document.removeEventListener('visibilitychange', tick)
    }
  }, [load, intervalMs])
}

export function useTrafficPoll(range: MonitoringRange): void {
  const { transport } = useClient()
  const setTraffic = useConsole((s) => s.setTraffic)
  const load = useCallback(async () => {
    const result = await transport.call('metrics:traffic', { range })
    setTraffic(result.ok ? { data: result.data, error: null } : { data: null, error: result.error })
  }, [transport, range, setTraffic])
  usePoll(load, POLL_MS)
}

export function useHealthHistoryPoll(range: MonitoringRange): void {
  const { transport } = useClient()
  const setHealthHistory = useConsole((s) => s.setHealthHistory)
  const load = useCallback(async () => {
    const result = await transport.call('metrics:health', { range })
    setHealthHistory(result.ok ? { data: result.data, error: null } : { data: null, error: result.error })
  }, [transport, range, setHealthHistory])
  usePoll(load, POLL_MS)
}

export function useEventsPoll(range: MonitoringRange, types: string[]): void {
  const { transport } = useClient()
  const setEvents = useConsole((s) => s.setEvents)
  const key = types.join(',')
  const load = useCallback(async () => {
    const result = await transport.call('metrics:events', { range, ...(key ? { types: key.split(',') } : {}) })
    setEvents(result.ok ? { data: result.data, error: null } : { data: null, error: result.error })
  }, [transport, range, key, setEvents])
  usePoll(load, POLL_MS)
}
