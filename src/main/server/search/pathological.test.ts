// A note made of one word repeated tens of thousands of times: FTS5's snippet() is quadratic in the hits of a
// document (~50 s for this note), and it ran in a reader thread, so a few such searches held every reader.
// With one reader and a short acquire timeout, a search that held its reader that long would make the
// next request wait out the timeout and answer 503 POOL_EXHAUSTED.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { pathologicalNotes } from '../notes/testing'
import { requireNoFts5Binding } from './testing'

const ENGINES = [
  { name: 'fts5', env: {} as Record<string, string> },
  { name: 'like', env: { STARPUNK_SQLITE_NATIVE_BINDING: requireNoFts5Binding() } as Record<string, string> },
] as const

describe.each(ENGINES)('a search over a note with tens of thousands of hits ($name)', ({ env }) => {
  let ts: TestServer
  beforeAll(async () => {
    ts = await startTestServer({ ...env, STARPUNK_DB_POOL_SIZE: '1', STARPUNK_DB_POOL_TIMEOUT_MS: '3000' })
    const heavy = pathologicalNotes(262_144)['links without a closing parenthesis']!
    await ts.server.context.notes.create({ content: heavy, published: true })
    await ts.server.context.notes.create({ content: 'An ordinary note about x and y.', published: true })
  })
  afterAll(async () => {
    await ts.close()
  })

  it('answers with a marked snippet and leaves the reader free for the next request', async () => {
    const [heavy, next] = await Promise.all([
      fetch(`${ts.url}/api/search?q=x`, { headers: { accept: 'application/json' } }),
      // Queued behind the search on the one reader: it must get the reader back well within the timeout.
      new Promise((resolve) => setImmediate(resolve)).then(() => fetch(`${ts.url}/api/search?q=ordinary`, { headers: { accept: 'application/json' } })),
    ])
    expect(heavy.status).toBe(200)
    const body = (await heavy.json()) as { results: Array<{ snippet: string }>; total: number }
    expect(body.total).toBe(2)
    for (const hit of body.results) expect(hit.snippet).toContain('<mark>x</mark>')
    expect(next.status).toBe(200)
    expect(((await next.json()) as { total: number }).total).toBe(1)
  })
})
