// /search and /api/search through a whole real server, on the standard SQLite (FTS5) and on the build
// without FTS5: startup detection, the warning, readiness and search over HTTP all run on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin } from '../../../../test/helpers/admin'
import { parsedLogs, startTestServer, type TestServer } from '../../../../test/helpers/server'
import { validateHtml } from '../web/html-check'
import { requireNoFts5Binding } from './testing'

const noFts5 = requireNoFts5Binding()

const ENGINES = [
  { name: 'fts5', env: {} as Record<string, string> },
  { name: 'like', env: { STARPUNK_SQLITE_NATIVE_BINDING: noFts5 } as Record<string, string> },
] as const

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown>; requestId: string | null }> {
  const res = await fetch(url, { headers: { accept: 'application/json' } })
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, requestId: res.headers.get('x-request-id') }
}

async function getHtml(url: string): Promise<{ status: number; html: string }> {
  const res = await fetch(url, { headers: { accept: 'text/html' } })
  return { status: res.status, html: await res.text() }
}

describe.each(ENGINES)('search over HTTP ($name)', ({ name, env }) => {
  let ts: TestServer
  beforeAll(async () => {
    ts = await startTestServer(env)
    const notes = ts.server.context.notes
    await notes.create({ content: '# Hedgehog diary\n\nThe hedgehog ate `<script>alert("x")</script>` and <b onmouseover=alert(2)>bold</b> beetles.' })
    await notes.create({ content: 'A draft about the hedgehog.', published: false })
    for (let i = 0; i < 25; i++) await notes.create({ content: `Lantern number ${i} is lit.`, createdAt: new Date(Date.UTC(2025, 0, i + 1)).toISOString() })
  })
  afterAll(async () => {
    await ts.close()
  })

  it(`detects the engine at startup and reports it (${name})`, async () => {
    expect(ts.server.context.search.engine).toBe(name)
    const warnings = parsedLogs(ts.lines).filter((l) => l.level === 'WARNING' && String(l.msg).includes('FTS5'))
    expect(warnings).toHaveLength(name === 'like' ? 1 : 0)
    const ready = await fetch(`${ts.url}/health/ready`)
    expect(ready.status).toBe(200)
    // The pooled read connections that answer searches run on the same build as the writer.
    const readerFts5 = await ts.server.context.db.get<{ n: number }>("SELECT count(*) AS n FROM pragma_compile_options WHERE compile_options = 'ENABLE_FTS5'")
    expect(readerFts5?.n).toBe(name === 'fts5' ? 1 : 0)
    const detailed = await ts.server.context.health.readiness(true)
    expect(detailed.checks?.['search:engine']?.[0]?.observedValue).toBe(name)
  })

  it('answers /api/search with escaped, marked snippets and hides drafts from visitors', async () => {
    const { status, body } = await getJson(`${ts.url}/api/search?q=hedgehog`)
    expect(status).toBe(200)
    expect(body).toMatchObject({ query: 'hedgehog', engine: name, total: 1, limit: 20, offset: 0 })
    const [hit] = body.results as Array<Record<string, unknown>>
    expect(hit).toMatchObject({ title: 'Hedgehog diary', published: true, deleted: false })
    expect(String(hit!.url)).toMatch(/\/notes\/hedgehog-diary$/)
    const snippet = String(hit!.snippet)
    expect(snippet).toContain('<mark>hedgehog</mark>')
    expect(snippet).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    expect(snippet).not.toMatch(/<(?!\/?mark>)/)
  })

  it('shows drafts and deleted notes to a signed-in admin only, marked as such', async () => {
    const trashed = await ts.server.context.notes.create({ content: 'A hedgehog note in the trash.' })
    await ts.server.context.notes.remove(trashed.slug)
    const visitor = await getJson(`${ts.url}/api/search?q=hedgehog`)
    expect(visitor.body.total).toBe(1)
    const admin = await loginAsAdmin(ts)
    const res = await fetch(`${ts.url}/api/search?q=hedgehog`, { headers: { accept: 'application/json', cookie: admin.cookie } })
    const body = (await res.json()) as { total: number; results: Array<{ published: boolean; deleted: boolean }> }
    expect(body.total).toBe(3)
    expect(body.results.filter((r) => !r.published)).toHaveLength(1)
    expect(body.results.filter((r) => r.deleted)).toHaveLength(1)
    const page = await fetch(`${ts.url}/search?q=hedgehog`, { headers: { accept: 'text/html', cookie: admin.cookie } })
    const html = await page.text()
    expect(html).toContain('3 notes match')
    expect(html).toContain('<span class="marker">draft</span>')
    expect(html).toContain('<span class="marker">deleted</span>')
    const visitorPage = await getHtml(`${ts.url}/search?q=hedgehog`)
    expect(visitorPage.html).toContain('1 note matches')
    expect(visitorPage.html).not.toContain('class="marker"')
  })

  it('caps limit at 100 and pages with offset', async () => {
    const capped = await getJson(`${ts.url}/api/search?q=lantern&limit=500`)
    expect(capped.status).toBe(200)
    expect(capped.body.limit).toBe(100)
    expect(capped.body.total).toBe(25)
    const page = await getJson(`${ts.url}/api/search?q=lantern&limit=10&offset=20`)
    expect((page.body.results as unknown[]).length).toBe(5)
  })

  it.each([
    ['no q', ''],
    ['empty q', 'q=%20%20'],
    ['q over 200 characters', `q=${'a'.repeat(201)}`],
    ['q with nothing searchable', 'q=%25%25%20_'],
    ['q given twice', 'q=a&q=b'],
    ['limit not a number', 'q=a&limit=ten'],
    ['limit zero', 'q=a&limit=0'],
    ['negative offset', 'q=a&offset=-1'],
    ['fractional offset', 'q=a&offset=1.5'],
  ])('answers 400 JSON with the request ID for %s', async (_label, query) => {
    const { status, body, requestId } = await getJson(`${ts.url}/api/search?${query}`)
    expect(status).toBe(400)
    const error = body.error as Record<string, unknown>
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.request_id).toBe(requestId)
    expect(String(error.message)).not.toMatch(/SQLITE|fts5|select|\/tmp\//i)
  })

  it('treats FTS5 syntax in queries as plain words, never a 500', async () => {
    // Anything with a letter or digit in it is searched for; pure punctuation is a clear 400.
    const withWords = ['NEAR(hedgehog beetles)', 'hedgehog OR', '"unbalanced', 'title:hedgehog', '^hedgehog', 'hedgehog AND NOT', 'col:"x"*']
    for (const q of withWords) {
      const res = await getJson(`${ts.url}/api/search?q=${encodeURIComponent(q)}`)
      expect(res.status, q).toBe(200)
      expect(res.body.query, q).toBe(q)
    }
    for (const q of ['*', '"', '(((']) {
      const res = await getJson(`${ts.url}/api/search?q=${encodeURIComponent(q)}`)
      expect(res.status, q).toBe(400)
      const error = res.body.error as Record<string, unknown>
      expect(error.code, q).toBe('BAD_REQUEST')
      expect(String(error.message), q).toMatch(/no letters or numbers/)
    }
    const near = await getJson(`${ts.url}/api/search?q=${encodeURIComponent('hedgehog beetles)')}`)
    expect(near.body.total).toBe(1)
  })

  it('renders the search page: empty state, results with the query kept in the box', async () => {
    const empty = await getHtml(`${ts.url}/search`)
    expect(empty.status).toBe(200)
    expect(empty.html).toContain('Type a word or phrase')
    const found = await getHtml(`${ts.url}/search?q=${encodeURIComponent('hedgehog "diary"')}`)
    expect(found.status).toBe(200)
    expect(found.html).toContain('value="hedgehog &quot;diary&quot;"')
    expect(found.html).toContain('1 note matches')
    expect(found.html).toContain('<mark>hedgehog</mark>')
    expect(found.html).not.toContain('<script>alert')
    expect(found.html).not.toContain('<b onmouseover')
  })

  it('renders no-results and error states with the right status', async () => {
    const none = await getHtml(`${ts.url}/search?q=zeppelin`)
    expect(none.status).toBe(200)
    expect(none.html).toContain('No notes match “zeppelin”')
    const bad = await getHtml(`${ts.url}/search?q=${encodeURIComponent('%%%')}`)
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('no letters or numbers')
    expect(bad.html).toContain('value="%%%"')
    const badPage = await getHtml(`${ts.url}/search?q=lantern&page=zero`)
    expect(badPage.status).toBe(400)
  })

  it('renders valid HTML in every state (html-validate recommended rules)', async () => {
    for (const query of ['', '?q=lantern', '?q=lantern&page=2', '?q=zeppelin', '?q=%25%25%25', `?q=${encodeURIComponent('hedgehog')}`]) {
      const { html } = await getHtml(`${ts.url}/search${query}`)
      expect(await validateHtml(html), query).toEqual([])
    }
  })

  it('paginates the search page', async () => {
    const first = await getHtml(`${ts.url}/search?q=lantern`)
    expect(first.html).toContain('25 notes match')
    expect(first.html).toContain('Page 1 of 2')
    expect(first.html).toContain('href="/search?q=lantern&amp;page=2"')
    const second = await getHtml(`${ts.url}/search?q=lantern&page=2`)
    expect(second.status).toBe(200)
    expect(second.html.match(/class="search-result"/g)).toHaveLength(5)
    const beyond = await getHtml(`${ts.url}/search?q=lantern&page=9`)
    expect(beyond.status).toBe(404)
  })
})

