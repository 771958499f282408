import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// Keyset pagination on a real server: walking the Older links from the first page visits every visible note
// once, newest first; walking Newer back returns the same pages; small ?page=N stays, deep ones redirect to
// the matching cursor; unreadable cursors are a 400 page with the request ID.
let ts: TestServer
const PER_PAGE = 4
/** Slugs of the visible notes, newest first (the order every list page uses). */
let expected: string[] = []

async function html(path: string) {
  const res = await fetch(ts.url + path, { headers: { accept: 'text/html' }, redirect: 'manual' })
  return { res, body: await res.text() }
}

function slugsOf(body: string): string[] {
  return [...body.matchAll(/<a class="u-url[^"]*" href="[^"]*\/notes\/([^"/]+)"/g)].map((m) => m[1]!)
}

function link(body: string, rel: 'next' | 'prev'): string | null {
  const match = new RegExp(`<a href="([^"]+)" rel="${rel}"`).exec(body)
  return match ? match[1]!.replace(/&amp;/g, '&') : null
}

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_NOTES_PER_PAGE: String(PER_PAGE) })
  const notes = ts.server.context.notes
  const created: Array<{ slug: string; at: string; id: number }> = []
  // 50 notes; several share a creation time, so the id must break ties.
  for (let i = 1; i <= 50; i++) {
    const at = new Date(Date.UTC(2025, 0, 1) + Math.floor(i / 3) * 60_000).toISOString()
    const note = await notes.create({ content: `Keyset note ${i}`, createdAt: at, tags: i % 2 === 0 ? ['even'] : ['odd'] })
    created.push({ slug: note.slug, at: note.createdAt, id: note.id })
  }
  await notes.create({ content: 'A draft nobody sees', published: false })
  expected = created.sort((a, b) => (a.at === b.at ? b.id - a.id : a.at < b.at ? 1 : -1)).map((n) => n.slug)
})
afterAll(async () => {
  await ts.close()
})

describe('list pages by cursor', () => {
  it('Older links walk every visible note once, newest first, and Newer links walk back the same pages', async () => {
    const pages: string[][] = []
    const addresses: string[] = []
    let next: string | null = '/'
    while (next !== null) {
      const { res, body } = await html(next)
      expect(res.status).toBe(200)
      addresses.push(next)
      pages.push(slugsOf(body))
      const older = link(body, 'next')
      if (older !== null) expect(older).toMatch(/^\/\?before=\d{4}-\d\d-\d\dT[\d:.]+Z,\d+$/)
      next = older
    }
    expect(pages.flat()).toEqual(expected)
    expect(pages.every((p) => p.length === PER_PAGE)).toBe(pages.length * PER_PAGE === expected.length)
    // Back from the last page: each Newer link shows the page before it, the last one goes to /.
    let at = addresses[addresses.length - 1]!
    for (let i = pages.length - 1; i > 0; i--) {
      const newer = link((await html(at)).body, 'prev')
      expect(newer).not.toBeNull()
      const { body } = await html(newer!)
      expect(slugsOf(body)).toEqual(pages[i - 1])
      at = newer!
    }
    expect(link((await html('/')).body, 'prev')).toBeNull()
  })

  it('a small ?page=N is served as before; a deep one redirects to the cursor of the same notes; past the end is 404', async () => {
    const three = await html('/?page=3')
    expect(three.res.status).toBe(200)
    expect(slugsOf(three.body)).toEqual(expected.slice(2 * PER_PAGE, 3 * PER_PAGE))
    expect(three.body).toContain('Page 3')
    const deep = await html('/?page=12')
    expect(deep.res.status).toBe(302)
    const location = deep.res.headers.get('location')!
    expect(location).toMatch(/^\/\?before=/)
    const followed = await html(location)
    expect(slugsOf(followed.body)).toEqual(expected.slice(11 * PER_PAGE, 12 * PER_PAGE))
    expect((await html('/?page=14')).res.status).toBe(404)
  })

  it('tag pages page by cursor over their own notes', async () => {
    const even = expected.filter((slug) => Number(/(\d+)$/.exec(slug)?.[1]) % 2 === 0)
    const seen: string[] = []
    let next: string | null = '/tags/even'
    while (next !== null) {
      const { res, body } = await html(next)
      expect(res.status).toBe(200)
      seen.push(...slugsOf(body))
      next = link(body, 'next')
      if (next !== null) expect(next).toMatch(/^\/tags\/even\?before=/)
    }
    expect(seen).toEqual(even)
  })

  it('an unreadable cursor is a 400 page carrying the request ID, never a 500', async () => {
    for (const query of [
      '?before=yesterday',
      '?before=2025-13-45T99:00:00Z,1',
      '?before=2025-01-01T00:00:00.000Z',
      '?before=2025-01-01T00:00:00.000Z,-1',
      '?before=2025-01-01T00:00:00.000Z,01',
      '?after=2025-01-01T00:00:00.000Z,1&before=2025-01-01T00:00:00.000Z,1',
      '?before=2025-01-01T00:00:00.000Z,1&page=2',
      '?before=a&before=b',
      `?before=2025-01-01T00:00:00.000Z,${'9'.repeat(30)}`,
    ]) {
      const { res, body } = await html(`/${query}`)
      expect(res.status, query).toBe(400)
      const id = res.headers.get('x-request-id')!
      expect(body).toContain(id)
      expect(body).not.toMatch(/SELECT|at .*\.ts:\d+/)
    }
  })

  it('a cursor no note has still pages from that place', async () => {
    // Between two notes' times: the page starts with the next older note.
    const { res, body } = await html('/?before=2025-01-01T00:05:30.000Z,1')
    expect(res.status).toBe(200)
    const slugs = slugsOf(body)
    expect(slugs.length).toBe(PER_PAGE)
    expect(expected.indexOf(slugs[0]!)).toBeGreaterThan(0)
    // Older than everything: nothing lives there.
    expect((await html('/?before=1999-01-01T00:00:00.000Z,1')).res.status).toBe(404)
  })
})
