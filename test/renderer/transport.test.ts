// The console's HTTP transport (the renderer module, in plain Node) against real servers on loopback:
// the real console routes of a test server and of a supervised server that restarts, and a plain HTTP
// server playing a server that answers 503.
import { createServer as createHttpServer, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CONTRACT_CALLS, type ServerStatus } from '../../src/shared/contract'
import { httpTransport, type ConnectionState, type ConsoleTransport } from '../../src/renderer/src/transport'
import { createSupervisor, type ServerSupervisor } from '../../src/main/server/supervisor'
import { loginAsAdmin, sessionCookieFrom } from '../helpers/admin'
import { startTestServer, type TestServer } from '../helpers/server'

/** The browser's cookie jar, as far as these tests need one: one session cookie sent with every request. */
function withCookie(jar: { cookie: string }) {
  return (input: string, init: RequestInit = {}) => fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), cookie: jar.cookie } })
}

/** Resolve when `check` holds, re-checked on every connection change and event (the test timeout bounds it). */
function until<T>(subscribe: (notify: () => void) => () => void, check: () => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    let off: () => void = () => {}
    const test = () => {
      const value = check()
      if (value !== undefined) {
        off()
        resolve(value)
      }
    }
    off = subscribe(test)
    test()
  })
}

function recordStates(transport: ConsoleTransport): ConnectionState[] {
  const states: ConnectionState[] = []
  transport.onConnection((state) => states.push(state))
  return states
}

const transports: ConsoleTransport[] = []
afterEach(() => {
  for (const t of transports.splice(0)) t.close()
})

describe('HTTP transport against the console routes of a running server', () => {
  let ts: TestServer
  const jar = { cookie: '' }
  const opened: string[] = []
  let transport: ConsoleTransport
  beforeAll(async () => {
    ts = await startTestServer()
    jar.cookie = (await loginAsAdmin(ts)).cookie
  })
  afterAll(async () => {
    await ts.close()
  })
  const make = (cookieJar = jar) => {
    const t = httpTransport({ base: `${ts.url}/admin/console`, pageOrigin: ts.url, openWindow: (url) => void opened.push(url), fetch: withCookie(cookieJar), backoff: { initialMs: 20, maxMs: 200 } })
    transports.push(t)
    return t
  }

  it('calls with the CSRF token and answers in the shape the contract defines', async () => {
    transport = make()
    const result = await transport.call('server:status', undefined)
    expect(result.ok).toBe(true)
    if (result.ok) {
      expect(CONTRACT_CALLS['server:status'].response.parse(result.data).url).toBe(ts.url)
    }
    const bad = await transport.call('logs:recent', { limit: -1 })
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
  })

  it('streams pushed events: a request made here shows up in a log batch', async () => {
    transport = make()
    const requestId = `transport-test-${Date.now()}`
    const seen: string[] = []
    const off = transport.on('logs:batch', ({ entries }) => {
      for (const e of entries) if (e.requestId) seen.push(e.requestId)
    })
    const states = recordStates(transport)
    await until(
      (notify) => transport.onConnection(notify),
      () => (states.at(-1) === 'open' ? true : undefined),
    )
    await fetch(`${ts.url}/health`, { headers: { 'x-request-id': requestId } })
    await until(
      (notify) => transport.on('logs:batch', notify),
      () => (seen.includes(requestId) ? true : undefined),
    )
    off()
  })

  it('opens the blog and admin in a new tab on the page origin, without minting a sign-in link', async () => {
    transport = make()
    expect(await transport.call('link:open', { target: 'admin' })).toEqual({ ok: true, data: { url: `${ts.url}/admin/` } })
    expect(await transport.call('link:open', { target: 'blog' })).toEqual({ ok: true, data: { url: `${ts.url}/` } })
    expect(opened.slice(-2)).toEqual([`${ts.url}/admin/`, `${ts.url}/`])
    expect(ts.lines.filter((line) => line.includes('one-time login link issued')).length).toBe(1) // loginAsAdmin's own
  })

  it('says "signed out" for a 401, and only then', async () => {
    transport = make({ cookie: '' })
    const states = recordStates(transport)
    const result = await transport.call('server:status', undefined)
    expect(result).toMatchObject({ ok: false, error: { code: 'NETWORK_ERROR', message: 'You are signed out of the admin area.' } })
    expect(states.at(-1)).toBe('signed-out')
  })
})

