import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin } from './helpers/admin'
import { parsedLogs, startTestServer, type TestServer } from './helpers/server'

// The whole real server: request IDs, access lines, trace ids and redaction as a client sees them.
let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

const accessLines = () => parsedLogs(t.lines).filter((e) => e.msg === 'request')
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('request IDs', () => {
  it('generates one when none is sent and echoes it', async () => {
    const res = await fetch(`${t.url}/health`)
    expect(res.headers.get('x-request-id')).toMatch(uuid)
  })

  it('keeps a sane inbound X-Request-ID and replaces an unsafe one', async () => {
    const kept = await fetch(`${t.url}/health`, { headers: { 'x-request-id': 'lb-4f2a.9' } })
    expect(kept.headers.get('x-request-id')).toBe('lb-4f2a.9')
    for (const bad of ['x'.repeat(200), 'a b', 'quote"d', 'semi;colon']) {
      const res = await fetch(`${t.url}/health`, { headers: { 'x-request-id': bad } })
      expect(res.headers.get('x-request-id'), bad).toMatch(uuid)
    }
  })

  it('every line written while serving a request carries its ID', async () => {
    const res = await fetch(`${t.url}/definitely-missing`, { headers: { accept: 'application/json', 'x-request-id': 'trace-me-1' } })
    expect(res.status).toBe(404)
    const mine = parsedLogs(t.lines).filter((e) => e.requestId === 'trace-me-1')
    expect(mine.map((e) => e.msg)).toEqual(['request rejected: NOT_FOUND', 'request'])
  })
})

describe('access line', () => {
  it('has method, path without query, status, duration, bytes and request ID', async () => {
    const res = await fetch(`${t.url}/health?token=one-time-secret-value`, { headers: { 'x-request-id': 'access-1' } })
    const body = await res.arrayBuffer()
    const line = accessLines().find((e) => e.requestId === 'access-1')
    expect(line?.level).toBe('INFO')
    expect(line?.fields).toMatchObject({ method: 'GET', path: '/health', status: 200, bytes: body.byteLength })
    expect(typeof line?.fields?.durationMs).toBe('number')
    expect(t.lines.join('\n')).not.toContain('one-time-secret-value')
  })

  it('logs the trace id of a valid traceparent, and ignores an invalid one', async () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736'
    await fetch(`${t.url}/health`, { headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01`, 'x-request-id': 'traced' } })
    await fetch(`${t.url}/health`, { headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, 'x-request-id': 'untraced' } })
    expect(accessLines().find((e) => e.requestId === 'traced')?.fields?.traceId).toBe(trace)
    expect(accessLines().find((e) => e.requestId === 'untraced')?.fields?.traceId).toBeUndefined()
  })

  it('never logs credentials a client sends', async () => {
    await fetch(`${t.url}/missing`, {
      headers: { authorization: 'Bearer tkn-abcdef123456', cookie: 'sid=cookie-value-987', accept: 'application/json' },
    })
    const all = t.lines.join('\n')
    expect(all).not.toContain('tkn-abcdef123456')
    expect(all).not.toContain('cookie-value-987')
  })

  it('the session secret never appears in any line', async () => {
    const secret = t.server.context.config.sessionSecret
    expect(secret.length).toBeGreaterThanOrEqual(32)
    // Sign in and use the session (the secret signs and checks it), then look at every line so far.
    const from = t.lines.length
    const admin = await loginAsAdmin(t)
    expect((await fetch(`${t.url}/admin`, { headers: { cookie: admin.cookie, 'x-request-id': 'with-session' } })).status).toBe(200)
    expect(accessLines().some((e) => e.requestId === 'with-session')).toBe(true)
    expect(t.lines.length).toBeGreaterThan(from)
    expect(t.lines.join('\n')).not.toContain(secret)
  })
})

describe('requests the HTTP parser rejects', () => {
  it('get a JSON 400 with a request ID that is on the log line, not a bare socket reply', async () => {
    const { port, hostname } = new URL(t.url)
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.end('GET / HTTP/1.1\r\nHost: x\r\nbroken header line\r\n\r\n'))
      let data = ''
      socket.on('data', (d) => (data += d.toString()))
      socket.on('end', () => resolve(data))
      socket.on('error', reject)
    })
    expect(response).toMatch(/^HTTP\/1\.1 400 /)
    const requestId = /X-Request-ID: (\S+)/i.exec(response)?.[1]
    expect(requestId).toMatch(uuid)
    expect(response).toContain(`"request_id":"${requestId}"`)
    expect(parsedLogs(t.lines).some((e) => e.requestId === requestId && e.msg === 'request rejected: BAD_REQUEST')).toBe(true)
  })
})

describe('lifecycle lines', () => {
  it('logs where it listens', () => {
    const listening = parsedLogs(t.lines).find((e) => e.msg === 'listening')
    expect(listening?.fields?.url).toBe(t.url)
  })
})
