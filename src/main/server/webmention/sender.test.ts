import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { PooledDb } from '../db'
import { createWebmentionSender, type RetryPolicy, type WebmentionSender } from './sender'
import { insertNote, testFiles, type TestFiles } from './test-support/db'
import { page, startSite, testOutbound, type Handler, type LoopbackSite } from './test-support/loopback'

const OUR = 'https://our.example'

describe('the Webmention sender, against real loopback receivers and a real SQLite file', () => {
  let site: LoopbackSite
  let files: TestFiles
  let db: PooledDb
  let sender: WebmentionSender
  let noteId: number
  const clock = { now: Date.parse('2026-12-01T09:00:00Z') }
  const posted: Array<{ path: string; form: Record<string, string> }> = []

  function build(options: { retry?: Partial<RetryPolicy>; timeoutMs?: number; allowPrivate?: boolean } = {}): WebmentionSender {
    return createWebmentionSender({
      db,
      outbound: testOutbound({ allowPrivate: options.allowPrivate ?? true }),
      logger: files.logger,
      noteUrl: (id) => `${OUR}/notes/n${id}`,
      now: () => clock.now,
      retry: options.retry,
      timeoutMs: options.timeoutMs ?? 1_000,
    })
  }

  /** A target page advertising an endpoint at `${path}/endpoint`, which answers with `answer`. */
  function receiverAt(path: string, answer: Handler): string {
    site.route(path, page(`<!doctype html><link rel="webmention" href="${path}/endpoint"><p>a post`))
    site.route(`${path}/endpoint`, (req, res, body) => {
      if (req.method === 'POST') posted.push({ path, form: Object.fromEntries(new URLSearchParams(body)) })
      answer(req, res, body)
    })
    return site.origin + path
  }

  const status =
    (code: number, text = '', headers: Record<string, string> = {}): Handler =>
    (_req, res) => {
      res.statusCode = code
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
      res.end(text)
    }

  beforeAll(async () => {
    site = await startSite()
    files = testFiles()
    db = await files.open()
    noteId = await insertNote(db, 'n')
  })
  afterAll(async () => {
    await db.close()
    await site.close()
    await files.remove()
  })
  beforeEach(async () => {
    posted.length = 0
    clock.now += 24 * 60 * 60_000
    sender = build()
    await db.write((conn) => conn.exec('DELETE FROM webmention_outbox'))
  })

  it('tells every target of the current and the previous version, once each, and records what came back', async () => {
    const kept = receiverAt('/kept', status(202, 'Accepted', { location: '/status/1' }))
    const removed = receiverAt('/removed', status(201, '', { location: 'https://elsewhere.example/mention/9' }))
    const entries = await sender.enqueueForNote(noteId, [kept, `${kept}#frag`, 'mailto:someone@example.com', `${OUR}/notes/n${noteId}`], [removed, kept])
    expect(entries.map((e) => [e.target, e.state])).toEqual([
      [kept, 'pending'],
      [removed, 'pending'],
    ])
    expect(await sender.processDue()).toBe(2)
    expect(posted).toEqual([
      { path: '/kept', form: { source: `${OUR}/notes/n${noteId}`, target: kept } },
      { path: '/removed', form: { source: `${OUR}/notes/n${noteId}`, target: removed } },
    ])
    const outbox = await sender.forNote(noteId)
    expect(outbox.map((e) => ({ target: e.target, state: e.state, lastStatus: e.lastStatus, endpoint: e.endpoint, location: e.location, attempts: e.attempts }))).toEqual([
      { target: kept, state: 'sent', lastStatus: 202, endpoint: `${kept}/endpoint`, location: `${site.origin}/status/1`, attempts: 1 },
      { target: removed, state: 'sent', lastStatus: 201, endpoint: `${removed}/endpoint`, location: 'https://elsewhere.example/mention/9', attempts: 1 },
    ])
    expect(await sender.processDue()).toBe(0)
  })

  it('records a page without an endpoint, and a 4xx from the endpoint with what it said', async () => {
    site.route('/plain', page('<!doctype html><p>no endpoint here'))
    const refusing = receiverAt('/refusing', status(400, 'Target\u0007 does not\nlink here'))
    await sender.enqueueForNote(noteId, [`${site.origin}/plain`, refusing], [])
    await sender.processDue()
    const outbox = await sender.forNote(noteId)
    expect(outbox.find((e) => e.target.endsWith('/plain'))).toMatchObject({ state: 'no-endpoint', lastStatus: null, endpoint: null })
    expect(outbox.find((e) => e.target === refusing)).toMatchObject({ state: 'failed', lastStatus: 400, lastError: 'The endpoint answered HTTP 400: Target does not link here', nextAttemptAt: null })
  })

  it('retries a 5xx with backoff on the injected clock, then records the success', async () => {
    let answers = 0
    const flaky = receiverAt('/flaky', (req, res) => {
      answers++
      status(answers < 3 ? 503 : 202)(req, res, '')
    })
    await sender.enqueueForNote(noteId, [flaky], [])
    const start = clock.now
    await sender.processDue()
    let [entry] = await sender.forNote(noteId)
    expect(entry).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 503, nextAttemptAt: new Date(start + 60_000).toISOString() })
    clock.now = start + 59_999
    expect(await sender.processDue()).toBe(0)
    clock.now = start + 60_000
    expect(await sender.processDue()).toBe(1)
    ;[entry] = await sender.forNote(noteId)
    // Doubled after the second failure.
    expect(entry).toMatchObject({ state: 'pending', attempts: 2, nextAttemptAt: new Date(start + 60_000 + 120_000).toISOString() })
    expect(await sender.nextDueAt()).toBe(start + 180_000)
    clock.now = start + 180_000
    await sender.processDue()
    ;[entry] = await sender.forNote(noteId)
    expect(entry).toMatchObject({ state: 'sent', attempts: 3, lastStatus: 202, lastError: null })
    expect(answers).toBe(3)
  })

  it('retries a timeout, and gives up after the last attempt', async () => {
    sender = build({ timeoutMs: 300, retry: { maxAttempts: 2, baseDelayMs: 1_000 } })
    const silent = receiverAt('/silent', () => {
      // Never answers.
    })
    await sender.enqueueForNote(noteId, [silent], [])
    await sender.processDue()
    let [entry] = await sender.forNote(noteId)
    expect(entry).toMatchObject({ state: 'pending', attempts: 1, lastStatus: null })
    expect(entry?.lastError).toMatch(/did not answer within/)
    clock.now += 1_000
    await sender.processDue()
    ;[entry] = await sender.forNote(noteId)
    expect(entry).toMatchObject({ state: 'failed', attempts: 2, nextAttemptAt: null })
    expect(posted.map((p) => p.path)).toEqual(['/silent', '/silent'])
  })

  it('refuses private addresses unless they are allowed, without retrying', async () => {
    sender = build({ allowPrivate: false })
    const target = receiverAt('/private', status(202))
    const before = site.requests.length
    await sender.enqueueForNote(noteId, [target], [])
    await sender.processDue()
    const [entry] = await sender.forNote(noteId)
    expect(entry).toMatchObject({ state: 'failed', nextAttemptAt: null })
    expect(site.requests.length).toBe(before)
  })

  it('a note changed while its Webmention is in flight is sent again with the new version', async () => {
    let sends = 0
    const target = receiverAt('/racing', (req, res) => {
      sends++
      if (sends === 1) {
        // The author saves the note again while the receiver is still answering the first send.
        void sender.enqueueForNote(noteId, [site.origin + '/racing'], []).then(() => status(202)(req, res, ''))
      } else status(202)(req, res, '')
    })
    await sender.enqueueForNote(noteId, [target], [])
    expect(await sender.processDue()).toBe(1)
    let [entry] = await sender.forNote(noteId)
    expect(entry).toMatchObject({ state: 'pending', attempts: 0 })
    expect(await sender.processDue()).toBe(1)
    ;[entry] = await sender.forNote(noteId)
    expect(entry).toMatchObject({ state: 'sent', attempts: 1 })
    expect(sends).toBe(2)
  })

  it('the outbox survives a restart', async () => {
    const target = receiverAt('/later', status(202))
    await sender.enqueueForNote(noteId, [target], [])
    await db.close()
    db = await files.open()
    sender = build()
    sender.start()
    try {
      await expect.poll(async () => (await sender.forNote(noteId))[0]?.state, { timeout: 5_000 }).toBe('sent')
    } finally {
      await sender.stop()
    }
    expect(posted.map((p) => p.path)).toEqual(['/later'])
  })
})