describe('detailed readiness over HTTP on the SQLite without FTS5', () => {
  it('reports search:engine like (warn) and the index to an authorised monitor', async () => {
    const token = 'health-token-for-search-test-0123456789'
    const ts = await startTestServer({ STARPUNK_SQLITE_NATIVE_BINDING: noFts5, STARPUNK_HEALTH_TOKEN: token })
    try {
      await ts.server.context.notes.create({ content: 'One note to index.' })
      const res = await fetch(`${ts.url}/health/ready`, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(200)
      const report = (await res.json()) as { checks?: Record<string, Array<{ observedValue?: unknown; status: string; output?: string }>> }
      expect(report.checks?.['search:engine']?.[0]).toMatchObject({ observedValue: 'like', status: 'warn' })
      expect(report.checks?.['search:engine']?.[0]?.output).toMatch(/no FTS5 module/)
      expect(report.checks?.['search:index']?.[0]).toMatchObject({ observedValue: 1, status: 'pass' })
    } finally {
      await ts.close()
    }
  })
})

describe('search turned off', () => {
  let ts: TestServer
  beforeAll(async () => {
    ts = await startTestServer({ STARPUNK_SEARCH_ENABLED: 'false' })
  })
  afterAll(async () => {
    await ts.close()
  })

  it('says so on the page and in the API', async () => {
    const page = await getHtml(`${ts.url}/search?q=anything`)
    expect(page.status).toBe(200)
    expect(page.html).toContain('Search is turned off')
    expect(page.html).not.toContain('id="search-q"')
    const api = await getJson(`${ts.url}/api/search?q=anything`)
    expect(api.status).toBe(404)
    expect((api.body.error as Record<string, unknown>).code).toBe('SEARCH_DISABLED')
    expect((await ts.server.context.health.readiness(true)).checks?.['search:engine']?.[0]?.observedValue).toBe('disabled')
  })
})

describe('forcing FTS5 on a SQLite without it', () => {
  it('stops startup with a configuration error that says what to do', async () => {
    const err = await startTestServer({ STARPUNK_SQLITE_NATIVE_BINDING: noFts5, STARPUNK_SEARCH_ENGINE: 'fts5' }).catch((e: unknown) => e)
    expect((err as { code?: string }).code).toBe('CONFIG_INVALID')
    expect((err as Error).message).toMatch(/STARPUNK_SEARCH_ENGINE=auto/)
  })
})
