import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { PooledDb } from '../db'
import { AppError } from '../errors'
import { createOutbound } from '../outbound'
import { createNoteRenderer, type NoteRenderer } from '../notes'
import { moderationFor, moderationOnUpdate } from './moderation'
import { createWebmentionReceiver, type ReceiverLimits, type WebmentionReceiver } from './receiver'
import { insertNote, testFiles, type TestFiles } from './test-support/db'
import { page, startSite, testOutbound, type LoopbackSite } from './test-support/loopback'
import type { ModerationPolicy } from './types'

const OUR = 'https://our.example'
const noteUrl = (slug: string) => `${OUR}/notes/${slug}`

/** A source page: one h-entry by an h-card, with whatever relation markup the test needs. */
function entry(inner: string, options: { author?: string; published?: string; url?: string } = {}): string {
  const author = options.author ?? '<div class="p-author h-card"><img class="u-photo" src="/alice.jpg" alt=""><a class="u-url p-name" href="https://alice.example/">Alice</a></div>'
  return `<!doctype html><html><head><title>post</title></head><body><article class="h-entry">${author}
    ${options.published === undefined ? '<time class="dt-published" datetime="2026-11-30T10:00:00Z">yesterday</time>' : options.published}
    ${options.url ?? ''}${inner}</article></body></html>`
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`)
  return error
}

describe('the Webmention receiver, against real loopback sources and a real SQLite file', () => {
  let site: LoopbackSite
  let files: TestFiles
  let db: PooledDb
  let renderer: NoteRenderer
  let receiver: WebmentionReceiver
  const notes = new Map<string, number>()
  const changes: number[] = []
  const events: Array<{ type: string; change: string }> = []
  const clock = { now: Date.parse('2026-12-01T09:00:00Z') }
  let policy: ModerationPolicy = 'approve-likes-reposts'

  function build(limits: Partial<ReceiverLimits> = {}, outbound = testOutbound({ timeoutMs: 1_000 })): WebmentionReceiver {
    return createWebmentionReceiver({
      db,
      outbound,
      logger: files.logger,
      resolveTarget: (url) => {
        const slug = /^https:\/\/our\.example\/notes\/([a-z0-9-]+)$/.exec(url)?.[1]
        const id = slug ? notes.get(slug) : undefined
        return id === undefined ? null : { noteId: id }
      },
      sanitize: (html) => renderer.sanitize(html),
      moderationPolicy: () => policy,
      onChange: (noteId) => changes.push(noteId),
      onMention: (mention, change) => events.push({ type: mention.type, change }),
      now: () => clock.now,
      limits,
    })
  }

  beforeAll(async () => {
    site = await startSite()
    files = testFiles()
    db = await files.open()
    renderer = createNoteRenderer({ logger: files.logger })
    for (const slug of ['first', 'second', 'third']) notes.set(slug, await insertNote(db, slug))
  })
  afterAll(async () => {
    await renderer.close()
    await db.close()
    await site.close()
    await files.remove()
  })
  beforeEach(async () => {
    receiver = build()
    policy = 'approve-likes-reposts'
    changes.length = 0
    events.length = 0
    clock.now += 60 * 60_000 // past every rate-limit window
    await db.write((conn) => conn.exec('DELETE FROM webmentions; DELETE FROM webmention_requests; DELETE FROM webmention_blocked_domains'))
  })

  const requests = () => db.writer.prepare('SELECT count(*) FROM webmention_requests').pluck().get() as number
  const stored = async () => receiver.list({ limit: 100 })
  const send = (path: string, slug = 'first') => receiver.accept({ source: site.origin + path, target: noteUrl(slug) })

  describe('synchronous checks', () => {
    it.each([
      ['a missing source', { target: noteUrl('first') }, 'source is missing'],
      ['a missing target', { source: 'https://alice.example/p' }, 'target is missing'],
      ['a source that is not a URL', { source: 'not a url', target: noteUrl('first') }, 'source is not a URL'],
      ['a source given twice', { source: ['https://a.example/1', 'https://a.example/2'], target: noteUrl('first') }, 'given more than once'],
      ['an ftp source', { source: 'ftp://alice.example/p', target: noteUrl('first') }, 'http or https'],
      ['a javascript: target', { source: 'https://alice.example/p', target: 'javascript:alert(1)' }, 'http or https'],
      ['a source with credentials', { source: 'https://u:p@alice.example/p', target: noteUrl('first') }, 'user name or password'],
      ['source equal to target', { source: noteUrl('first'), target: `${noteUrl('first')}#here` }, 'the same URL'],
      ['a target that is not ours', { source: 'https://alice.example/p', target: 'https://elsewhere.example/notes/first' }, 'not a published page of this site'],
      ['a target that is no note of ours', { source: 'https://alice.example/p', target: noteUrl('missing') }, 'not a published page of this site'],
    ])('refuses %s with a 400 and queues nothing', async (_name, input, text) => {
      const error = await rejection(receiver.accept(input))
      expect(error.code).toBe('WEBMENTION_INVALID')
      expect(error.status).toBe(400)
      expect(error.message).toContain(text)
      expect(requests()).toBe(0)
    })

    it('queues a valid request, shows it as queued, and a repeat while it waits queues nothing new', async () => {
      const first = await send('/reply')
      expect(first).toMatchObject({ state: 'queued', queued: true })
      expect(await receiver.status(first.id)).toMatchObject({ id: first.id, state: 'queued', reason: null, source: `${site.origin}/reply`, target: noteUrl('first') })
      const again = await send('/reply')
      expect(again).toEqual({ id: first.id, state: 'queued', queued: false })
      // The same page, another part of it: still the same request.
      expect((await receiver.accept({ source: `${site.origin}/reply#comment`, target: `${noteUrl('first')}#top` })).id).toBe(first.id)
      expect(requests()).toBe(1)
      expect(await receiver.status('no-such-id')).toBeNull()
      expect(await receiver.status('../../etc')).toBeNull()
    })
  })

  describe('verification', () => {
    it('stores a reply with its author h-card, sanitised content and date, held by the default policy', async () => {
      site.route(
        '/reply',
        page(
          entry(`<a class="u-in-reply-to" href="${noteUrl('first')}">re</a>
            <div class="e-content">Great <b>post</b>! <script>alert(1)</script><img src="https://tracker.example/p.gif" alt="x">
            <a href="https://alice.example/more" onclick="steal()">more</a><a href="javascript:alert(2)">bad</a></div>`),
        ),
      )
      const { id } = await send('/reply')
      expect(await receiver.drain()).toBe(1)
      expect(await receiver.status(id)).toMatchObject({ state: 'verified', reason: 'Verified as a reply; held for the author’s approval.' })
      const [mention] = await stored()
      expect(mention).toMatchObject({
        noteId: notes.get('first'),
        type: 'reply',
        moderation: 'held',
        source: `${site.origin}/reply`,
        url: `${site.origin}/reply`,
        author: { name: 'Alice', photo: `${site.origin}/alice.jpg`, url: 'https://alice.example/' },
        published: '2026-11-30T10:00:00.000Z',
      })
      expect(mention?.contentHtml).toContain('<b>post</b>')
      expect(mention?.contentHtml).toContain('<a href="https://alice.example/more" rel="nofollow ugc noopener">more</a>')
      for (const bad of ['<script', 'alert(1)', '<img', 'tracker.example', 'onclick', 'javascript:']) expect(mention?.contentHtml).not.toContain(bad)
      expect(mention?.contentText).toContain('Great post!')
      // Held: the note page does not change, so its cache stays; the event still says one arrived.
      expect(changes).toEqual([])
      expect(events).toEqual([{ type: 'reply', change: 'added' }])
      expect(await receiver.forNote(notes.get('first') ?? 0)).toEqual([])
      expect(await receiver.forNote(notes.get('first') ?? 0, { includeHeld: true })).toHaveLength(1)
      expect(await receiver.counts()).toEqual({ queued: 0, held: 1, approved: 0 })
    })

    it.each([
      ['reply', `<a class="u-in-reply-to" href="{t}">re</a><p class="e-content">hi</p>`],
      ['like', `<a class="u-like-of" href="{t}">liked</a>`],
      ['like', `<div class="u-like-of h-cite"><a class="u-url p-name" href="{t}">a note</a></div>`],
      ['repost', `<a class="u-repost-of" href="{t}">reposted</a>`],
      ['bookmark', `<a class="u-bookmark-of" href="{t}">saved</a>`],
      ['rsvp', `<a class="u-in-reply-to" href="{t}">the event</a><data class="p-rsvp" value="yes">going</data>`],
      ['mention', `<p class="e-content">I read <a href="{t}">this</a>.</p>`],
    ])('classifies a %s (%s)', async (type, markup) => {
      site.route('/classify', page(entry(markup.replaceAll('{t}', noteUrl('second')))))
      await send('/classify', 'second')
      await receiver.drain()
      const [mention] = await stored()
      expect(mention?.type).toBe(type)
      if (type === 'rsvp') expect(mention?.rsvp).toBe('yes')
      expect(mention?.moderation).toBe(type === 'like' || type === 'repost' ? 'approved' : 'held')
    })

    it('picks the h-entry that refers to the target, and takes a plain-text author', async () => {
      site.route(
        '/feed',
        page(`<div class="h-feed"><article class="h-entry"><p class="p-name">other</p><a href="${noteUrl('third')}">x</a></article>
          <article class="h-entry"><span class="p-author">Bob</span><a class="u-like-of" href="${noteUrl('third')}">liked</a></article></div>`),
      )
      await send('/feed', 'third')
      await receiver.drain()
      expect((await stored())[0]).toMatchObject({ type: 'like', author: { name: 'Bob', photo: null, url: null }, published: null })
    })

    it('an approved like invalidates the note’s page; a re-sent mention updates it; 410 removes it', async () => {
      site.route('/like', page(entry(`<a class="u-like-of" href="${noteUrl('first')}">liked</a>`)))
      await send('/like')
      await receiver.drain()
      expect(changes).toEqual([notes.get('first')])
      const [like] = await receiver.forNote(notes.get('first') ?? 0)
      expect(like?.author.name).toBe('Alice')

      site.route('/like', page(entry(`<a class="u-like-of" href="${noteUrl('first')}">liked</a>`, { author: '<span class="p-author h-card">Alice Cooper</span>' })))
      const resent = await send('/like')
      await receiver.drain()
      expect(await receiver.status(resent.id)).toMatchObject({ state: 'verified' })
      const after = await stored()
      expect(after).toHaveLength(1)
      expect(after[0]).toMatchObject({ id: like?.id, author: { name: 'Alice Cooper' }, moderation: 'approved' })
      expect(changes).toHaveLength(2)

      site.route('/like', page('gone', {}, 410))
      const gone = await send('/like')
      await receiver.drain()
      expect(await receiver.status(gone.id)).toMatchObject({ state: 'rejected', reason: 'The source answers 410 Gone: the mention was removed.' })
      expect(await stored()).toEqual([])
      expect(changes).toHaveLength(3)
      expect(events.map((e) => e.change)).toEqual(['added', 'updated', 'removed'])
    })

    it('an approved reply stays approved when edited, and is removed once the source no longer links', async () => {
      site.route('/edit', page(entry(`<a class="u-in-reply-to" href="${noteUrl('first')}">re</a><p class="e-content">first words</p>`)))
      await send('/edit')
      await receiver.drain()
      const [held] = await stored()
      expect(held?.moderation).toBe('held')
      expect((await receiver.approve(held?.id ?? 0))?.moderation).toBe('approved')
      expect(changes).toEqual([notes.get('first')])

      site.route('/edit', page(entry(`<a class="u-in-reply-to" href="${noteUrl('first')}">re</a><p class="e-content">better words</p>`)))
      await send('/edit')
      await receiver.drain()
      expect((await receiver.forNote(notes.get('first') ?? 0))[0]).toMatchObject({ moderation: 'approved', contentText: 'better words' })

      site.route('/edit', page(entry('<p class="e-content">I changed my mind.</p>')))
      const unlinked = await send('/edit')
      await receiver.drain()
      expect(await receiver.status(unlinked.id)).toMatchObject({ state: 'rejected', reason: 'The source does not link to the target.' })
      expect(await stored()).toEqual([])
      expect(changes).toEqual([notes.get('first'), notes.get('first'), notes.get('first')])
    })

    it('rejects a source that does not link to the target, or links to another note only', async () => {
      site.route('/nolink', page(entry('<p class="e-content">nothing here</p>')))
      site.route('/wrong', page(entry(`<a class="u-in-reply-to" href="${noteUrl('second')}">re</a>`)))
      site.route('/commented', page(`<p><!-- <a href="${noteUrl('first')}">hidden</a> --> &lt;a href="${noteUrl('first')}"&gt;</p>`))
      const ids = [await send('/nolink'), await send('/wrong'), await send('/commented')]
      await receiver.drain()
      for (const { id } of ids) expect(await receiver.status(id)).toMatchObject({ state: 'rejected', reason: 'The source does not link to the target.' })
      expect(await stored()).toEqual([])
    })

    it('accepts a plain-text source that names the target, as a mention', async () => {
      site.route('/text', (_req, res) => {
        res.setHeader('content-type', 'text/plain')
        res.end(`see ${noteUrl('first')}`)
      })
      await send('/text')
      await receiver.drain()
      expect((await stored())[0]).toMatchObject({ type: 'mention', author: { name: null } })
    })

    it('rejects an unknown host, an error status, an oversized, a slow and an endlessly redirecting source, with why', async () => {
      receiver = build({ maxSourceBytes: 2_000, timeoutMs: 300 })
      site.route('/big', page(entry(`<a class="u-like-of" href="${noteUrl('first')}">x</a>${'<p>padding</p>'.repeat(500)}`)))
      site.route('/error', page('oops', {}, 500))
      site.route('/slow', () => {
        // Never answers: the bounded fetch gives up.
      })
      for (let i = 0; i < 7; i++) {
        site.route(`/hop/${i}`, (_req, res) => {
          res.statusCode = 302
          res.setHeader('location', `/hop/${i + 1}`)
          res.end()
        })
      }
      site.route('/hop/7', page(entry(`<a class="u-like-of" href="${noteUrl('first')}">x</a>`)))
      site.route('/hop/1', (_req, res) => {
        res.statusCode = 302
        res.setHeader('location', '/hop/2')
        res.end()
      })
      const port = new URL(site.origin).port
      const unknown = await receiver.accept({ source: `http://nowhere.test:${port}/p`, target: noteUrl('first') })
      const big = await send('/big')
      const error = await send('/error')
      const slow = await send('/slow')
      const loop = await send('/hop/0')
      await receiver.drain()
      const reason = async (id: string) => (await receiver.status(id))?.reason ?? ''
      expect(await receiver.status(unknown.id)).toMatchObject({ state: 'rejected' })
      expect(await reason(unknown.id)).toMatch(/^The source could not be fetched: .*the host nowhere\.test could not be found/)
      expect(await reason(big.id)).toMatch(/^The source could not be fetched: .*is larger than 2000 bytes/)
      expect(await reason(error.id)).toBe('The source answered HTTP 500.')
      expect(await reason(slow.id)).toMatch(/^The source could not be fetched: .*did not answer within/)
      expect(await reason(loop.id)).toMatch(/^The source could not be fetched: .*redirected more than 5 times/)
      expect(await stored()).toEqual([])
    })

    it('follows up to 5 redirects to the source', async () => {
      for (let i = 0; i < 5; i++) {
        site.route(`/five/${i}`, (_req, res) => {
          res.statusCode = 301
          res.setHeader('location', `/five/${i + 1}`)
          res.end()
        })
      }
      site.route('/five/5', page(entry(`<a class="u-repost-of" href="${noteUrl('first')}">x</a>`)))
      const { id } = await send('/five/0')
      await receiver.drain()
      expect(await receiver.status(id)).toMatchObject({ state: 'verified' })
      expect((await stored())[0]?.type).toBe('repost')
    })

    it('refuses a private source unless private addresses are allowed', async () => {
      receiver = build({}, testOutbound({ allowPrivate: false }))
      site.route('/private', page(entry(`<a class="u-like-of" href="${noteUrl('first')}">x</a>`)))
      const before = site.requests.length
      const { id } = await send('/private')
      await receiver.drain()
      expect((await receiver.status(id))?.reason).toMatch(/^The source could not be fetched: /)
      expect(site.requests.length).toBe(before)
    })

    it('verifies every waiting target of one source from a single fetch', async () => {
      site.route('/many', page(entry(['first', 'second', 'third'].map((s) => `<a href="${noteUrl(s)}">${s}</a>`).join(' '))))
      const before = site.requests.filter((r) => r.path === '/many').length
      const ids = [await send('/many', 'first'), await send('/many', 'second'), await send('/many', 'third')]
      expect(await receiver.processNext()).toBe(true)
      expect(site.requests.filter((r) => r.path === '/many').length - before).toBe(1)
      for (const { id } of ids) expect((await receiver.status(id))?.state).toBe('verified')
      expect(await receiver.processNext()).toBe(false)
      expect(new Set((await stored()).map((m) => m.noteId))).toEqual(new Set(notes.values()))
      // Two callers at once (the background loop and a drain) still fetch the source once.
      await send('/many', 'first')
      await send('/many', 'second')
      const fetchesBefore = site.requests.filter((r) => r.path === '/many').length
      await Promise.all([receiver.processNext(), receiver.processNext(), receiver.drain()])
      expect(site.requests.filter((r) => r.path === '/many').length - fetchesBefore).toBe(1)
    })
  })

  describe('abuse bounds', () => {
    it('limits requests per source host within the window, and other hosts are not affected', async () => {
      receiver = build({ perHostPerWindow: 3, hostWindowMs: 60_000 })
      for (const slug of ['first', 'second', 'third']) await send(`/r-${slug}`, slug)
      const limited = await rejection(send('/r-fourth'))
      expect(limited.code).toBe('WEBMENTION_RATE_LIMITED')
      expect(limited.status).toBe(429)
      expect(Number(limited.headers['Retry-After'])).toBeGreaterThan(0)
      expect(requests()).toBe(3)
      const port = new URL(site.origin).port
      expect((await receiver.accept({ source: `http://localhost:${port}/other`, target: noteUrl('first') })).queued).toBe(true)
      clock.now += 60_001
      expect((await send('/r-fourth')).queued).toBe(true)
    })

    it('finished requests are pruned after the retention time; waiting ones never are', async () => {
      receiver = build({ statusRetentionMs: 24 * 60 * 60_000 })
      site.route('/old', page(entry(`<a class="u-like-of" href="${noteUrl('first')}">x</a>`)))
      const old = await send('/old')
      await receiver.drain()
      const waiting = await send('/still-waiting', 'second')
      clock.now += 24 * 60 * 60_000 + 1
      await send('/new', 'third')
      expect(await receiver.status(old.id)).toBeNull()
      expect(await receiver.status(waiting.id)).toMatchObject({ state: 'queued' })
      // The mention itself stays: only the request's status is gone.
      expect((await stored()).map((m) => m.type)).toEqual(['like'])
    })

    it('bounds the queue', async () => {
      receiver = build({ maxQueued: 2 })
      await send('/q1')
      await send('/q2')
      const full = await rejection(send('/q3'))
      expect(full.code).toBe('WEBMENTION_QUEUE_FULL')
      expect(full.status).toBe(503)
      expect(full.headers['Retry-After']).toBeDefined()
      expect(requests()).toBe(2)
    })

    it('a blocked domain is refused at once, loses its mentions, and its waiting requests are rejected', async () => {
      site.route('/like', page(entry(`<a class="u-like-of" href="${noteUrl('first')}">liked</a>`)))
      await send('/like')
      await receiver.drain()
      const waiting = await send('/queued-before-block', 'second')
      changes.length = 0
      expect(await receiver.blockDomain('http://127.0.0.1/')).toEqual({ domain: '127.0.0.1', removed: 1 })
      expect(await stored()).toEqual([])
      expect(changes).toEqual([notes.get('first')])
      expect(await receiver.status(waiting.id)).toMatchObject({ state: 'rejected', reason: 'Webmentions from 127.0.0.1 are not accepted here.' })
      const refused = await rejection(send('/like'))
      expect(refused.code).toBe('WEBMENTION_BLOCKED')
      expect(refused.status).toBe(403)
      expect(await receiver.blockedDomains()).toEqual(['127.0.0.1'])
      expect(await receiver.unblockDomain('127.0.0.1')).toBe(true)
      expect((await send('/like')).queued).toBe(true)
    })

    it('a subdomain of a blocked domain is blocked too', async () => {
      await receiver.blockDomain('spam.example')
      expect((await rejection(receiver.accept({ source: 'https://www.spam.example/p', target: noteUrl('first') }))).code).toBe('WEBMENTION_BLOCKED')
      expect((await receiver.accept({ source: 'https://notspam.example/p', target: noteUrl('first') })).queued).toBe(true)
    })
  })

  it('the queue survives a restart: a request accepted before closing is verified after reopening', async () => {
    site.route('/restart', page(entry(`<a class="u-like-of" href="${noteUrl('first')}">x</a>`)))
    const { id } = await send('/restart')
    await db.close()
    db = await files.open()
    receiver = build()
    expect(await receiver.status(id)).toMatchObject({ state: 'queued' })
    receiver.start()
    try {
      await expect.poll(async () => (await receiver.status(id))?.state, { timeout: 5_000 }).toBe('verified')
      // The running loop is woken by the next request, without a drain.
      site.route('/restart-2', page(entry(`<a class="u-repost-of" href="${noteUrl('second')}">x</a>`)))
      const next = await send('/restart-2', 'second')
      await expect.poll(async () => (await receiver.status(next.id))?.state, { timeout: 5_000 }).toBe('verified')
    } finally {
      await receiver.stop()
    }
    expect((await stored()).map((m) => m.type).sort()).toEqual(['like', 'repost'])
  })

  afterEach(async () => {
    await receiver.stop()
  })
})

