import { request as httpRequest, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogEntry } from '../../../shared/contract'
import { loadConfig } from '../config'
import { createLogging, requestLogging } from '../logging'
import { renderErrorPage } from '../web'
import { ERROR_CATALOG, SystemError, UserError, appError, clientErrorHandler, errorFormat, errorHandler, methodNotAllowed, notFoundHandler, type ErrorCode } from '.'

// A small real app: the real request logging, the real error handler and the real HTML error page,
// on real HTTP, with routes that throw what services throw.
let server: Server
let base: string
let dir: string
const lines: string[] = []
const logs = () => lines.map((l) => JSON.parse(l) as LogEntry)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'starpunk-errors-'))
  const { config } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_FETCH_ENABLED: 'false' } })
  const logging = createLogging(config, { write: (l) => lines.push(l) })
  const app = express()
  app.use(requestLogging(logging))
  // As a capability's router does for its own paths: programs call /api, so its errors are always JSON.
  app.use('/api', errorFormat('json'))
  app.get('/throw/:code', (req) => {
    const code = req.params.code as ErrorCode
    // A value for every {placeholder} the entry uses; `path` gets a file path that must never be shown.
    const names = JSON.stringify(ERROR_CATALOG[code]).match(/\{(\w+)\}/g) ?? []
    const vars = Object.fromEntries(names.map((n) => n.slice(1, -1)).map((n) => [n, n === 'path' ? '/srv/secret/path' : `value-of-${n}`]))
    throw appError(code, { vars })
  })
  app.get('/raw', () => {
    throw new Error("SQLITE_ERROR: near \"SELEC\": syntax error in SELEC * FROM notes WHERE path='/home/user/data/starpunk.db'")
  })
  app.get('/raw-async', async () => {
    await Promise.resolve()
    throw Object.assign(new Error('ENOENT: no such file or directory, open /var/lib/starpunk/media/x.jpg'), { code: 'ENOENT' })
  })
  app.post('/api/echo', express.json({ limit: 64 }), (req, res) => {
    res.json({ got: req.body as unknown })
  })
  // Answers on a later turn of the event loop: a request still in flight when the parser meets the garbage
  // behind it (parsed from the same chunk, before this callback runs).
  app.get('/later', (_req, res) => void setImmediate(() => res.send('later')))
  app.get('/notes/:slug', (req, res) => {
    res.send(req.params.slug)
  })
  app.route('/things').get((_req, res) => res.send('things')).post((_req, res) => res.send('made')).all(methodNotAllowed(['GET', 'POST']))
  app.use(notFoundHandler)
  app.use(errorHandler({ logger: logging.logger, renderErrorPage: (info, status, requestId) => renderErrorPage(config, info, status, requestId) }))
  server = app.listen(0, '127.0.0.1')
  server.on('clientError', clientErrorHandler(logging))
  await new Promise((r) => server.once('listening', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((r) => server.close(r))
  rmSync(dir, { recursive: true, force: true })
})

const json = { accept: 'application/json' }
const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }

describe('the catalog', () => {
  const codes = Object.keys(ERROR_CATALOG) as ErrorCode[]

  it('user errors are 4xx, system errors 5xx, as distinct types', () => {
    for (const code of codes) {
      const error = appError(code)
      expect(error.status >= 500 ? error instanceof SystemError : error instanceof UserError, code).toBe(true)
      expect(error.kind, code).toBe(error.status >= 500 ? 'system' : 'user')
    }
  })

  it.each(codes)('%s renders as JSON with exactly code, message, suggestion, troubleshooting and request_id', async (code) => {
    const res = await fetch(`${base}/throw/${code}`, { headers: json })
    expect(res.status).toBe(ERROR_CATALOG[code].status)
    const body = (await res.json()) as { error: Record<string, unknown> }
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'request_id', 'suggestion', 'troubleshooting'])
    expect(body.error.code).toBe(code)
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
    // Every placeholder was filled (message, suggestion and steps).
    expect(JSON.stringify(body)).not.toMatch(/\{\w+\}/)
    expect((body.error.troubleshooting as string[]).length).toBeGreaterThan(0)
    expect(JSON.stringify(body)).not.toContain('/srv/secret/path')
  })

  it.each(codes)('%s renders as an HTML page with its message, steps and request ID', async (code) => {
    const res = await fetch(`${base}/throw/${code}`, { headers: html })
    expect(res.status).toBe(ERROR_CATALOG[code].status)
    expect(res.headers.get('content-type')).toContain('text/html')
    const page = await res.text()
    const requestId = res.headers.get('x-request-id') ?? 'missing'
    expect(page).toContain(requestId)
    expect(page).toContain(code)
    expect(page).toContain('<ol>')
    expect(page).not.toContain('/srv/secret/path')
  })
})

