import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { createLogging } from '../logging'
import { mediaDirCheck } from './storage'

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
const HEALTH_TOKEN = 'media-storage-health-token-0123'

interface ErrorBody {
  code?: string
  error?: string
  error_description?: string
  suggestion?: string
  troubleshooting?: string[]
  request_id?: string
}

/** Make a directory unwritable in a way that stops root too: the immutable attribute (chattr +i). */
function immutable(dir: string, on: boolean): void {
  try {
    execFileSync('chattr', [on ? '+i' : '-i', dir], { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (err) {
    throw new Error(
      `Cannot ${on ? 'set' : 'clear'} the immutable attribute on ${dir} (needs chattr from e2fsprogs and CAP_LINUX_IMMUTABLE on a filesystem that supports it): ${String(err)}`,
      { cause: err },
    )
  }
}

/** Every file under `dir` (recursively) whose name starts with `.upload-`: leftovers of a failed upload. */
function tempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.split('/').pop()?.startsWith('.upload-'))
}

describe('media storage faults on a real server', () => {
  let ts: TestServer
  let token: string
  let mediaDir: string
  const mediaCount = () => (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM media').get() as { n: number }).n
  const noteCount = () => (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n

  function upload(path = '/micropub/media', field = 'file', extra: Array<[string, string]> = []) {
    const form = new FormData()
    for (const [name, value] of extra) form.append(name, value)
    form.append(field, new Blob([PNG], { type: 'image/png' }), 'pixel.png')
    return fetch(`${ts.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  }

  async function readiness() {
    const res = await fetch(`${ts.url}/health/ready`, { headers: { authorization: `Bearer ${HEALTH_TOKEN}` } })
    const body = (await res.json()) as { status: string; checks: Record<string, Array<{ status: string; output?: string }>> }
    return { status: res.status, body, media: body.checks['media:writable']?.[0] }
  }

  function breakMediaDir(): void {
    rmSync(mediaDir, { recursive: true, force: true })
    writeFileSync(mediaDir, 'not a directory')
  }
  function repairMediaDir(): void {
    rmSync(mediaDir, { recursive: true, force: true })
    mkdirSync(mediaDir)
  }

  beforeAll(async () => {
    ts = await startTestServer({ STARPUNK_HEALTH_TOKEN: HEALTH_TOKEN })
    mediaDir = ts.server.context.config.mediaDir
    token = (await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create', 'media'], expiresAt: null })).token
  })
  afterEach(() => {
    if (!existsSync(mediaDir) || !statSync(mediaDir).isDirectory()) repairMediaDir()
  })
  afterAll(async () => {
    await ts.close()
  })

  it('a deleted media dir is created again by the next upload (201, served); files that went with it are a clear 404', async () => {
    const first = await upload()
    expect(first.status).toBe(201)
    const firstPath = new URL(first.headers.get('location') ?? '').pathname
    rmSync(mediaDir, { recursive: true })

    const second = await upload()
    expect(second.status, await second.clone().text()).toBe(201)
    expect(statSync(mediaDir).isDirectory()).toBe(true)
    const served = await fetch(second.headers.get('location') ?? '')
    expect(served.status).toBe(200)
    expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 1, height: 1 })

    const gone = await fetch(`${ts.url}${firstPath}`, { headers: { accept: 'application/json' } })
    expect(gone.status).toBe(404)
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND')
  })

  it('a file where the media dir should be: 503 MEDIA_STORAGE_UNAVAILABLE with Retry-After, request ID, troubleshooting, no path; nothing left behind', async () => {
    const stored = await upload()
    expect(stored.status).toBe(201)
    const storedPath = new URL(stored.headers.get('location') ?? '').pathname
    const before = mediaCount()
    breakMediaDir()

    const res = await upload()
    const text = await res.text()
    expect(res.status, text).toBe(503)
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    const body = JSON.parse(text) as ErrorBody
    expect(body.code).toBe('MEDIA_STORAGE_UNAVAILABLE')
    expect(body.error_description).toMatch(/media directory is not a directory \(ENOTDIR\)/)
    expect(body.request_id).toBe(res.headers.get('x-request-id'))
    expect(body.request_id).toBeTruthy()
    expect(body.troubleshooting?.length).toBeGreaterThan(0)
    expect(text).not.toContain(ts.dataDir)
    expect(text).not.toMatch(/\n\s+at /)
    expect(mediaCount()).toBe(before)
    expect(tempFiles(ts.dataDir)).toEqual([])

    // Serving a known file through a path that is no longer a directory (ENOTDIR) is a 404, not a 500.
    const old = await fetch(`${ts.url}${storedPath}`)
    expect(old.status).toBe(404)
    // The rest of the site keeps working.
    expect((await fetch(`${ts.url}/`)).status).toBe(200)

    // The error is logged with its errno code (server side only).
    const logged = ts.lines.filter((line) => line.includes('MEDIA_STORAGE_UNAVAILABLE'))
    expect(logged.length).toBeGreaterThan(0)
    expect(logged.some((line) => line.includes('ENOTDIR'))).toBe(true)
  })

  it('a photo sent with a new post over Micropub: 503 and no note created while broken; works again after repair, no restart', async () => {
    const notes = noteCount()
    breakMediaDir()
    const refused = await upload('/micropub', 'photo', [
      ['h', 'entry'],
      ['content', 'With a picture'],
    ])
    expect(refused.status).toBe(503)
    expect(((await refused.json()) as ErrorBody).code).toBe('MEDIA_STORAGE_UNAVAILABLE')
    expect(noteCount()).toBe(notes)
    // A text note needs no media storage.
    const text = await fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: ['h-entry'], properties: { content: ['No picture needed'] } }),
    })
    expect(text.status).toBe(201)

    repairMediaDir()
    const accepted = await upload('/micropub', 'photo', [
      ['h', 'entry'],
      ['content', 'With a picture, after repair'],
    ])
    expect(accepted.status, await accepted.clone().text()).toBe(201)
    expect(noteCount()).toBe(notes + 2)
  })

  it('readiness names media while it is broken (warn at the top, still 200), and passes once repaired', async () => {
    expect((await readiness()).media?.status).toBe('pass')
    breakMediaDir()
    const broken = await readiness()
    expect(broken.status).toBe(200)
    expect(broken.body.status).toBe('warn')
    expect(broken.media?.status).toBe('fail')
    expect(broken.media?.output).toMatch(/\(ENOTDIR\).*resume by themselves/)
    expect(broken.media?.output).not.toContain(ts.dataDir)

    repairMediaDir()
    const fixed = await readiness()
    expect(fixed.media?.status).toBe('pass')
    const upload201 = await upload()
    expect(upload201.status).toBe(201)
  })

  it('a media dir that refuses writes (immutable: EPERM even for root): 503 naming EPERM, readiness fails, both recover when lifted', async () => {
    immutable(mediaDir, true)
    try {
      const res = await upload()
      const body = (await res.json()) as ErrorBody
      expect(res.status).toBe(503)
      expect(body.code).toBe('MEDIA_STORAGE_UNAVAILABLE')
      expect(body.error_description).toMatch(/not writable \(permission denied\) \(EPERM\)/)
      const report = await readiness()
      expect(report.media?.status).toBe('fail')
      expect(report.media?.output).toContain('(EPERM)')
    } finally {
      immutable(mediaDir, false)
    }
    expect(tempFiles(ts.dataDir)).toEqual([])
    expect((await readiness()).media?.status).toBe('pass')
    expect((await upload()).status).toBe(201)
  })

  it('readiness with the media dir deleted creates it again and passes, saying so', async () => {
    rmSync(mediaDir, { recursive: true })
    const report = await readiness()
    expect(report.media?.status).toBe('pass')
    expect(report.media?.output).toMatch(/created again/)
    expect(statSync(mediaDir).isDirectory()).toBe(true)
  })
})

describe('mediaDirCheck', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('really writes: leaves no probe behind when it passes, and fails (ENOTDIR) for a file in place of the directory', async () => {
    dir = mkdtempSync(join(tmpdir(), 'starpunk-media-check-'))
    const logging = createLogging({ logLevel: 'DEBUG', logFormat: 'json', logDir: join(dir, 'logs') }, { write: () => {} })
    const media = join(dir, 'media')
    const check = mediaDirCheck(media, logging.logger)
    expect((await check())['media:writable']?.[0]?.status).toBe('pass')
    expect(readdirSync(media)).toEqual([])
    rmSync(media, { recursive: true })
    writeFileSync(media, 'x')
    const failed = (await check())['media:writable']?.[0]
    expect(failed).toMatchObject({ status: 'fail', observedValue: false })
    expect(failed?.output).toContain('(ENOTDIR)')
    expect(failed?.output).not.toContain(dir)
  })
})

describe('a media dir broken before start', () => {
  it('does not stop the server: pages 200, uploads 503, the cause logged with its code; fine once repaired', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-media-start-'))
    const mediaDir = join(dataDir, 'media')
    writeFileSync(mediaDir, 'not a directory')
    const ts = await startTestServer({}, { dataDir })
    try {
      const token = (await ts.server.context.tokens.createPersonal({ name: 'm', scopes: ['media'], expiresAt: null })).token
      const upload = () => {
        const form = new FormData()
        form.append('file', new Blob([PNG], { type: 'image/png' }), 'pixel.png')
        return fetch(`${ts.url}/micropub/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
      }
      expect((await fetch(`${ts.url}/`)).status).toBe(200)
      expect(ts.lines.some((line) => line.includes('media directory unavailable at start') && line.includes('ENOTDIR'))).toBe(true)
      expect((await upload()).status).toBe(503)
      rmSync(mediaDir)
      mkdirSync(mediaDir)
      expect((await upload()).status).toBe(201)
    } finally {
      await ts.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
