/**
 * Filesystem faults on a real server process: data dir read-only (tmpfs remounted ro) and full, log dir
 * not writable (a file where the directory should be), media dir missing or replaced by a file. The server
 * keeps serving what it can, readiness names the failing component, errors are clear (no 500, no path),
 * and it recovers, without a restart, once the fault is repaired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { newDataDir, startServer, type ServerProcess } from './harness/process'
import { readiness, request, type Reply } from './harness/http'
import { mountTmpfs, type Tmpfs } from './harness/tmpfs'
import { findLeaks } from './harness/leaks'
import { recordSecret } from './harness/secrets'

const HEALTH_TOKEN = 'chaos-fs-health-token-7a2b9c'
// A small real PNG for media uploads, made here: uploads are decoded and re-encoded, so the bytes must be a
// picture libvips can read, not just a PNG signature.
const PNG = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer()

/** The token minted at first start (restarts without setup keep using it). */
const tokens = new Map<string, string>()

function micropubCreate(server: ServerProcess, text: string): Promise<Reply> {
  if (server.token) tokens.set(server.dataDir, server.token)
  return request(server.url, '/micropub', {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.get(server.dataDir) ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: ['h-entry'], properties: { content: [text] } }),
  })
}

function uploadMedia(server: ServerProcess): Promise<Reply> {
  const boundary = 'chaosboundary42'
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="pixel.png"\r\nContent-Type: image/png\r\n\r\n`),
    PNG,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  return request(server.url, '/micropub/media', { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, body })
}

/** A clear error: 4xx/503 with a code and the request ID, never 500, never a path or stack. */
function expectClearError(reply: Reply, dataDir: string): void {
  expect(reply.status, reply.text.slice(0, 300)).toBeGreaterThanOrEqual(400)
  expect(reply.status, reply.text.slice(0, 300)).not.toBe(500)
  expect(reply.text).toContain(String(reply.headers['x-request-id']))
  expect(findLeaks(reply.text, [dataDir])).toEqual([])
}

/** Names of the failing (or warning) components in the detailed readiness report. */
async function failing(server: ServerProcess): Promise<{ status: number; names: string[]; text: string }> {
  const r = await readiness(server.url, HEALTH_TOKEN)
  const checks = (r.json.checks ?? {}) as Record<string, Array<{ status: string }>>
  const names = Object.entries(checks)
    .filter(([, list]) => list.some((c) => c.status !== 'pass'))
    .map(([key]) => key)
  return { status: r.status, names, text: r.text }
}

describe('data dir read-only and full (tmpfs)', () => {
  let fs: Tmpfs
  let server: ServerProcess
  let slug = ''
  let token = ''
  beforeAll(async () => {
    recordSecret('health token', HEALTH_TOKEN)
    fs = mountTmpfs(join(newDataDir('fs-data'), 'mnt'), 48)
    server = await startServer({ dataDir: fs.path, setup: true, env: { STARPUNK_HEALTH_TOKEN: HEALTH_TOKEN, STARPUNK_DB_BUSY_TIMEOUT_MS: '500' } })
    token = server.token ?? ''
    tokens.set(fs.path, token)
    recordSecret('personal token', token)
    recordSecret('login link', server.loginLink)
    const created = await micropubCreate(server, 'Written before the disk went read-only.')
    expect(created.status).toBe(201)
    slug = new URL(String(created.headers.location)).pathname
  })
  afterAll(async () => {
    try {
      fs?.readWrite()
    } catch {
      // Not mounted.
    }
    await server?.stop()
    fs?.unmount()
  })

  it('read-only data dir: a clear refusal to start (no stack); starts and serves the old notes once writable', async () => {
    // Linux refuses to remount a tmpfs read-only while the server holds the database open for writing
    // (EBUSY), so the read-only fault is met where it can happen: at startup, after a remount while stopped.
    await server.stop()
    fs.readOnly()
    try {
      const refused = await startServer({ dataDir: fs.path, env: { STARPUNK_HEALTH_TOKEN: HEALTH_TOKEN } }).then(
        async (s) => {
          await s.stop()
          return null
        },
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      )
      expect(refused, 'the server started on a read-only data dir').not.toBeNull()
      expect(refused).toMatch(/not writable|read-only/i)
      expect(refused).not.toMatch(/\n\s+at /)
    } finally {
      fs.readWrite()
    }
    server = await startServer({ dataDir: fs.path, env: { STARPUNK_HEALTH_TOKEN: HEALTH_TOKEN } })
    expect((await request(server.url, slug)).status).toBe(200)
    const ready = await failing(server)
    expect(ready.status, ready.text).toBe(200)
  })

  it('full disk: writes refused clearly, readiness names the filesystem; recovers when space is freed', async () => {
    const filler = join(fs.path, 'filler.bin')
    // Fill every last byte (tmpfs answers ENOSPC to root too).
    const chunk = Buffer.alloc(1024 * 1024, 7)
    try {
      for (let i = 0; i < 64; i++) writeFileSync(filler, chunk, { flag: 'a' })
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC')
    }
    try {
      for (let i = 0; i < 1024; i++) writeFileSync(filler, Buffer.alloc(1024, 1), { flag: 'a' })
    } catch {
      // Full to the last KiB.
    }
    try {
      expect((await request(server.url, '/')).status).toBe(200)
      // A big note so SQLite must grow the WAL.
      const write = await micropubCreate(server, 'Written on a full disk. ' + 'word '.repeat(40_000))
      expectClearError(write, server.dataDir)
      const ready = await failing(server)
      expect(ready.names, ready.text).toEqual(expect.arrayContaining([expect.stringMatching(/^filesystem/)]))
    } finally {
      rmSync(filler, { force: true })
    }
    const after = await micropubCreate(server, 'Written after space was freed.')
    expect(after.status, after.text.slice(0, 300)).toBe(201)
  })
})

describe('log dir not writable (a file where the directory should be)', () => {
  let server: ServerProcess
  let logDir = ''
  beforeAll(async () => {
    const dataDir = newDataDir('fs-logs')
    logDir = join(dataDir, 'logs')
    writeFileSync(logDir, 'not a directory')
    server = await startServer({ dataDir, setup: true, env: { STARPUNK_HEALTH_TOKEN: HEALTH_TOKEN } })
    recordSecret('personal token', server.token)
    recordSecret('login link', server.loginLink)
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('starts and serves, says so clearly on stderr, readiness names the logs', async () => {
    expect((await request(server.url, '/')).status).toBe(200)
    expect((await micropubCreate(server, 'Written with no log directory.')).status).toBe(201)
    expect(server.stderr()).toMatch(/log/i)
    expect(server.stderr()).not.toMatch(/\n\s+at /)
    const ready = await failing(server)
    expect(ready.names, ready.text).toEqual(expect.arrayContaining([expect.stringMatching(/log/i)]))
  })

  it('recovers: once the directory exists, log lines reach the file without a restart', async () => {
    rmSync(logDir, { force: true })
    mkdirSync(logDir)
    // Bounded: a few requests over a few seconds, then look.
    for (let i = 0; i < 10; i++) {
      // Marked by request ID: the access line logs the path only (query strings can carry tokens).
      await request(server.url, '/', { headers: { 'x-request-id': `recover-${i}` } })
      await new Promise((r) => setTimeout(r, 300))
      if (existsSync(join(logDir, 'starpunk.log')) && statSync(join(logDir, 'starpunk.log')).size > 0) break
    }
    expect(existsSync(join(logDir, 'starpunk.log')), 'no log file after the log dir was repaired').toBe(true)
    expect(readFileSync(join(logDir, 'starpunk.log'), 'utf8')).toMatch(/"requestId":"recover-\d+"/)
  })
})

describe('media dir missing, then replaced by a file', () => {
  let server: ServerProcess
  let mediaDir = ''
  beforeAll(async () => {
    const dataDir = newDataDir('fs-media')
    mediaDir = join(dataDir, 'media')
    server = await startServer({ dataDir, setup: true, env: { STARPUNK_HEALTH_TOKEN: HEALTH_TOKEN } })
    recordSecret('personal token', server.token)
    recordSecret('login link', server.loginLink)
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('a deleted media dir: uploads either recreate it or fail clearly; pages keep working', async () => {
    const first = await uploadMedia(server)
    expect(first.status, first.text.slice(0, 300)).toBe(201)
    rmSync(mediaDir, { recursive: true, force: true })
    expect((await request(server.url, '/')).status).toBe(200)
    const upload = await uploadMedia(server)
    if (upload.status !== 201) expectClearError(upload, server.dataDir)
    // The earlier file is gone with its directory: a clear 404, not a 500.
    const old = await request(server.url, new URL(String(first.headers.location)).pathname)
    expect(old.status).toBe(404)
  })

  it('a file where the media dir should be: uploads fail clearly, readiness names media, recovery without restart', async () => {
    rmSync(mediaDir, { recursive: true, force: true })
    writeFileSync(mediaDir, 'not a directory')
    try {
      expect((await request(server.url, '/')).status).toBe(200)
      const upload = await uploadMedia(server)
      expectClearError(upload, server.dataDir)
      const photoNote = await micropubCreate(server, 'A text note still works without media.')
      expect(photoNote.status).toBe(201)
      const ready = await failing(server)
      expect(ready.names, ready.text).toEqual(expect.arrayContaining([expect.stringMatching(/media/i)]))
    } finally {
      rmSync(mediaDir, { force: true })
      mkdirSync(mediaDir)
    }
    const upload = await uploadMedia(server)
    expect(upload.status, upload.text.slice(0, 300)).toBe(201)
    const served = await request(server.url, new URL(String(upload.headers.location)).pathname)
    expect(served.status).toBe(200)
  })
})
