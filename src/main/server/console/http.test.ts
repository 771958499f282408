import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { createSupervisor, type ServerSupervisor } from '../supervisor'

/** Sign in with the one-time link; returns the session cookie and the console's CSRF token. */
async function signIn(url: string, issueLoginLink: () => Promise<string>): Promise<{ cookie: string; csrf: string }> {
  const link = await issueLoginLink()
  const res = await fetch(link, { redirect: 'manual' })
  expect(res.status).toBeGreaterThanOrEqual(300)
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  expect(cookie).not.toBe('')
  const session = await fetch(`${url}/admin/console/api/session`, { headers: { cookie } })
  expect(session.status).toBe(200)
  const { csrfToken } = (await session.json()) as { csrfToken: string }
  expect(csrfToken.length).toBeGreaterThan(10)
  return { cookie, csrf: csrfToken }
}

interface SseEvent {
  id?: string
  event?: string
  data?: string
}

/** Read an SSE stream until `count` events with an id arrived; then abort. */
async function readEvents(url: string, headers: Record<string, string>, count: number, filter: (e: SseEvent) => boolean = () => true): Promise<SseEvent[]> {
  const controller = new AbortController()
  const res = await fetch(url, { headers, signal: controller.signal })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/event-stream')
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  const events: SseEvent[] = []
  while (events.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event: SseEvent = {}
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':')
        if (colon <= 0) continue
        const field = line.slice(0, colon)
        const value = line.slice(colon + 1).trimStart()
        if (field === 'id' || field === 'event' || field === 'data') event[field] = value
      }
      if (event.event && filter(event)) events.push(event)
    }
  }
  controller.abort()
  return events
}

