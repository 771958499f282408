import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../config'
import { createLogging } from '../logging'
import { loginAsAdmin } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { extractTitle } from './markdown'
import { importNotes } from './portable'
import { createNoteRenderer } from './renderer'
import { chooseSlug, slugFromText } from './slug'
import { openNotesFixture, pathologicalNotes } from './testing'

/** The default STARPUNK_MAX_NOTE_BYTES: every shape below is as large as a note may be. */
const CAP = 256 * 1024
const SHAPES = pathologicalNotes(CAP)

describe('title and slug extraction are linear: each pathological shape at the cap finishes', () => {
  it.each(Object.entries(SHAPES))('%s', (_name, source) => {
    expect(new TextEncoder().encode(source).length).toBeLessThanOrEqual(CAP)
    const title = extractTitle(source)
    if (title !== null) expect(Array.from(title).length).toBeLessThanOrEqual(200)
    const slug = chooseSlug({ text: title ?? source, now: new Date('2024-01-02T03:04:05Z'), isTaken: () => false })
    expect(slug).toMatch(/^[\p{L}\p{N}-]{1,80}$/u)
    expect(slugFromText(source).length).toBeLessThanOrEqual(60)
  })

  it('still reads ordinary titles and slugs the same way', () => {
    expect(extractTitle('# a' + ' '.repeat(10) + 'b')).toBe('a b')
    expect(slugFromText('[Read this](https://x.example/a) and ![a cat](https://x.example/c.png) now')).toBe('read-this-and-a-cat-now')
  })
})

describe('notes at the size cap on a real server', () => {
  let ts: TestServer
  let token: string
  const micropub = (body: unknown) =>
    fetch(`${ts.url}/micropub`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const noteCount = () => (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n

  beforeAll(async () => {
    ts = await startTestServer({ STARPUNK_HEALTH_CHECK_DETAILED: 'true' })
    token = (await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create'], expiresAt: null })).token
  })
  afterAll(async () => {
    await ts.close()
  })

  it('saves every pathological shape, and /health answers while the render thread works on them', async () => {
    const before = noteCount()
    const events: string[] = []
    let outstanding = Object.keys(SHAPES).length
    const posts = Object.entries(SHAPES).map(async ([name, source]) => {
      const res = await micropub({ type: ['h-entry'], properties: { content: [source] } })
      outstanding--
      events.push(`saved ${name}`)
      return { name, status: res.status, body: await res.text() }
    })
    // While notes are being saved, ask readiness how many wait for the render thread. A report saying
    // "still rendering" is an answer the server gave while that work was in progress.
    let answeredWhileRendering = 0
    while (outstanding > 0) {
      const res = await fetch(`${ts.url}/health/ready`)
      const report = (await res.json()) as { checks?: Record<string, Array<{ observedValue: unknown }>> }
      const pending = Number(report.checks?.['render:queue']?.[0]?.observedValue ?? 0)
      if (pending > 0 && outstanding > 0) {
        answeredWhileRendering++
        // A liveness request started now, with rendering still going on, answers before the last note.
        const live = await fetch(`${ts.url}/health`)
        expect(live.status).toBe(200)
        if (outstanding > 0) events.push('health')
      }
    }
    const results = await Promise.all(posts)
    for (const result of results) expect(result.status, `${result.name}: ${result.body.slice(0, 300)}`).toBe(201)
    expect(noteCount()).toBe(before + results.length)
    expect(answeredWhileRendering).toBeGreaterThan(0)
    expect(events.indexOf('health')).toBeGreaterThanOrEqual(0)
    expect(events.indexOf('health')).toBeLessThan(events.length - 1)
    expect(events.at(-1)).toMatch(/^saved /)
  })

  it('refuses a note over STARPUNK_MAX_NOTE_BYTES with 413 NOTE_TOO_LARGE from Micropub (text and html), storing nothing', async () => {
    const before = noteCount()
    // 'é' is two bytes: under the cap in characters, over it in bytes.
    for (const content of ['x'.repeat(CAP + 1), 'é'.repeat(CAP / 2 + 1), { html: `<p>${'x'.repeat(CAP)}</p>` }]) {
      const res = await micropub({ type: ['h-entry'], properties: { content: [content] } })
      expect(res.status).toBe(413)
      const body = (await res.json()) as { error: string; code: string; error_description: string; troubleshooting: string[]; request_id: string }
      expect(body.code).toBe('NOTE_TOO_LARGE')
      expect(body.error_description).toContain(`${CAP} bytes`)
      expect(body.troubleshooting.join(' ')).toContain('STARPUNK_MAX_NOTE_BYTES')
      expect(body.request_id).toBe(res.headers.get('x-request-id'))
    }
    expect(noteCount()).toBe(before)
  })

  it('refuses it from the admin form with 413 and the form shown again', async () => {
    const admin = await loginAsAdmin(ts)
    const before = noteCount()
    const res = await fetch(`${ts.url}/admin/notes`, {
      method: 'POST',
      headers: { cookie: admin.cookie, accept: 'text/html' },
      body: new URLSearchParams({ _csrf: admin.csrfToken, content: 'y'.repeat(CAP + 1), tags: '', slug: '', published: '1' }),
    })
    expect(res.status).toBe(413)
    const html = await res.text()
    expect(html).toContain(`this server accepts notes up to ${CAP} bytes`)
    expect(html).toContain('y'.repeat(1000))
    expect(noteCount()).toBe(before)
  })
})

describe('import and the render thread', () => {
  it('import reports a note over the cap and imports the others', async () => {
    const fixture = await openNotesFixture()
    const dir = mkdtempSync(join(tmpdir(), 'starpunk-import-'))
    try {
      const file = (slug: string, body: string) => `---\nslug: ${slug}\ncreated: 2024-01-01T00:00:00Z\npublished: true\n---\n${body}`
      writeFileSync(join(dir, 'big.md'), file('big', 'z'.repeat(CAP + 1)))
      writeFileSync(join(dir, 'small.md'), file('small', 'Just fine'))
      const result = await importNotes(fixture.notes, dir)
      expect(result.created).toBe(1)
      expect(result.problems.map((problem) => problem.file)).toEqual(['big.md'])
      expect(result.problems[0]!.message).toContain(`this server accepts notes up to ${CAP} bytes`)
      expect(await fixture.notes.get('big', { includeDrafts: true })).toBeNull()
    } finally {
      rmSync(dir, { recursive: true, force: true })
      await fixture.close()
    }
  })

  it('stops a render that runs past its time limit with NOTE_TOO_COMPLEX, then renders the next note in a new thread', async () => {
    const { config } = loadConfig({ env: { STARPUNK_PORT: '0' } })
    const lines: string[] = []
    const renderer = createNoteRenderer({ logger: createLogging(config, { write: (line) => lines.push(line) }).logger, timeoutMs: 200 })
    try {
      // The renderer itself has no size cap: four times the cap of unclosed tags takes seconds here, far
      // past the limit; an ordinary note takes well under a millisecond.
      await expect(renderer.markdown('<a '.repeat(4 * CAP / 3))).rejects.toMatchObject({ code: 'NOTE_TOO_COMPLEX', status: 422 })
      expect(renderer.stats()).toMatchObject({ timeouts: 1, pending: 0, started: 1 })
      expect(lines.some((line) => line.includes('rendering a note took too long'))).toBe(true)
      expect(await renderer.markdown('**fine**')).toBe('<p><strong>fine</strong></p>\n')
      expect(renderer.stats()).toMatchObject({ timeouts: 1, started: 2, rendered: 1 })
    } finally {
      await renderer.close()
    }
  })
})
