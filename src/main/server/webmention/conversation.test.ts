import type { Server } from 'node:http'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PooledDb } from '../db'
import { errorHandler, notFoundHandler } from '../errors'
import { requestLogging } from '../logging'
import { createNoteRenderer, type NoteRenderer } from '../notes'
import { createSourceParser, type SourceParser } from './parse-worker'
import { createWebmentionReceiver, type WebmentionReceiver } from './receiver'
import { webmentionLinkHeader, webmentionRoutes, WEBMENTION_PATH, WEBMENTION_STATUS_PATH } from './routes'
import { createWebmentionSender, type WebmentionSender } from './sender'
import { insertNote, testFiles, type TestFiles } from './test-support/db'
import { testOutbound } from './test-support/loopback'

/**
 * One small blog: a real SQLite file, the receiver and sender, and an Express app on loopback serving note
 * pages (h-entry markup, the endpoint in a Link header, 410 once deleted) and the Webmention routes.
 */
interface Blog {
  origin: string
  files: TestFiles
  db: PooledDb
  receiver: WebmentionReceiver
  sender: WebmentionSender
  changes: number[]
  publish(slug: string, markup: string): Promise<number>
  edit(slug: string, markup: string): void
  remove(slug: string): void
  url(slug: string): string
  close(): Promise<void>
}

async function startBlog(name: string, renderer: NoteRenderer, parser: SourceParser): Promise<Blog> {
  const files = testFiles(`starpunk-wm-${name}-`)
  const db = await files.open()
  const posts = new Map<string, { id: number; markup: string; deleted: boolean }>()
  const changes: number[] = []
  const app = express()
  let origin = ''
  const outbound = testOutbound()
  const url = (slug: string) => `${origin}/notes/${slug}`
  const receiver = createWebmentionReceiver({
    db,
    outbound,
    logger: files.logger,
    resolveTarget: (target) => {
      const slug = target.startsWith(`${origin}/notes/`) ? target.slice(`${origin}/notes/`.length) : null
      const post = slug ? posts.get(slug) : undefined
      return post && !post.deleted ? { noteId: post.id } : null
    },
    sanitize: (html) => renderer.sanitize(html),
    parseHtml: parser.parse,
    moderationPolicy: () => 'approve-likes-reposts',
    onChange: (noteId) => changes.push(noteId),
    refuseOrigins: () => [origin],
  })
  const sender = createWebmentionSender({
    db,
    outbound,
    logger: files.logger,
    noteUrl: (id) => {
      const slug = [...posts].find(([, post]) => post.id === id)?.[0]
      return slug ? url(slug) : null
    },
    refuseOrigins: () => [origin],
  })
  app.use(requestLogging(files.logging))
  app.use((_req, res, next) => {
    res.append('Link', webmentionLinkHeader(origin + WEBMENTION_PATH))
    next()
  })
  app.get('/notes/:slug', (req, res) => {
    const post = posts.get(req.params.slug)
    if (!post) return void res.status(404).send('not found')
    if (post.deleted) return void res.status(410).send('gone')
    res.type('html').send(`<!doctype html><html><head><title>${name}</title></head><body>
      <article class="h-entry"><a class="p-author h-card" href="${origin}/">${name}</a>${post.markup}
      <a class="u-url" href="${url(req.params.slug)}">permalink</a></article></body></html>`)
  })
  app.use(webmentionRoutes({ receiver, statusUrl: (id) => `${origin}${WEBMENTION_STATUS_PATH}/${id}` }))
  app.use(notFoundHandler)
  app.use(errorHandler({ logger: files.logger, renderErrorPage: (info, status, requestId) => `<h1>${status} ${info.code}</h1><ol><li>${requestId}</li></ol>` }))
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return {
    origin,
    files,
    db,
    receiver,
    sender,
    changes,
    url,
    async publish(slug, markup) {
      const id = await insertNote(db, slug)
      posts.set(slug, { id, markup, deleted: false })
      return id
    },
    edit(slug, markup) {
      const post = posts.get(slug)
      if (post) post.markup = markup
    },
    remove(slug) {
      const post = posts.get(slug)
      if (post) post.deleted = true
    },
    async close() {
      await receiver.stop()
      await sender.stop()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await db.close()
      await files.remove()
    },
  }
}