describe('nothing internal leaks', () => {
  it.each(['/raw', '/raw-async'])('a raw error from %s answers a generic 500; the detail is logged with the same request ID', async (path) => {
    for (const headers of [json, html]) {
      const res = await fetch(base + path, { headers })
      expect(res.status).toBe(500)
      const body = await res.text()
      for (const leak of ['SELEC', 'sqlite', 'SQLITE', '/home/', '/var/lib', 'ENOENT', 'starpunk.db', '    at ', '.ts:']) expect(body, leak).not.toContain(leak)
      const requestId = res.headers.get('x-request-id')
      const logged = logs().find((e) => e.requestId === requestId && e.level === 'ERROR')
      expect(logged?.fields?.code).toBe('INTERNAL_ERROR')
      expect(JSON.stringify(logged?.fields?.cause)).toMatch(/SELEC|ENOENT/)
      expect(JSON.stringify(logged?.fields?.cause)).toContain('errors.test.ts')
    }
  })

  it('a malformed JSON body is a 400 JSON error carrying the request ID', async () => {
    const res = await fetch(`${base}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: '{"a": ' })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; request_id: string; message: string } }
    expect(body.error.code).toBe('BAD_REQUEST')
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
    expect(body.error.message).toContain('not valid JSON')
    expect(JSON.stringify(body)).not.toContain('Unexpected')
  })

  it('a body over the limit is a 413 naming the limit', async () => {
    const res = await fetch(`${base}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(200) }) })
    expect(res.status).toBe(413)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(body.error.message).toContain('64 bytes')
  })

  it('an invalid percent-encoding in a path parameter is a 400, not a 500', async () => {
    const res = await fetch(`${base}/notes/%E0%A4%A`, { headers: html })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('percent-encoding')
  })
})

describe('negotiation', () => {
  it('browsers get HTML, JSON clients and paths declared json get JSON', async () => {
    const page = await fetch(`${base}/missing`, { headers: html })
    expect(page.headers.get('content-type')).toContain('text/html')
    const api = await fetch(`${base}/missing`, { headers: json })
    expect(api.headers.get('content-type')).toContain('application/json')
    // The error handler knows no prefixes: only what a router declared (test/error-formats.test.ts: the real routers).
    for (const path of ['/api/missing', '/api']) {
      const res = await fetch(base + path, { headers: html })
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type'), path).toContain('application/json')
    }
    const undeclared = await fetch(`${base}/micropub/nothing`, { headers: html })
    expect(undeclared.headers.get('content-type')).toContain('text/html')
    const noAccept = await fetch(`${base}/missing`, { headers: { accept: '' } })
    expect(noAccept.headers.get('content-type')).toContain('application/json')
  })
})

describe('405 and 503 helpers', () => {
  it('a known path with a wrong method is a 405 with Allow', async () => {
    const res = await fetch(`${base}/things`, { method: 'DELETE', headers: json })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS')
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('METHOD_NOT_ALLOWED')
    expect(body.error.message).toContain('DELETE')
    const options = await fetch(`${base}/things`, { method: 'OPTIONS' })
    expect(options.status).toBe(204)
    expect(options.headers.get('allow')).toContain('POST')
    expect((await fetch(`${base}/things`, { method: 'POST' })).status).toBe(200)
  })

  it('a 503 always carries Retry-After', async () => {
    for (const code of ['POOL_EXHAUSTED', 'DATABASE_LOCKED', 'DATABASE_UNAVAILABLE']) {
      const res = await fetch(`${base}/throw/${code}`, { headers: json })
      expect(res.status).toBe(503)
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    }
  })
})