describe('console HTTP transport (server started on its own)', () => {
  let ts: TestServer
  let cookie: string
  let csrf: string
  beforeAll(async () => {
    ts = await startTestServer()
    ;({ cookie, csrf } = await signIn(ts.url, () => ts.server.context.auth.issueLoginLink()))
  })
  afterAll(async () => {
    await ts.close()
  })

  it('refuses every console API path without a session: 401 JSON with the request ID', async () => {
    for (const [method, path] of [
      ['GET', '/admin/console/api/session'],
      ['GET', '/admin/console/api/events'],
      ['POST', '/admin/console/api/call/server:status'],
    ] as const) {
      const res = await fetch(`${ts.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) })
      expect(res.status, path).toBe(401)
      const body = (await res.json()) as { error: { code: string; request_id: string } }
      expect(body.error.code).toBe('UNAUTHORIZED')
      expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
    }
  })

  it('sends a browser without a session to sign in instead of showing the console', async () => {
    const res = await fetch(`${ts.url}/admin/console/`, { redirect: 'manual', headers: { accept: 'text/html' } })
    expect([302, 303]).toContain(res.status)
    expect(res.headers.get('location')).toContain('/admin/login')
  })

  it('requires the CSRF token on calls, and answers with the contract result', async () => {
    const without = await fetch(`${ts.url}/admin/console/api/call/server:status`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' })
    expect(without.status).toBe(403)
    const res = await fetch(`${ts.url}/admin/console/api/call/server:status`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: '{}',
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { ok: boolean; data: { state: string; url: string } }
    expect(body).toMatchObject({ ok: true, data: { state: 'running', url: ts.url } })
  })

  it('turns bad input into catalog errors with the request ID: unknown call, bad payload, broken JSON, huge body', async () => {
    const post = (name: string, body: string) =>
      fetch(`${ts.url}/admin/console/api/call/${name}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body })
    const unknown = await post('server:explode', '{}')
    expect(unknown.status).toBe(400)
    const unknownBody = (await unknown.json()) as { ok: boolean; error: { code: string; request_id: string } }
    expect(unknownBody).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    expect(unknownBody.error.request_id).toBe(unknown.headers.get('x-request-id'))
    const badPayload = await post('logs:recent', JSON.stringify({ limit: -5 }))
    expect(badPayload.status).toBe(400)
    const broken = await post('logs:recent', '{"limit":')
    expect(broken.status).toBe(400)
    const brokenText = await broken.text()
    expect(brokenText).not.toMatch(/at .*\.(ts|js):\d+/)
    const huge = await post('config:validate', JSON.stringify({ values: { STARPUNK_SITE_NAME: 'x'.repeat(2 * 1024 * 1024) } }))
    expect(huge.status).toBe(413)
  })

  it('cannot restart a server nobody supervises, and says so', async () => {
    const res = await fetch(`${ts.url}/admin/console/api/call/server:restart`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' })
    expect(res.status).toBe(409)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CONSOLE_ACTION_UNAVAILABLE')
    const health = await fetch(`${ts.url}/health`)
    expect(health.status).toBe(200)
  })

  it('streams pushed events with ids, and resumes after Last-Event-ID without repeats', async () => {
    const url = `${ts.url}/admin/console/api/events`
    // Traffic for the log batches.
    const traffic = setInterval(() => void fetch(`${ts.url}/health`).catch(() => undefined), 50)
    try {
      const first = await readEvents(url, { cookie }, 3, (e) => e.event === 'pool:stats' || e.event === 'logs:batch')
      const ids = first.map((e) => Number(e.id))
      expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true)
      expect(JSON.parse(first[0]!.data!)).toBeTypeOf('object')
      const last = Math.max(...ids)
      const resumed = await readEvents(url, { cookie, 'last-event-id': String(last) }, 2)
      expect(resumed.every((e) => Number(e.id) > last)).toBe(true)
    } finally {
      clearInterval(traffic)
    }
  })

  it('starts a fresh stream with the id of the newest event, so a reconnect can resume from there', async () => {
    const [ready] = await readEvents(`${ts.url}/admin/console/api/events`, { cookie }, 1, (e) => e.event === 'ready')
    const id = Number(ready!.id)
    expect(Number.isInteger(id) && id >= 0).toBe(true)
    expect(id).toBeLessThanOrEqual(ts.server.context.console.lastEventId())
    // Resuming from it replays only what came after it.
    const resumed = await readEvents(`${ts.url}/admin/console/api/events`, { cookie, 'last-event-id': String(id) }, 1)
    expect(resumed.every((e) => Number(e.id) > id)).toBe(true)
  })

  it('drops an event stream whose client stopped reading, instead of buffering for it without end', { timeout: 120_000 }, async () => {
    const { port } = new URL(ts.url)
    const socket = connect(Number(port), '127.0.0.1')
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    let closed = false
    socket.on('close', () => {
      closed = true
    })
    socket.on('error', () => undefined)
    // A real client that asks for the stream and then reads nothing: no 'data' listener, paused.
    socket.write(`GET /admin/console/api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie}\r\nAccept: text/event-stream\r\n\r\n`)
    socket.pause()
    const dropLine = () => ts.lines.some((line) => line.includes('console event stream dropped'))
    const logger = ts.server.context.logger
    const big = 'x'.repeat(8000)
    // Log batches of ~8 MB each, until the server gives up on this client (the test timeout bounds it).
    while (!dropLine()) {
      for (let i = 0; i < 1000; i++) logger.info(`slow-client ${big}`)
      await new Promise((r) => setTimeout(r, 300))
    }
    // Reading now finds the end of a stream the server closed, not an endless backlog.
    socket.resume()
    socket.on('data', () => undefined)
    while (!closed) await new Promise((r) => setTimeout(r, 50))
    // The server itself is fine, and a reading client still gets its events.
    expect((await fetch(`${ts.url}/health`)).status).toBe(200)
    const events = await readEvents(`${ts.url}/admin/console/api/events`, { cookie }, 1, (e) => e.event === 'pool:stats')
    expect(events.length).toBe(1)
  })

  it('serves the built console with a strict CSP, or says how to build it', async () => {
    const res = await fetch(`${ts.url}/admin/console/`, { headers: { cookie, accept: 'text/html' } })
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toMatch(/unsafe-(inline|eval)/)
    expect(csp).toContain("frame-ancestors 'none'")
    if (res.status === 200) {
      const html = await res.text()
      expect(html).toContain('<div id="root">')
      expect(html).not.toMatch(/<script>(?!<\/script>)/)
    } else {
      expect(res.status).toBe(503)
      expect(await res.text()).toContain('build:console')
    }
  })
})

describe('console HTTP transport under the supervisor', () => {
  let supervisor: ServerSupervisor
  let dataDir: string
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'starpunk-console-http-'))
    supervisor = createSupervisor({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false' }, server: { logging: { write: () => {} } } })
    await supervisor.start()
  })
  afterAll(async () => {
    await supervisor.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('restarts from the browser: 202 first, then the server comes back on the same port and the session still works', async () => {
    const url = supervisor.status().url!
    const { cookie, csrf } = await signIn(url, () => supervisor.server!.context.auth.issueLoginLink())
    const oldServer = supervisor.server
    const res = await fetch(`${url}/admin/console/api/call/server:restart`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' })
    // Accepted, with the status as it is: the server answering is the one about to restart.
    expect(res.status).toBe(202)
    expect(res.headers.get('connection')).toBe('close')
    expect(((await res.json()) as { data: unknown }).data).toMatchObject({ accepted: 'restart', status: { state: 'running', url } })
    while (!(supervisor.server && supervisor.server !== oldServer && supervisor.status().state === 'running')) await new Promise((r) => setTimeout(r, 50))
    // Client and server share this event loop: let it read the old server's FIN on pooled keep-alive
    // sockets before reusing the port (a browser retries such a request by itself).
    await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setImmediate(resolve))
    expect(supervisor.status().url).toBe(url)
    const after = await fetch(`${url}/admin/console/api/call/server:status`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' })
    expect(after.status).toBe(200)
  })
})
