import { mkdtempSync, rmSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OUTBOUND_TEST_ENV, startTestServer, type TestServer } from '../../../../test/helpers/server'
import { PRIVATE, readTags, writePrivateTags } from '../images/testing'
import { startSite, type LoopbackSite } from '../webmention/test-support/loopback'
import { createRemoteMedia } from './service'

// Pictures from another site (a real HTTP server on loopback) stored as our own media by a whole server:
// fetched once, metadata stripped, served from /media/, and a dead picture only means no picture.

let ts: TestServer
let site: LoopbackSite
let photo: Buffer
let scratch: string

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'starpunk-remote-media-'))
  const path = join(scratch, 'avatar.jpg')
  await sharp({ create: { width: 400, height: 300, channels: 3, background: '#c33' } }).jpeg().toFile(path)
  await writePrivateTags(path)
  photo = await readFile(path)
  ts = await startTestServer(OUTBOUND_TEST_ENV)
  site = await startSite()
  const image = (body: Buffer, type = 'image/jpeg') => (_req: unknown, res: ServerResponse) => {
    res.setHeader('content-type', type)
    res.end(body)
  }
  site.route('/avatar.jpg', image(photo))
  // Servers lie about types: the bytes decide.
  site.route('/mislabelled', image(photo, 'text/plain'))
  site.route('/page.html', image(Buffer.from('<!doctype html><title>not a picture</title>'), 'image/png'))
  site.route('/huge.jpg', image(Buffer.alloc(6 * 1024 * 1024, 1)))
  site.route('/moved', (_req, res) => {
    res.statusCode = 302
    res.setHeader('location', '/avatar.jpg')
    res.end()
  })
  site.route('/gone.jpg', (_req, res) => {
    res.statusCode = 410
    res.end('gone')
  })
})

afterAll(async () => {
  await ts.close()
  await site.close()
  rmSync(scratch, { recursive: true, force: true })
})

const fetchesOf = (path: string) => site.requests.filter((r) => r.path === path).length

describe('remote media', () => {
  it('stores a remote picture once as our media, without its metadata, and serves it from our origin', async () => {
    const { remoteMedia } = ts.server.context
    // Several callers at once share one fetch.
    const [one, two, three] = await Promise.all([0, 1, 2].map(() => remoteMedia.localize(`${site.origin}/avatar.jpg`)))
    expect(one).not.toBeNull()
    expect(two).toEqual(one)
    expect(three).toEqual(one)
    expect(one!.url.startsWith(`${ts.url}/media/`)).toBe(true)
    expect([one!.width, one!.height]).toEqual([400, 300])
    expect(fetchesOf('/avatar.jpg')).toBe(1)
    // Asked again later (a new page render): no second fetch.
    expect(await remoteMedia.localize(`${site.origin}/avatar.jpg`)).toEqual(one)
    expect(fetchesOf('/avatar.jpg')).toBe(1)
    expect((await remoteMedia.known([`${site.origin}/avatar.jpg`])).get(`${site.origin}/avatar.jpg`)).toEqual(one)

    const served = await fetch(one!.url)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('image/jpeg')
    const file = join(scratch, 'served.jpg')
    await writeFile(file, Buffer.from(await served.arrayBuffer()))
    const tags = JSON.stringify(await readTags(file))
    expect(tags).not.toContain(PRIVATE.serial)
    expect(tags).not.toContain('GPSLatitude')
    expect(tags).not.toContain(PRIVATE.creator)
  })

  it('follows redirects and trusts the bytes, not the Content-Type', async () => {
    const { remoteMedia } = ts.server.context
    const moved = await remoteMedia.localize(`${site.origin}/moved`)
    expect(moved?.url.startsWith(`${ts.url}/media/`)).toBe(true)
    const mislabelled = await remoteMedia.localize(`${site.origin}/mislabelled`)
    expect(mislabelled?.url.startsWith(`${ts.url}/media/`)).toBe(true)
  })

  it('a dead, oversized or non-image picture is null, remembered, and not fetched again', async () => {
    const { remoteMedia } = ts.server.context
    for (const path of ['/gone.jpg', '/page.html', '/huge.jpg', '/missing.jpg']) {
      expect(await remoteMedia.localize(`${site.origin}${path}`)).toBeNull()
      expect(await remoteMedia.localize(`${site.origin}${path}`)).toBeNull()
      expect(fetchesOf(path)).toBe(1)
      expect((await remoteMedia.known([`${site.origin}${path}`])).get(`${site.origin}${path}`)).toBeNull()
    }
    // An unknown host and a non-http URL: null, nothing thrown.
    expect(await remoteMedia.localize('https://no-such-host.invalid/a.png')).toBeNull()
    expect(await remoteMedia.localize('javascript:alert(1)')).toBeNull()
    expect(await remoteMedia.localize('not a url')).toBeNull()
    // Never tried: absent from what is known.
    expect((await remoteMedia.known([`${site.origin}/never.jpg`])).has(`${site.origin}/never.jpg`)).toBe(false)
  })

  it('our own URLs are returned as they are, never fetched', async () => {
    const { remoteMedia } = ts.server.context
    const before = site.requests.length
    expect(await remoteMedia.localize(`${ts.url}/media/whatever.jpg`)).toEqual({ url: `${ts.url}/media/whatever.jpg`, width: null, height: null })
    expect(site.requests.length).toBe(before)
  })

  it('a failure is tried again once its time has passed', async () => {
    const { db, media, outbound, logger } = ts.server.context
    let clock = 1_000_000
    const service = createRemoteMedia({ db, media, outbound, logger, siteBase: () => ts.url, maxBytes: 1024 * 1024, retryFailedAfterMs: 60_000, now: () => clock })
    let alive = false
    site.route('/flaky.jpg', (_req, res) => {
      if (!alive) {
        res.statusCode = 503
        res.end()
        return
      }
      res.setHeader('content-type', 'image/jpeg')
      res.end(photo)
    })
    expect(await service.localize(`${site.origin}/flaky.jpg`)).toBeNull()
    alive = true
    clock += 30_000
    expect(await service.localize(`${site.origin}/flaky.jpg`)).toBeNull()
    expect(fetchesOf('/flaky.jpg')).toBe(1)
    clock += 31_000
    expect((await service.localize(`${site.origin}/flaky.jpg`))?.url.startsWith(`${ts.url}/media/`)).toBe(true)
    expect(fetchesOf('/flaky.jpg')).toBe(2)
  })
})

describe('remote media with private addresses refused', () => {
  it('a picture on a private address is refused without a request (STARPUNK_FETCH_ALLOW_PRIVATE unset)', async () => {
    const strict = await startTestServer({ STARPUNK_FETCH_ENABLED: 'true' })
    try {
      const before = site.requests.length
      expect(await strict.server.context.remoteMedia.localize(`${site.origin}/avatar.jpg`)).toBeNull()
      expect(site.requests.length).toBe(before)
    } finally {
      await strict.close()
    }
  })
})