describe('requests the HTTP parser rejects', () => {
  async function raw(request: string): Promise<string> {
    const port = (server.address() as AddressInfo).port
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(request))
      let data = ''
      socket.on('data', (d) => (data += d.toString()))
      socket.on('end', () => resolve(data))
      socket.on('error', reject)
    })
  }

  it('answer the JSON error shape with a request ID that is on the log line', async () => {
    const response = await raw('GET / HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n')
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    const requestId = /X-Request-ID: (\S+)/.exec(response)?.[1]
    const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: { code: string; request_id: string } }
    expect(body.error.code).toBe('BAD_REQUEST')
    expect(body.error.request_id).toBe(requestId)
    expect(logs().find((e) => e.requestId === requestId)?.fields?.parserError).toBe('HPE_INVALID_HEADER_TOKEN')
  })

  // Node's own HTTP client sends an OPTIONS body with no Content-Length (nor chunked framing): the server
  // reads the body as the start of a second, invalid request. The first request must get its answer and
  // nothing after it: a second response would corrupt the connection for the client ("Data after
  // `Connection: close`").
  const statusLines = (response: string) => response.match(/HTTP\/1\.1 \d{3}/g) ?? []
  it.each([
    ['an unframed OPTIONS body, answered synchronously', 'OPTIONS /things HTTP/1.1\r\nHost: x\r\n\r\nhello', 'HTTP/1.1 204', ''],
    ['garbage behind a keep-alive GET', 'GET /things HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE GARBAGE\r\n\r\n', 'HTTP/1.1 200', 'things'],
    ['garbage behind a request answered later', 'GET /later HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01junk', 'HTTP/1.1 200', 'later'],
  ])('%s: one response for the valid request, nothing after it', async (_name, request, status, body) => {
    // Written without half-closing: Node aborts a request whose client has already ended its side.
    const port = (server.address() as AddressInfo).port
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(request))
      let data = ''
      socket.on('data', (d) => (data += d.toString()))
      socket.on('end', () => resolve(data))
      socket.on('error', reject)
    })
    expect(statusLines(response)).toEqual([status])
    if (body) expect(response.endsWith(`\r\n\r\n${body}`)).toBe(true)
  })

  it('a client that hangs up inside a request body: the connection is closed, not held open waiting for the rest', async () => {
    const port = (server.address() as AddressInfo).port
    // Half-close after 10 of 100 promised bytes: Node reports the early end as a parse error of the
    // request in flight. Before the fix, this connection stayed open until the server closed.
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a": 1234'))
      let data = ''
      socket.on('data', (d) => (data += d.toString()))
      socket.on('error', () => resolve(`reset after ${JSON.stringify(data)}`))
      socket.on('close', () => resolve(`closed after ${JSON.stringify(data)}`))
    })
    expect(outcome).toMatch(/^(closed|reset) after/)
    // Nothing of a second response: at most the answer to the request itself (here none: it never arrived).
    expect((outcome.match(/HTTP\/1\.1 \d{3}/g) ?? []).length).toBeLessThanOrEqual(1)
  })

  it('a HEAD the parser rejects gets its status and request ID without a body (Node\'s client reads it cleanly)', async () => {
    const port = (server.address() as AddressInfo).port
    const reply = await new Promise<{ status: number; requestId: unknown; bytes: number }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'HEAD', path: `/?page=${'x'.repeat(20_000)}` }, (res) => {
        let bytes = 0
        res.on('data', (d: Buffer) => (bytes += d.length))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: res.headers['x-request-id'], bytes }))
      })
      req.on('error', reject)
      req.end()
    })
    expect(reply.status).toBe(431)
    expect(reply.bytes).toBe(0)
    expect(typeof reply.requestId).toBe('string')
    expect(logs().some((e) => e.requestId === reply.requestId)).toBe(true)
  })

  it('too large headers are a 431', async () => {
    const response = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(response).toMatch(/^HTTP\/1\.1 431 /)
    expect(response).toContain('"request_id"')
  })
})
