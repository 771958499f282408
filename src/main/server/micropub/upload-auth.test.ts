import { mkdirSync, readdirSync, watch, type FSWatcher } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
const BOUNDARY = 'EdgeCaseBoundary'

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: Record<string, unknown>
}

/** An HTTP request written by hand on a socket, so the body can be sent in pieces (or never finished). */
interface RawRequest {
  socket: Socket
  response: Promise<RawResponse>
  /** Resolves when the server ends or closes the connection. */
  closed: Promise<void>
}

function rawRequest(ts: TestServer, head: string, firstBytes: Buffer): RawRequest {
  const url = new URL(ts.url)
  const socket = connect(Number(url.port), url.hostname)
  socket.on('error', () => {})
  let received = Buffer.alloc(0)
  const response = new Promise<RawResponse>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const end = received.indexOf('\r\n\r\n')
      if (end < 0) return
      const [statusLine = '', ...lines] = received.subarray(0, end).toString('latin1').split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      const length = Number(headers['content-length'] ?? 0)
      const body = received.subarray(end + 4)
      if (body.length < length) return
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body.subarray(0, length).toString('utf8')) as Record<string, unknown> })
    })
  })
  const closed = new Promise<void>((resolve) => {
    socket.once('end', () => resolve())
    socket.once('close', () => resolve())
  })
  socket.write(`${head.replace(/\n/g, '\r\n')}\r\n`)
  socket.write(firstBytes)
  return { socket, response, closed }
}