describe('HTTP transport when the server answers 503, then comes back', () => {
  let playing: Server | null = null
  let supervisor: ServerSupervisor | null = null
  let dataDir: string
  afterAll(async () => {
    await new Promise<void>((resolve) => (playing ? playing.close(() => resolve()) : resolve()))
    await supervisor?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('is "reconnecting", never "signed out", on a 5xx; keeps trying; and opens once a real server answers', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'starpunk-transport-'))
    // Sign in first, on a run of the server that is over by then: the session lives in the data dir, so
    // the cookie is good the moment the server comes back (the page would hold it from before).
    const jar = { cookie: '' }
    const earlier = createSupervisor({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0' }, server: { logging: { write: () => {} } } })
    await earlier.start()
    const minted = await earlier.console.issueLoginLink()
    if (!minted.ok) throw new Error(minted.error.message)
    jar.cookie = sessionCookieFrom(await fetch(minted.data.url, { redirect: 'manual' })) ?? ''
    expect(jar.cookie).not.toBe('')
    await earlier.close()
    // A server that is up but broken: every request answers 503.
    let hits = 0
    playing = createHttpServer((_req, res) => {
      hits++
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"ok":false}')
    })
    await new Promise<void>((resolve) => playing!.listen(0, '127.0.0.1', resolve))
    const port = (playing.address() as { port: number }).port
    const base = `http://127.0.0.1:${port}`
    const transport = httpTransport({ base: `${base}/admin/console`, pageOrigin: base, openWindow: () => {}, fetch: withCookie(jar), backoff: { initialMs: 20, maxMs: 100 } })
    transports.push(transport)
    const states = recordStates(transport)
    const statuses: ServerStatus[] = []
    transport.on('server:status', (s) => statuses.push(s))
    transport.on('pool:stats', () => {})

    const call = await transport.call('server:status', undefined)
    expect(call).toMatchObject({ ok: false, error: { code: 'NETWORK_ERROR', message: 'The server did not answer.' } })
    // The stream keeps retrying (backoff), without deciding the person is signed out.
    await until(
      (notify) => {
        const timer = setInterval(notify, 20)
        return () => clearInterval(timer)
      },
      () => (hits >= 4 ? true : undefined),
    )
    expect(states).not.toContain('signed-out')
    expect(states.at(-1)).toBe('reconnecting')

    // Then the real server comes up on that port; the transport finds it by itself.
    await new Promise<void>((resolve) => {
      playing!.close(() => resolve())
      playing!.closeAllConnections()
    })
    playing = null
    supervisor = createSupervisor({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: String(port) }, server: { logging: { write: () => {} } } })
    expect((await supervisor.start()).state).toBe('running')
    await until(
      (notify) => transport.onConnection(notify),
      () => (states.at(-1) === 'open' ? true : undefined),
    )
    const status = await transport.call('server:status', undefined)
    expect(status).toMatchObject({ ok: true, data: { state: 'running', url: base } })
  })
})

describe('HTTP transport across a restart it asked for', () => {
  let supervisor: ServerSupervisor
  let dataDir: string
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'starpunk-transport-restart-'))
    supervisor = createSupervisor({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0' }, server: { logging: { write: () => {} } } })
    await supervisor.start()
  })
  afterAll(async () => {
    await supervisor.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('gets "accepted" at once, reconnects, and hears the new server running from the resumed stream', async () => {
    const url = supervisor.status().url!
    const minted = await supervisor.console.issueLoginLink()
    if (!minted.ok) throw new Error(minted.error.message)
    const jar = { cookie: sessionCookieFrom(await fetch(minted.data.url, { redirect: 'manual' })) ?? '' }
    const transport = httpTransport({ base: `${url}/admin/console`, pageOrigin: url, openWindow: () => {}, fetch: withCookie(jar), backoff: { initialMs: 20, maxMs: 200 } })
    transports.push(transport)
    const states = recordStates(transport)
    const statuses: ServerStatus[] = []
    transport.on('server:status', (s) => statuses.push(s))
    await until(
      (notify) => transport.onConnection(notify),
      () => (states.at(-1) === 'open' ? true : undefined),
    )
    const before = supervisor.status().startedAt

    const accepted = await transport.call('server:restart', undefined)
    expect(accepted).toMatchObject({ ok: true, data: { accepted: 'restart', status: { state: 'running', startedAt: before } } })
    const running = await until(
      (notify) => transport.on('server:status', notify),
      () => statuses.find((s) => s.state === 'running' && s.startedAt !== before),
    )
    // The stream was cut by the restart and resumed: the states in between arrived too, in order.
    expect(states).toContain('reconnecting')
    expect(states.at(-1)).toBe('open')
    expect(statuses.map((s) => s.state)).toEqual(['stopped', 'starting', 'running'])
    expect(running.url).toBe(url)
    expect(await transport.call('server:status', undefined)).toMatchObject({ ok: true, data: { state: 'running', startedAt: running.startedAt } })
  })
})
