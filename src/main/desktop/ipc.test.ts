import { describe, expect, it } from 'vitest'
import { CALL_NAMES, EVENT_NAMES, ipcChannel, type Result } from '../../shared/contract'
import type { PushedEvent } from '../server/console'
import { forwardEvents, isTrustedSender, registerIpcHandlers, type IpcMainLike, type InvokeEventLike } from './ipc'

/** The one allowed double: Electron's ipcMain cannot exist in plain Node. It records handlers like the real one. */
function fakeIpcMain() {
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>()
  const ipc: IpcMainLike = {
    handle(channel, listener) {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
      handlers.set(channel, listener)
    },
    removeHandler(channel) {
      handlers.delete(channel)
    },
  }
  const invoke = (channel: string, frameUrl: string | null, ...args: unknown[]) => {
    const handler = handlers.get(channel)
    if (!handler) throw new Error(`No handler registered for '${channel}'`)
    return handler({ senderFrame: frameUrl === null ? null : { url: frameUrl } }, ...args) as Promise<Result<unknown>>
  }
  return { ipc, handlers, invoke }
}

const trusted = { appOrigin: 'app://console', devServerOrigin: null }

describe('IPC handler table', () => {
  it('registers exactly one handler per contract call, on the contract channel, and removes them all', () => {
    const { ipc, handlers } = fakeIpcMain()
    const unregister = registerIpcHandlers(ipc, { call: async () => ({ ok: true, data: null }) }, trusted)
    expect([...handlers.keys()].sort()).toEqual(CALL_NAMES.map((n) => ipcChannel.call(n)).sort())
    unregister()
    expect(handlers.size).toBe(0)
  })

  it('passes the call name and payload through to the console service', async () => {
    const { ipc, invoke } = fakeIpcMain()
    const seen: Array<[unknown, unknown]> = []
    registerIpcHandlers(ipc, { call: async (name, request) => (seen.push([name, request]), { ok: true, data: { echoed: name } }) }, trusted)
    const result = await invoke(ipcChannel.call('logs:recent'), 'app://console/index.html', { limit: 5 })
    expect(result).toEqual({ ok: true, data: { echoed: 'logs:recent' } })
    expect(seen).toEqual([['logs:recent', { limit: 5 }]])
  })

  it('refuses calls from any frame that is not our renderer, without reaching the service', async () => {
    const { ipc, invoke } = fakeIpcMain()
    let reached = 0
    registerIpcHandlers(ipc, { call: async () => (reached++, { ok: true, data: null }) }, trusted)
    for (const url of ['https://evil.example/', 'app://console.evil/index.html', 'file:///etc/passwd', 'http://localhost:5173/', 'not a url', null]) {
      const result = await invoke(ipcChannel.call('server:stop'), url)
      expect(result.ok, String(url)).toBe(false)
      if (!result.ok) expect(result.error.code).toBe('FORBIDDEN')
    }
    expect(reached).toBe(0)
  })

  it('trusts the dev server origin only when one is configured, and only that exact origin', () => {
    const dev = { appOrigin: 'app://console', devServerOrigin: 'http://localhost:5173' }
    expect(isTrustedSender('http://localhost:5173/index.html', dev)).toBe(true)
    expect(isTrustedSender('http://localhost:5174/', dev)).toBe(false)
    expect(isTrustedSender('http://localhost:5173.evil.example/', dev)).toBe(false)
    expect(isTrustedSender('http://localhost:5173/', trusted)).toBe(false)
    expect(isTrustedSender('app://console/', trusted)).toBe(true)
  })

  it('forwards each pushed event on its contract channel, and stops when unsubscribed', () => {
    let listener: ((event: PushedEvent) => void) | null = null
    const service = {
      subscribe(l: (event: PushedEvent) => void) {
        listener = l
        return () => {
          listener = null
        }
      },
    }
    const sent: Array<[string, unknown]> = []
    const stop = forwardEvents(service, (channel, payload) => sent.push([channel, payload]))
    for (const name of EVENT_NAMES) listener!({ id: 1, name, payload: { from: name } } as unknown as PushedEvent)
    expect(sent.map(([channel]) => channel)).toEqual(EVENT_NAMES.map((n) => ipcChannel.event(n)))
    stop()
    expect(listener).toBeNull()
  })
})
