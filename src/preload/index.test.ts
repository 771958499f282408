import { beforeAll, describe, expect, it, vi } from 'vitest'
import { ipcChannel, type StarpunkApi } from '../shared/contract'

import { standIn } from '../../test/helpers/electron-stand-in'

// The one allowed double: Electron cannot run here (see the stand-in for what it records).
vi.mock('electron', () => import('../../test/helpers/electron-stand-in'))
const { exposed, invoked, listeners } = standIn

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
    standIn.send(channel, { size: 4 })
    expect(seen).toEqual([{ size: 4 }])
    off()
    expect(listeners.get(channel)?.size).toBe(0)
  })
})
