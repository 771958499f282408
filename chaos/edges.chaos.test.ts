/**
 * Attack shapes at the edges of a real server process: uploads with bogus tokens (in the header and in the
 * body) in parallel, redirect tricks in `next`, and made-up X-Forwarded-For headers against the login limit.
 */
import { mkdirSync, readdirSync, watch, type FSWatcher } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findLeaks } from './harness/leaks'
import { newDataDir, startServer, type ServerProcess } from './harness/process'
import { request } from './harness/http'
import { recordSecret } from './harness/secrets'

let server: ServerProcess
let mediaDir = ''
beforeAll(async () => {
  server = await startServer({ dataDir: newDataDir('edges'), setup: true, env: { STARPUNK_MEDIA_MAX_BYTES: String(256 * 1024) } })
  // The log scan (zz-log-scan) checks that neither ever reaches a log line.
  if (server.token) recordSecret('personal token', server.token)
  if (server.loginLink) recordSecret('login link', server.loginLink)
  mediaDir = join(server.dataDir, 'media')
  mkdirSync(mediaDir, { recursive: true })
})
afterAll(async () => {
  await server?.stop()
})

const BOUNDARY = 'ChaosEdgeBoundary'
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

/** Temp upload files in the media dir, watched by inotify: every one seen, and the most at one time. */
function watchTemps(): { seen: Set<string>; most: () => number; close(): void } {
  const seen = new Set<string>()
  let most = 0
  const watcher: FSWatcher = watch(mediaDir, (_event, name) => {
    if (!name?.startsWith('.upload-')) return
    seen.add(name)
    most = Math.max(most, readdirSync(mediaDir).filter((n) => n.startsWith('.upload-')).length)
  })
  return { seen, most: () => most, close: () => watcher.close() }
}

/** A multipart upload on its own socket: the status line of the answer ('' if the connection ended without one). */
function upload(path: string, authorization: string | null, fields: Record<string, string>, fileBytes: number, sendAll: boolean): Promise<number> {
  const port = Number(new URL(server.url).port)
  const fieldParts = Object.entries(fields)
    .map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
    .join('')
  const fileHead = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${path === '/micropub' ? 'photo' : 'file'}"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n`
  const body = Buffer.concat([Buffer.from(fieldParts + fileHead, 'latin1'), PNG, Buffer.alloc(fileBytes, 3), Buffer.from(`\r\n--${BOUNDARY}--\r\n`, 'latin1')])
  // Declared large; only a part is sent unless sendAll: the answer must not wait for the rest.
  const declared = sendAll ? body.length : body.length + 4 * 1024 * 1024
  const head =
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${authorization ? `Authorization: ${authorization}\r\n` : ''}` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${declared}\r\n\r\n`
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.setTimeout(60_000, () => socket.destroy())
    socket.on('error', () => undefined)
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)
      if (status) {
        resolve(Number(status[1]))
        socket.destroy()
      }
    })
    socket.on('close', () => resolve(0))
    socket.write(head)
    socket.write(body)
  })
}

describe('uploads with bogus tokens, in parallel', () => {
  it('bogus header tokens: every upload is a 401 and not one temp file is ever written', async () => {
    const temps = watchTemps()
    try {
      const statuses = await Promise.all(
        Array.from({ length: 24 }, (_, i) => upload(i % 2 ? '/micropub' : '/micropub/media', `Bearer bogus-${i}`, { h: 'entry' }, 200 * 1024, false)),
      )
      expect(statuses).toEqual(statuses.map(() => 401))
      expect([...temps.seen]).toEqual([])
    } finally {
      temps.close()
    }
    expect((await request(server.url, '/health')).status).toBe(200)
  })

  it('bogus body tokens: at most two are on disk at once, the rest are refused, nothing is left, nothing leaks', async () => {
    const temps = watchTemps()
    try {
      const statuses = await Promise.all(
        Array.from({ length: 16 }, (_, i) => upload(i % 2 ? '/micropub' : '/micropub/media', null, { access_token: `bogus-${i}`, h: 'entry' }, 200 * 1024, true)),
      )
      expect(statuses.every((s) => s === 401 || s === 429 || s === 413), statuses.join(',')).toBe(true)
      // The first ones were taken and streamed to disk (the shape is exercised), never more than two at once.
      expect(temps.seen.size).toBeGreaterThan(0)
      expect(temps.most()).toBeLessThanOrEqual(2)
    } finally {
      temps.close()
    }
    expect(readdirSync(mediaDir).filter((n) => n.startsWith('.upload-'))).toEqual([])
    const busy = await request(server.url, '/micropub', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bogus' }, body: '{}' })
    expect(findLeaks(busy.text)).toEqual([])
    expect((await request(server.url, '/health')).status).toBe(200)
  })
})

describe('redirect tricks in next', () => {
  const TRICKS = ['/.//evil.example/x', '/%2e//evil.example/x', '/..//evil.example/x', '/a/../..//evil.example', '//evil.example', '/\\evil.example', '/\t/evil.example', 'https://evil.example/', '///evil.example']

  it('the login page never carries a next that leaves the site', async () => {
    for (const trick of TRICKS) {
      const page = await request(server.url, `/admin/login?next=${encodeURIComponent(trick)}`, { headers: { accept: 'text/html' } })
      expect(page.status, trick).toBe(200)
      const next = /name="next" value="([^"]*)"/.exec(page.text)?.[1] ?? '/admin'
      expect(new URL(next.replace(/&amp;/g, '&'), 'http://blog.invalid/').origin, trick).toBe('http://blog.invalid')
      expect(page.text, trick).not.toContain('evil.example')
    }
  })

  it('the one-time link redirects on the site only', async () => {
    const link = new URL(server.loginLink ?? '')
    const reply = await request(server.url, `${link.pathname}${link.search}&next=${encodeURIComponent(TRICKS[0]!)}`)
    expect(reply.status).toBe(303)
    expect(reply.headers.location).toBe('/admin')
  })
})

describe('X-Forwarded-For from a client that is not a trusted proxy', () => {
  it('a made-up address per attempt does not buy a fresh login budget', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 40 && !statuses.includes(429); i++) {
      const reply = await request(server.url, `/admin/login/link?token=guess-${i}`, { headers: { 'x-forwarded-for': `198.51.100.${i}`, accept: 'text/html' } })
      statuses.push(reply.status)
    }
    expect(statuses, statuses.join(',')).toContain(429)
    expect(statuses.some((s) => s >= 500)).toBe(false)
  })
})
