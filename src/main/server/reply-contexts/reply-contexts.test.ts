import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { mf2 } from 'microformats-parser'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OUTBOUND_TEST_ENV, startTestServer, type TestServer } from '../../../../test/helpers/server'
import { contextFields, fromHead } from './parse'

/** A real HTTP server on loopback playing the other sites. */
async function startRemote(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; sockets: Set<Socket>; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createHttpServer(handler)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

const MF2_PAGE = (base: string) => `<!doctype html><html><head><title>Ignored title</title></head><body>
<article class="h-entry">
  <a class="u-url" href="${base}/mf2"></a>
  <div class="p-author h-card"><img class="u-photo" src="${base}/avatar.png" alt=""><a class="p-name u-url" href="${base}/">Ada Remote</a></div>
  <div class="e-content">Small databases are <b>underrated</b>. ${'Really. '.repeat(60)}</div>
  <time class="dt-published" datetime="2024-03-02T10:00:00Z">2 March</time>
</article></body></html>`

const OG_PAGE = `<!doctype html><html><head><title>Plain title</title>
<meta property="og:title" content="The OpenGraph title">
<meta property="og:description" content="What the page is about, from its meta tags.">
<meta name="author" content="Grace Meta">
<meta property="article:published_time" content="2023-11-05T08:00:00Z">
</head><body><p>No microformats here.</p></body></html>`

describe('reply contexts against real loopback sites', () => {
  let ts: TestServer
  let token: string
  let remote: Awaited<ReturnType<typeof startRemote>>
  let slow: Awaited<ReturnType<typeof startRemote>>
  const requests: string[] = []
  const contextRequests: string[] = []
  let avatar: Buffer
  let openGate: () => void = () => {}
  const gate = new Promise<void>((resolve) => (openGate = resolve))

  async function micropub(properties: Record<string, unknown[]>): Promise<string> {
    const res = await fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ type: ['h-entry'], properties }),
    })
    expect(res.status).toBe(201)
    return res.headers.get('location')!
  }
  const page = async (url: string) => (await fetch(url, { headers: { accept: 'text/html' } })).text()
  const entryOf = (html: string, url: string) => mf2(html, { baseUrl: url }).items.find((item) => item.type?.includes('h-entry'))!

  beforeAll(async () => {
    avatar = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#884422' } }).png().toBuffer()
    remote = await startRemote((req, res) => {
      requests.push(req.url ?? '')
      // Our reply-context fetch says what it wants; the Webmention sender's endpoint discovery also visits targets.
      if (req.headers.accept?.startsWith('text/html, application/xhtml+xml;q=0.9')) contextRequests.push(req.url ?? '')
      if (req.url === '/mf2') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(MF2_PAGE(remote.url))
      } else if (req.url === '/og') {
        // Held until the test has read the page once: the page must not wait for it.
        void gate.then(() => res.writeHead(200, { 'content-type': 'text/html' }).end(OG_PAGE))
      } else if (req.url === '/avatar.png') {
        res.writeHead(200, { 'content-type': 'image/png' }).end(avatar)
      } else if (req.url === '/broken') {
        res.writeHead(500, { 'content-type': 'text/html' }).end('<title>Server error</title>')
      } else {
        res.writeHead(404).end()
      }
    })
    // Answers nothing until closed: a fetch of it hangs.
    slow = await startRemote(() => {})
    ts = await startTestServer(OUTBOUND_TEST_ENV)
    token = (await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create', 'update'], expiresAt: null })).token
  })
  afterAll(async () => {
    await ts.close()
    await remote.close()
    await slow.close()
  })

  it('an mf2 target: an h-cite with author, photo (our own copy, fetched once), a short text and the date', async () => {
    const target = `${remote.url}/mf2`
    const url = await micropub({ 'in-reply-to': [target], content: ['Agreed'] })
    await ts.server.context.replyContexts.idle()
    const html = await page(url)
    const cite = entryOf(html, url).properties['in-reply-to']![0] as { type: string[]; properties: Record<string, unknown[]>; value: string }
    expect(cite.type).toEqual(['h-cite'])
    expect(cite.value).toBe(target)
    const author = cite.properties.author![0] as { properties: Record<string, unknown[]> }
    expect(author.properties.name).toEqual(['Ada Remote'])
    expect(String(cite.properties.content![0])).toMatch(/^Small databases are underrated\. Really\./)
    expect(String(cite.properties.content![0]).endsWith('…')).toBe(true)
    expect(cite.properties.published).toEqual(['2024-03-02T10:00:00.000Z'])
    // The author's photo is our own media; the remote address never appears on the page.
    const photo = author.properties.photo?.[0]
    expect(typeof photo === 'string' ? photo : (photo as { value: string }).value).toMatch(new RegExp(`^${ts.url}/media/`))
    expect(html).not.toContain(`${remote.url}/avatar.png`)
    expect(requests.filter((r) => r === '/avatar.png')).toHaveLength(1)
    const stored = await ts.server.context.replyContexts.get([target])
    expect(stored.get(target)!.authorPhoto).toBe(`${remote.url}/avatar.png`)
  })

  it('the cached page is rebuilt when the context arrives', async () => {
    const target = `${remote.url}/og`
    const url = await micropub({ 'like-of': [target] })
    while (!requests.includes('/og')) await new Promise((resolve) => setImmediate(resolve))
    const before = await page(url)
    expect(before).toMatch(/Liked <a class="u-like-of h-cite"/)
    openGate()
    await ts.server.context.replyContexts.idle()
    const after = await page(url)
    const cite = entryOf(after, url).properties['like-of']![0] as { properties: Record<string, unknown[]>; value: string }
    expect(cite.value).toBe(target)
    expect(cite.properties.name).toEqual(['The OpenGraph title'])
    expect((cite.properties.author![0] as { properties: Record<string, unknown[]> }).properties.name).toEqual(['Grace Meta'])
    expect(cite.properties.content![0]).toBe('What the page is about, from its meta tags.')
    expect(after).not.toBe(before)
    // Feeds use the target's title once it is known.
    const json = (await (await fetch(`${ts.url}/feed.json`)).json()) as { items: Array<{ url: string; title?: string }> }
    expect(json.items.find((item) => item.url === url)!.title).toBe('Liked: The OpenGraph title')
  })

  it('a failing target degrades to the plain link, and is not fetched again at once', async () => {
    const target = `${remote.url}/broken`
    const url = await micropub({ 'repost-of': [target] })
    await ts.server.context.replyContexts.idle()
    const html = await page(url)
    const repostOf = entryOf(html, url).properties['repost-of']![0] as { properties: Record<string, unknown[]>; value: string }
    expect(repostOf.value).toBe(target)
    expect(repostOf.properties.author).toBeUndefined()
    expect(html).toMatch(/Reposted <a class="u-repost-of h-cite"/)
    expect(contextRequests.filter((r) => r === '/broken')).toHaveLength(1)
    ts.server.context.replyContexts.request([target])
    await ts.server.context.replyContexts.idle()
    expect(contextRequests.filter((r) => r === '/broken')).toHaveLength(1)
    expect(ts.server.context.db.writer.prepare("SELECT state, reason FROM reply_contexts WHERE url = ?").get(target)).toEqual({ state: 'failed', reason: 'answered 500' })
  })

  it('a target that never answers: the page is served meanwhile with the plain link', async () => {
    const target = `${slow.url}/hangs`
    const url = await micropub({ 'bookmark-of': [target] })
    // Wait until our fetch is connected to the silent server, then read the page while it hangs.
    while (slow.sockets.size === 0) await new Promise((resolve) => setImmediate(resolve))
    const res = await fetch(url, { headers: { accept: 'text/html' } })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect((entryOf(html, url).properties['bookmark-of']![0] as { value: string }).value).toBe(target)
    expect(html).toMatch(/Bookmarked <a class="u-bookmark-of h-cite"/)
    for (const socket of slow.sockets) socket.destroy()
    await ts.server.context.replyContexts.idle()
    expect((ts.server.context.db.writer.prepare('SELECT state FROM reply_contexts WHERE url = ?').get(target) as { state: string }).state).toBe('failed')
  })
})

describe('context parsing', () => {
  it('mf2 first, the head for what it lacks; a note-like name is not a title', () => {
    const html = '<html><head><title>T</title><meta property="og:description" content="D"></head><body><div class="h-entry"><p class="p-name e-content">Hello world</p></div></body></html>'
    const fields = contextFields(mf2(html, { baseUrl: 'https://a.example/x' }), html, ['https://a.example/x'])
    expect(fields.title).toBeNull()
    expect(fields.text).toBe('Hello world')
    expect(fromHead('<title> Just  a\n title </title>').title).toBe('Just a title')
  })
})
