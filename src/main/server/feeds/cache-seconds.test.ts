import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETTINGS } from '../config'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// What STARPUNK_FEED_CACHE_SECONDS's description promises: it is the feeds' Cache-Control max-age for readers
// and caches; 0 makes them ask every time (304 while nothing changed); the server's own copy of a built
// feed lasts until a note changes, whatever the setting says.
let ts: TestServer

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_FEED_CACHE_SECONDS: '0' })
  await ts.server.context.notes.create({ content: 'First note', createdAt: '2024-01-01T00:00:00Z' })
})
afterAll(async () => {
  await ts.close()
})

describe('STARPUNK_FEED_CACHE_SECONDS=0', () => {
  it('says so in its description', () => {
    expect(SETTINGS.STARPUNK_FEED_CACHE_SECONDS.description).toContain('Cache-Control max-age')
    expect(SETTINGS.STARPUNK_FEED_CACHE_SECONDS.description).not.toContain('disables the cache')
  })

  it('readers revalidate every time and get 304 until a note changes, then the new feed', async () => {
    const first = await fetch(`${ts.url}/feed.json`)
    expect(first.status).toBe(200)
    expect(first.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate')
    const etag = first.headers.get('etag') ?? ''
    expect(etag).not.toBe('')
    expect(await first.text()).toContain('First note')

    const again = await fetch(`${ts.url}/feed.json`, { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)

    await ts.server.context.notes.create({ content: 'Second note', createdAt: '2024-01-02T00:00:00Z' })
    const changed = await fetch(`${ts.url}/feed.json`, { headers: { 'if-none-match': etag } })
    expect(changed.status).toBe(200)
    expect(changed.headers.get('etag')).not.toBe(etag)
    expect(await changed.text()).toContain('Second note')
  })
})