describe('moderation policy', () => {
  const types = ['reply', 'like', 'repost', 'bookmark', 'rsvp', 'mention'] as const
  it.each([
    ['approve-all', ['approved', 'approved', 'approved', 'approved', 'approved', 'approved']],
    ['approve-likes-reposts', ['held', 'approved', 'approved', 'held', 'held', 'held']],
    ['hold-all', ['held', 'held', 'held', 'held', 'held', 'held']],
  ] as const)('%s', (policy, expected) => {
    expect(types.map((type) => moderationFor(policy, type))).toEqual(expected)
  })
  it('an update keeps the approval of the same kind of post and judges a new kind afresh', () => {
    expect(moderationOnUpdate('hold-all', { type: 'reply', moderation: 'approved' }, 'reply')).toBe('approved')
    expect(moderationOnUpdate('approve-likes-reposts', { type: 'like', moderation: 'approved' }, 'reply')).toBe('held')
    expect(moderationOnUpdate('approve-likes-reposts', { type: 'reply', moderation: 'held' }, 'like')).toBe('approved')
  })
})

describe('mentions between two pages of this site', () => {
  it('are verified from the page as rendered here, without HTTP, shown at once, and a 410 removes them', async () => {
    const files = testFiles()
    const db = await files.open()
    const renderer = createNoteRenderer({ logger: files.logger })
    try {
      const target = await insertNote(db, 'target')
      await insertNote(db, 'source')
      const changes: number[] = []
      const receiver = createWebmentionReceiver({
        db,
        // Outbound off: any HTTP would fail, so success proves none was made.
        outbound: createOutbound({ enabled: false, allowPrivate: false, userAgent: 'test' }),
        logger: files.logger,
        resolveTarget: (url) => (url === noteUrl('target') ? { noteId: target } : null),
        sanitize: (html) => renderer.sanitize(html),
        moderationPolicy: () => 'hold-all',
        onChange: (id) => changes.push(id),
      })
      const html = `<article class="h-entry"><a class="u-in-reply-to" href="${noteUrl('target')}">re</a><p class="e-content">Follow-up.</p></article>`
      const status = await receiver.receiveLocal({ source: noteUrl('source'), target: noteUrl('target'), status: 200, html })
      expect(status).toMatchObject({ state: 'verified', reason: 'Verified as a reply; shown on the note.' })
      expect((await receiver.forNote(target)).map((m) => [m.type, m.contentText])).toEqual([['reply', 'Follow-up.']])
      expect(changes).toEqual([target])
      const gone = await receiver.receiveLocal({ source: noteUrl('source'), target: noteUrl('target'), status: 410, html: '' })
      expect(gone.state).toBe('rejected')
      expect(await receiver.forNote(target)).toEqual([])
      await expect(receiver.receiveLocal({ source: noteUrl('source'), target: noteUrl('elsewhere'), status: 200, html })).rejects.toMatchObject({ code: 'WEBMENTION_INVALID' })
    } finally {
      await renderer.close()
      await db.close()
      await files.remove()
    }
  })
})
