import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// Public pages and feeds share one Cache-Control family (STARPUNK_CACHE_*): browsers revalidate (max-age),
// shared caches may answer for s-maxage, then serve stale while revalidating or while the origin is down.
const PAGES = ['/', '/notes/first-note', '/tags/misc']
const FEEDS = ['/feed', '/feed.rss', '/feed.atom', '/feed.json', '/opml.xml']

async function cacheControlOf(ts: TestServer, path: string): Promise<string | null> {
  const res = await fetch(ts.url + path)
  await res.arrayBuffer()
  expect(res.status, path).toBe(200)
  return res.headers.get('cache-control')
}

async function withServer(env: Record<string, string>, check: (ts: TestServer) => Promise<void>): Promise<void> {
  const ts = await startTestServer(env)
  try {
    await ts.server.context.notes.create({ content: 'First note', tags: ['misc'], createdAt: '2024-01-01T00:00:00Z' })
    await check(ts)
  } finally {
    await ts.close()
  }
}

describe('Cache-Control of public pages and feeds', () => {
  it('defaults: browsers revalidate, shared caches keep 60 s, stale for 60 s while revalidating and a week on errors', async () => {
    await withServer({}, async (ts) => {
      for (const path of [...PAGES, ...FEEDS]) {
        expect(await cacheControlOf(ts, path), path).toBe('public, max-age=0, s-maxage=60, stale-while-revalidate=60, stale-if-error=604800')
      }
    })
  })

  it('follows the settings, and 0 leaves the stale directives out', async () => {
    await withServer(
      { STARPUNK_CACHE_MAX_AGE: '30', STARPUNK_CACHE_S_MAXAGE: '600', STARPUNK_CACHE_STALE_WHILE_REVALIDATE: '0', STARPUNK_CACHE_STALE_IF_ERROR: '0' },
      async (ts) => {
        for (const path of [...PAGES, ...FEEDS]) expect(await cacheControlOf(ts, path), path).toBe('public, max-age=30, s-maxage=600')
      },
    )
  })

  it('the deprecated STARPUNK_FEED_CACHE_SECONDS is still the feeds’ max-age (pages keep theirs), with a warning', async () => {
    await withServer({ STARPUNK_FEED_CACHE_SECONDS: '300' }, async (ts) => {
      for (const path of FEEDS) expect(await cacheControlOf(ts, path), path).toBe('public, max-age=300, s-maxage=60, stale-while-revalidate=60, stale-if-error=604800')
      for (const path of PAGES) expect(await cacheControlOf(ts, path), path).toMatch(/^public, max-age=0, /)
    })
    const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-cache-'))
    try {
      const { problems, warnings } = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_FEED_CACHE_SECONDS: '300' } })
      expect(problems).toEqual([])
      const warning = warnings.find((w) => w.message.startsWith('STARPUNK_FEED_CACHE_SECONDS'))
      expect(warning?.code).toBe('CONFIG_WARNING')
      expect(warning?.message).toContain('STARPUNK_CACHE_MAX_AGE')
      expect(loadConfig({ env: { STARPUNK_DATA_DIR: dataDir } }).warnings).toEqual([])
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('refuses a value out of range, naming the setting', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-cache-'))
    try {
      const { problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_CACHE_S_MAXAGE: '-1' } })
      expect(problems.map((p) => p.message.split(' ')[0])).toEqual(['STARPUNK_CACHE_S_MAXAGE'])
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