describe('two blogs talking Webmention to each other over loopback', () => {
  let renderer: NoteRenderer
  let a: Blog
  let b: Blog
  let hello: number
  let files: TestFiles
  let parser: SourceParser

  beforeAll(async () => {
    files = testFiles('starpunk-wm-render-')
    renderer = createNoteRenderer({ logger: files.logger })
    parser = createSourceParser({ logger: files.logger })
    a = await startBlog('Alice', renderer, parser)
    b = await startBlog('Bob', renderer, parser)
    hello = await b.publish('hello', '<p class="e-content">Hello, world.</p>')
  })
  afterAll(async () => {
    await a.close()
    await b.close()
    await renderer.close()
    await parser.close()
    await files.remove()
  })

  it('A replies to, likes and reposts B’s note; B verifies, shows the like and repost and holds the reply; edits and deletions follow', async () => {
    const target = b.url('hello')
    const reply = await a.publish('reply', `<a class="u-in-reply-to" href="${target}">in reply to Bob</a><p class="e-content">Nice <em>post</em>, Bob.</p>`)
    const like = await a.publish('like', `<a class="u-like-of" href="${target}">liked</a>`)
    const repost = await a.publish('repost', `<a class="u-repost-of" href="${target}">reposted</a>`)
    for (const id of [reply, like, repost]) await a.sender.enqueueForNote(id, [target], [])
    expect(await a.sender.processDue()).toBe(3)

    // A's outbox: each went to B's endpoint, which answered 202 with a status URL that shows the state.
    const sent = [...(await a.sender.forNote(reply)), ...(await a.sender.forNote(like)), ...(await a.sender.forNote(repost))]
    expect(sent.map((e) => [e.state, e.lastStatus, e.endpoint])).toEqual(Array(3).fill(['sent', 202, b.origin + WEBMENTION_PATH]))
    const statusUrl = sent[0]?.location ?? ''
    expect(statusUrl.startsWith(`${b.origin}${WEBMENTION_STATUS_PATH}/`)).toBe(true)
    expect(await (await fetch(statusUrl)).json()).toMatchObject({ state: 'queued', source: a.url('reply'), target })

    expect(await b.receiver.drain()).toBe(3)
    expect(await (await fetch(statusUrl)).json()).toMatchObject({ state: 'verified', reason: 'Verified as a reply; held for the author’s approval.' })
    let shown = await b.receiver.forNote(hello)
    expect(shown.map((m) => [m.type, m.source]).sort()).toEqual([
      ['like', a.url('like')],
      ['repost', a.url('repost')],
    ])
    expect(shown[0]?.author).toEqual({ name: 'Alice', photo: null, url: `${a.origin}/` })
    const held = await b.receiver.list({ moderation: 'held' })
    expect(held.map((m) => [m.type, m.source, m.contentHtml])).toEqual([['reply', a.url('reply'), 'Nice <em>post</em>, Bob.']])

    // B approves the reply (what the admin page will do).
    await b.receiver.approve(held[0]?.id ?? 0)
    shown = await b.receiver.forNote(hello)
    expect(shown.map((m) => m.type).sort()).toEqual(['like', 'reply', 'repost'])
    expect(b.changes.every((id) => id === hello)).toBe(true)

    // A edits the reply: B's copy updates and stays approved.
    a.edit('reply', `<a class="u-in-reply-to" href="${target}">in reply to Bob</a><p class="e-content">Very nice post, Bob.</p>`)
    await a.sender.enqueueForNote(reply, [target], [target])
    await a.sender.processDue()
    await b.receiver.drain()
    expect((await b.receiver.forNote(hello)).find((m) => m.type === 'reply')).toMatchObject({ contentText: 'Very nice post, Bob.', moderation: 'approved' })

    // A takes the link out of the like: the previous version's link is told, and B drops the like.
    a.edit('like', '<p class="e-content">never mind</p>')
    await a.sender.enqueueForNote(like, [], [target])
    await a.sender.processDue()
    await b.receiver.drain()
    expect((await b.receiver.forNote(hello)).map((m) => m.type).sort()).toEqual(['reply', 'repost'])

    // A deletes the reply (its page answers 410): B removes it.
    a.remove('reply')
    const changesBefore = b.changes.length
    await a.sender.enqueueForNote(reply, [], [target])
    await a.sender.processDue()
    await b.receiver.drain()
    expect((await b.receiver.forNote(hello)).map((m) => m.type)).toEqual(['repost'])
    expect(b.changes.length).toBeGreaterThan(changesBefore)
    expect(await b.receiver.counts()).toEqual({ queued: 0, held: 0, approved: 1 })
  })

  it('B’s endpoint refuses bad requests with catalog errors and the request ID, and queues nothing', async () => {
    const before = b.db.writer.prepare('SELECT count(*) FROM webmention_requests').pluck().get()
    const cases: Array<[RequestInit, number, string]> = [
      [{ method: 'POST', body: new URLSearchParams({ source: 'ftp://x.example/', target: b.url('hello') }) }, 400, 'WEBMENTION_INVALID'],
      [{ method: 'POST', body: new URLSearchParams({ source: b.url('hello'), target: b.url('hello') }) }, 400, 'WEBMENTION_INVALID'],
      [{ method: 'POST', body: new URLSearchParams({ source: a.url('reply'), target: b.url('nope') }) }, 400, 'WEBMENTION_INVALID'],
      [{ method: 'POST', body: JSON.stringify({ source: a.url('reply'), target: b.url('hello') }), headers: { 'content-type': 'application/json' } }, 400, 'WEBMENTION_INVALID'],
      [{ method: 'POST', body: new URLSearchParams({ source: 'x'.repeat(9_000), target: b.url('hello') }) }, 413, 'PAYLOAD_TOO_LARGE'],
    ]
    for (const [init, code, errorCode] of cases) {
      const res = await fetch(b.origin + WEBMENTION_PATH, { ...init, headers: { accept: 'application/json', ...(init.headers as Record<string, string> | undefined) } })
      expect(res.status).toBe(code)
      const body = (await res.json()) as { error: { code: string; request_id: string; troubleshooting: string[] } }
      expect(body.error.code).toBe(errorCode)
      expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
      expect(body.error.troubleshooting.length).toBeGreaterThan(0)
    }
    const get = await fetch(b.origin + WEBMENTION_PATH)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toContain('POST')
    expect((await fetch(`${b.origin}${WEBMENTION_STATUS_PATH}/unknown`, { headers: { accept: 'application/json' } })).status).toBe(404)
    expect(b.db.writer.prepare('SELECT count(*) FROM webmention_requests').pluck().get()).toBe(before)
  })

  it('a plain form POST gets 202, a Location and a readable body', async () => {
    const res = await fetch(b.origin + WEBMENTION_PATH, { method: 'POST', body: new URLSearchParams({ source: a.url('repost'), target: b.url('hello') }) })
    expect(res.status).toBe(202)
    const location = res.headers.get('location') ?? ''
    expect(location.startsWith(`${b.origin}${WEBMENTION_STATUS_PATH}/`)).toBe(true)
    expect(await res.text()).toBe(`Accepted for verification. Status: ${location}\n`)
    await b.receiver.drain()
  })
})
