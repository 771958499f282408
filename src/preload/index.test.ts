import { beforeAll, describe, expect, it, vi } from 'vitest'
import { ipcChannel, type StarpunkApi } from '../shared/contract'

/**
 * The Electron runtime cannot exist here: this stands in for `electron` in the preload (the one allowed
 * double), recording what the bridge exposes and which channels it uses, like the real modules would.
 */
const exposed: Record<string, unknown> = {}
const invoked: Array<[string, unknown]> = []
const listeners = new Map<string, Set<(...args: unknown[]) => void>>()
vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => {
      exposed[key] = api
    },
  },
  ipcRenderer: {
    invoke: async (channel: string, payload: unknown) => {
      invoked.push([channel, payload])
      return { ok: true, data: { channel } }
    },
    on: (channel: string, listener: (...args: unknown[]) => void) => {
      const set = listeners.get(channel) ?? new Set()
      set.add(listener)
      listeners.set(channel, set)
    },
    removeListener: (channel: string, listener: (...args: unknown[]) => void) => {
      listeners.get(channel)?.delete(listener)
    },
  },
}))

describe('preload bridge', () => {
  let api: StarpunkApi
  beforeAll(async () => {
    await import('./index')
    api = exposed.starpunk as StarpunkApi
  })

  it('exposes exactly one frozen object with call and on, and nothing else', () => {
    expect(Object.keys(exposed)).toEqual(['starpunk'])
    expect(Object.keys(api).sort()).toEqual(['call', 'on'])
    expect(Object.isFrozen(api)).toBe(true)
  })

  it('sends a contract call on its own channel with its payload', async () => {
    const result = await api.call('logs:recent', { limit: 3 })
    expect(result).toEqual({ ok: true, data: { channel: ipcChannel.call('logs:recent') } })
    expect(invoked.at(-1)).toEqual([ipcChannel.call('logs:recent'), { limit: 3 }])
  })

  it('refuses names outside the contract without touching IPC', async () => {
    const before = invoked.length
    const result = await (api.call as (name: string, request: unknown) => ReturnType<StarpunkApi['call']>)('shell:exec', { cmd: 'rm -rf /' })
    expect(result.ok).toBe(false)
    expect(invoked.length).toBe(before)
    expect(() => (api.on as (name: string, l: () => void) => () => void)('ipc:raw', () => {})).toThrow(/Unknown console event/)
  })

  it('delivers event payloads without the IPC event object, and unsubscribes', () => {
    const seen: unknown[] = []
    const off = api.on('pool:stats', (payload) => seen.push(payload))
    const channel = ipcChannel.event('pool:stats')
    for (const listener of listeners.get(channel) ?? []) listener({ sender: 'ipc-event-object' }, { size: 4 })
    expect(seen).toEqual([{ size: 4 }])
    off()
    expect(listeners.get(channel)?.size).toBe(0)
  })
})
