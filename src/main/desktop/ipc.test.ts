import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTRACT_CALLS, EVENT_NAMES, ipcChannel, type CallName, type Result } from '../../shared/contract'
import { startTestServer, type TestServer } from '../../../test/helpers/server'
import type { ConsoleService, PushedEvent } from '../server/console'
import { forwardEvents, isBlogUrl, isTrustedSender, registerIpcHandlers, type IpcMainLike, type InvokeEventLike } from './ipc'

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
const noBrowser = { trusted, openExternal: async () => {} }

/** A console service that records what reaches it (the tests below check what the IPC layer lets through). */
function recordingService(seen: Array<[unknown, unknown]> = []): Pick<ConsoleService, 'call' | 'dispatch' | 'issueLoginLink' | 'blogOrigins'> {
  return {
    call: async (name, request) => (seen.push([name, request]), { ok: false, error: { code: 'X', message: '', suggestion: '', troubleshooting: [] } }),
    dispatch: async (name, request) => (seen.push([name, request]), { ok: true, data: { echoed: name } }),
    issueLoginLink: async () => ({ ok: true, data: { url: 'http://127.0.0.1:1/admin/login/link?token=t' } }),
    blogOrigins: () => ['http://127.0.0.1:1'],
  }
}

describe('IPC handler table', () => {
  let ts: TestServer
  beforeAll(async () => {
    ts = await startTestServer()
  })
  afterAll(async () => {
    await ts.close()
  })

  it('registers the contract channels the preload and renderer speak, and removes them all', () => {
    const { ipc, handlers } = fakeIpcMain()
    const unregister = registerIpcHandlers(ipc, recordingService(), noBrowser)
    // Written out on purpose: a renamed or lost channel breaks every installed renderer, so it must show here.
    expect([...handlers.keys()].sort()).toEqual(
      [
        'starpunk:call:backup:run',
        'starpunk:call:backup:status',
        'starpunk:call:config:get',
        'starpunk:call:config:save',
        'starpunk:call:config:validate',
        'starpunk:call:health:get',
        'starpunk:call:link:open',
        'starpunk:call:logs:recent',
        'starpunk:call:metrics:events',
        'starpunk:call:metrics:health',
        'starpunk:call:metrics:traffic',
        'starpunk:call:pool:stats',
        'starpunk:call:server:restart',
        'starpunk:call:server:snapshot',
        'starpunk:call:server:start',
        'starpunk:call:server:status',
        'starpunk:call:server:stop',
        'starpunk:call:site:export',
        'starpunk:call:site:export-status',
      ].sort(),
    )
    unregister()
    expect(handlers.size).toBe(0)
  })

  it('answers every read-only call through its channel from a real console, in the shape its schema defines', async () => {
    const { ipc, invoke } = fakeIpcMain()
    registerIpcHandlers(ipc, ts.server.context.console, noBrowser)
    const requests: Partial<Record<CallName, unknown>> = {
      'server:snapshot': undefined,
      'server:status': undefined,
      'pool:stats': undefined,
      'health:get': undefined,
      'config:get': undefined,
      'config:validate': { values: {} },
      'logs:recent': { limit: 5 },
    }
    for (const [name, request] of Object.entries(requests) as Array<[CallName, unknown]>) {
      const result = await invoke(ipcChannel.call(name), 'app://console/index.html', request)
      expect(result.ok, name).toBe(true)
      if (result.ok) expect(() => CONTRACT_CALLS[name].response.parse(result.data), name).not.toThrow()
    }
  })

  it('passes the call name and payload through to the console service', async () => {
    const { ipc, invoke } = fakeIpcMain()
    const seen: Array<[unknown, unknown]> = []
    registerIpcHandlers(ipc, recordingService(seen), noBrowser)
    const result = await invoke(ipcChannel.call('logs:recent'), 'app://console/index.html', { limit: 5 })
    expect(result).toEqual({ ok: true, data: { echoed: 'logs:recent' } })
    expect(seen).toEqual([['logs:recent', { limit: 5 }]])
  })

  it('refuses calls from any frame that is not our renderer, without reaching the service or the browser', async () => {
    const { ipc, invoke } = fakeIpcMain()
    const seen: Array<[unknown, unknown]> = []
    const opened: string[] = []
    registerIpcHandlers(ipc, recordingService(seen), { trusted, openExternal: async (url) => void opened.push(url) })
    for (const url of ['https://evil.example/', 'app://console.evil/index.html', 'file:///etc/passwd', 'http://localhost:5173/', 'not a url', null]) {
      for (const [name, request] of [['server:stop', undefined], ['link:open', { target: 'admin' }]] as const) {
        const result = await invoke(ipcChannel.call(name), url, request)
        expect(result.ok, `${name} from ${String(url)}`).toBe(false)
        if (!result.ok) expect(result.error.code).toBe('FORBIDDEN')
      }
    }
    expect(seen).toEqual([])
    expect(opened).toEqual([])
  })

  it("opens only http(s) URLs on the blog's own origins", () => {
    const origins = ['http://127.0.0.1:8080', 'https://blog.example']
    expect(isBlogUrl('http://127.0.0.1:8080/admin/login/link?token=x', origins)).toBe(true)
    expect(isBlogUrl('https://blog.example/', origins)).toBe(true)
    for (const url of ['http://127.0.0.1:8081/', 'https://blog.example.evil/', 'http://blog.example/', 'javascript:alert(1)', 'file:///etc/passwd', 'not a url']) {
      expect(isBlogUrl(url, origins), url).toBe(false)
    }
    expect(isBlogUrl('http://127.0.0.1:8080/', [])).toBe(false)
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