/** The start of a multipart upload: a part header and the first bytes of a large file. */
function uploadStart(field: string, fileBytes: number): Buffer {
  const partHead = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`
  return Buffer.concat([Buffer.from(partHead, 'latin1'), PNG, Buffer.alloc(fileBytes, 7)])
}

function multipartHead(ts: TestServer, path: string, length: number, authorization?: string): string {
  return [
    `POST ${path} HTTP/1.1`,
    `Host: ${new URL(ts.url).host}`,
    ...(authorization ? [`Authorization: ${authorization}`] : []),
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
    `Content-Length: ${length}`,
    '',
  ].join('\n')
}

/**
 * Every new temp upload file that appears in the media directory while the test runs, seen by inotify.
 * Files already there (uploads held open on purpose) are not new, even when they are written to.
 */
function watchTempFiles(mediaDir: string): { seen: Set<string>; appeared: Promise<string>; close(): void } {
  mkdirSync(mediaDir, { recursive: true })
  const existing = new Set(readdirSync(mediaDir))
  const seen = new Set<string>()
  let announce: (name: string) => void = () => {}
  const appeared = new Promise<string>((resolve) => (announce = resolve))
  const watcher: FSWatcher = watch(mediaDir, (_event, name) => {
    if (name && name.startsWith('.upload-') && !existing.has(name)) {
      seen.add(name)
      announce(name)
    }
  })
  return { seen, appeared, close: () => watcher.close() }
}

const tempFilesNow = (mediaDir: string) => readdirSync(mediaDir).filter((n) => n.startsWith('.upload-'))

/** Poll until `condition` holds; the test timeout bounds it (no timing assertions). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10))
}

let ts: TestServer | null = null
let watcher: ReturnType<typeof watchTempFiles> | null = null
const sockets: Socket[] = []
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  watcher?.close()
  watcher = null
  await ts?.close()
  ts = null
})

describe('uploads with a bogus header token', () => {
  it.each(['/micropub', '/micropub/media'])('%s: 401 before the body is read, the connection is closed, and no temp file ever appears', async (path) => {
    ts = await startTestServer()
    const mediaDir = join(ts.dataDir, 'media')
    watcher = watchTempFiles(mediaDir)
    // 5 MB declared; only the first 256 KiB are sent until the server has answered.
    const first = uploadStart(path === '/micropub' ? 'photo' : 'file', 256 * 1024)
    const upload = rawRequest(ts, multipartHead(ts, path, 5 * 1024 * 1024, 'Bearer not-a-real-token'), first)
    sockets.push(upload.socket)
    const outcome = await Promise.race([upload.response, watcher.appeared.then((name) => ({ tempFile: name }))])
    expect(outcome, 'a temp file was written before the token was checked').not.toHaveProperty('tempFile')
    const res = outcome as RawResponse
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('unauthorized')
    expect(res.body.code).toBe('TOKEN_INVALID')
    expect(res.body.request_id).toBe(res.headers['x-request-id'])
    // The server stops reading: it closes the connection instead of swallowing the other 4.7 MB.
    expect(res.headers.connection).toBe('close')
    await upload.closed
    expect(watcher.seen.size).toBe(0)
    expect(tempFilesNow(mediaDir)).toEqual([])
    expect((await fetch(`${ts.url}/health`)).status).toBe(200)
  })

  it('a JSON or form body with a bogus header token is refused before it is read', async () => {
    ts = await startTestServer()
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      const head = [`POST /micropub HTTP/1.1`, `Host: ${new URL(ts.url).host}`, 'Authorization: Bearer not-a-real-token', `Content-Type: ${type}`, 'Content-Length: 500000', ''].join('\n')
      // Most of the body is never sent: the answer can only come if the token was checked first.
      const request = rawRequest(ts, head, Buffer.from(type === 'application/json' ? '{"type":["h-entry"],' : 'h=entry&content=', 'latin1'))
      sockets.push(request.socket)
      const res = await request.response
      expect(res.status, type).toBe(401)
      expect(res.headers.connection, type).toBe('close')
      await request.closed
    }
  })
})

describe('uploads with the token in the body', () => {
  const MAX = 64 * 1024

  it('at most two are read at a time; a third is refused with 429 before anything is written', async () => {
    ts = await startTestServer({ STARPUNK_MEDIA_MAX_BYTES: String(MAX) })
    const mediaDir = join(ts.dataDir, 'media')
    mkdirSync(mediaDir, { recursive: true })
    const length = 8 * MAX
    for (const path of ['/micropub', '/micropub/media']) {
      const held = rawRequest(ts, multipartHead(ts, path, length), uploadStart(path === '/micropub' ? 'photo' : 'file', 1024))
      sockets.push(held.socket)
    }
    await until(() => tempFilesNow(mediaDir).length === 2)
    expect(tempFilesNow(mediaDir)).toHaveLength(2)

    watcher = watchTempFiles(mediaDir)
    const third = rawRequest(ts, multipartHead(ts, '/micropub', length), uploadStart('photo', 1024))
    sockets.push(third.socket)
    const outcome = await Promise.race([third.response, watcher.appeared.then((name) => ({ tempFile: name }))])
    expect(outcome, 'the third upload was written to disk').not.toHaveProperty('tempFile')
    const res = outcome as RawResponse
    expect(res.status).toBe(429)
    expect(res.body.code).toBe('UPLOADS_BUSY')
    expect(String(res.body.suggestion)).toContain('Authorization header')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(res.body.request_id).toBe(res.headers['x-request-id'])
    expect(res.headers.connection).toBe('close')
    expect(watcher.seen.size).toBe(0)

    // The two held uploads go away: their temp files are removed and their slots come back.
    for (const socket of sockets.splice(0)) socket.destroy()
    await until(() => tempFilesNow(mediaDir).length === 0)
    expect(tempFilesNow(mediaDir)).toEqual([])
    const token = (await ts.server.context.tokens.createPersonal({ name: 'b', scopes: ['create', 'media'], expiresAt: null })).token
    for (let i = 0; i < 3; i++) {
      const body = new FormData()
      body.set('access_token', token)
      body.set('file', new Blob([PNG], { type: 'image/png' }), 'a.png')
      const ok = await fetch(`${ts.url}/micropub/media`, { method: 'POST', body })
      expect(ok.status, `upload ${i + 1}`).toBe(201)
    }
  })

  it('their temp bytes are capped together: over the cap is a 413 and every temp file is removed at once', async () => {
    ts = await startTestServer({ STARPUNK_MEDIA_MAX_BYTES: String(MAX) })
    const mediaDir = join(ts.dataDir, 'media')
    watcher = watchTempFiles(mediaDir)
    // Three photos, each under the per-file limit, together over twice the limit; the token is a bogus one.
    const body = new FormData()
    body.set('h', 'entry')
    body.set('content', 'three big photos')
    for (let i = 0; i < 3; i++) body.append('photo', new Blob([PNG, Buffer.alloc(MAX - 1024, i)], { type: 'image/png' }), `p${i}.png`)
    body.set('access_token', 'not-a-real-token')
    const res = await fetch(`${ts.url}/micropub`, { method: 'POST', body })
    expect(res.status).toBe(413)
    const json = (await res.json()) as { code: string; error_description: string; suggestion: string; request_id: string }
    expect(json.code).toBe('PAYLOAD_TOO_LARGE')
    expect(json.suggestion).toContain('Authorization header')
    expect(json.request_id).toBe(res.headers.get('x-request-id'))
    expect(tempFilesNow(mediaDir)).toEqual([])
    // Temp files existed while it streamed, and none of them outlived the answer.
    expect(watcher.seen.size).toBeGreaterThan(0)

    // The same photos with the token in the header are checked first and get the full limit.
    const token = (await ts.server.context.tokens.createPersonal({ name: 'c', scopes: ['create', 'media'], expiresAt: null })).token
    body.delete('access_token')
    const ok = await fetch(`${ts.url}/micropub`, { method: 'POST', body, headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(201)
    const notes = ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM media').get() as { n: number }
    expect(notes.n).toBe(3)
  })

  it('a valid token in the body still works for a post with a photo (the Micropub spec allows it)', async () => {
    ts = await startTestServer()
    const token = (await ts.server.context.tokens.createPersonal({ name: 'd', scopes: ['create', 'media'], expiresAt: null })).token
    const body = new FormData()
    body.set('access_token', token)
    body.set('h', 'entry')
    body.set('content', 'with a photo, token in the body')
    body.set('photo', new Blob([PNG], { type: 'image/png' }), 'a.png')
    const res = await fetch(`${ts.url}/micropub`, { method: 'POST', body })
    expect(res.status).toBe(201)
    // Both a header and a different body token: a conflict, as before.
    const other = (await ts.server.context.tokens.createPersonal({ name: 'e', scopes: ['create'], expiresAt: null })).token
    const conflict = await fetch(`${ts.url}/micropub`, { method: 'POST', body, headers: { authorization: `Bearer ${other}` } })
    expect(conflict.status).toBe(400)
    expect(((await conflict.json()) as { code: string }).code).toBe('TOKEN_CONFLICT')
  })
})
