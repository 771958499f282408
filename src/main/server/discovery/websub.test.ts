import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { DomUtils, parseDocument } from 'htmlparser2'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { OUTBOUND_TEST_ENV, parsedLogs, startTestServer, type TestServer } from '../../../../test/helpers/server'

// WebSub on a real server: the hub is a real HTTP server on loopback; notes are published, edited and deleted
// through real Micropub requests; the hub's requests are read as it received them.

interface HubRequest {
  method: string
  contentType: string
  mode: string | null
  urls: string[]
}

/** A hub on 127.0.0.1: records each request; `answer` decides each response (default 204), `hold` delays it. */
class LoopbackHub {
  readonly requests: HubRequest[] = []
  answer: (index: number) => number = () => 204
  /** While set, responses wait for it to resolve (the ping is in flight, unanswered). */
  hold: Promise<void> | null = null
  private waiters: Array<{ count: number; resolve: () => void }> = []
  private server!: Server
  url = ''

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    const address = this.server.address()
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hub`
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    const index = this.requests.length
    this.requests.push({ method: req.method ?? '', contentType: req.headers['content-type'] ?? '', mode: form.get('hub.mode'), urls: form.getAll('hub.url') })
    for (const waiter of this.waiters.filter((w) => this.requests.length >= w.count)) waiter.resolve()
    if (this.hold) await this.hold
    res.statusCode = this.answer(index)
    res.end()
  }

  /** Resolves once the hub has received `count` requests in all. */
  received(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ count, resolve }))
  }

  reset(): void {
    this.requests.length = 0
    this.answer = () => 204
    this.hold = null
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

const hub = new LoopbackHub()
let ts: TestServer
let token: string

beforeAll(async () => {
  await hub.start()
  ts = await startTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_WEBSUB_HUB: hub.url }, { websub: { retryDelaysMs: [20, 20, 20] } })
  token = (await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create', 'update', 'delete', 'undelete'], expiresAt: null })).token
})
afterEach(async () => {
  await ts.server.context.websub.idle()
  hub.reset()
})
afterAll(async () => {
  await ts?.close()
  await hub.close()
})

function micropub(body: unknown): Promise<Response> {
  return fetch(`${ts.url}/micropub`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

const topicsFor = (noteUrl: string) => [`${ts.url}/`, `${ts.url}/feed.rss`, `${ts.url}/feed.atom`, `${ts.url}/feed.json`, noteUrl].sort()

describe('pinging the hub', () => {
  it('a Micropub publish answers at once, then the hub gets hub.mode=publish with the feeds, the home page and the note', async () => {
    let release!: () => void
    hub.hold = new Promise((resolve) => (release = resolve))
    const res = await micropub({ type: ['h-entry'], properties: { content: ['Hello, subscribers'] } })
    // The Micropub answer came while the hub still holds its answer: the ping never blocks the request.
    expect(res.status).toBe(201)
    const location = res.headers.get('location')!
    await hub.received(1)
    release()
    const [ping] = hub.requests
    expect(ping!.method).toBe('POST')
    expect(ping!.contentType).toBe('application/x-www-form-urlencoded')
    expect(ping!.mode).toBe('publish')
    expect([...ping!.urls].sort()).toEqual(topicsFor(location))
    await ts.server.context.websub.idle()
    expect(parsedLogs(ts.lines).some((l) => l.msg === 'websub hub notified')).toBe(true)
  })

  it('an edit and a delete through Micropub ping it too; a new draft does not', async () => {
    const created = await micropub({ type: ['h-entry'], properties: { content: ['First version'] } })
    const location = created.headers.get('location')!
    await hub.received(1)
    await ts.server.context.websub.idle()
    const update = await micropub({ action: 'update', url: location, replace: { content: ['Second version'] } })
    expect(update.status).toBeLessThan(300)
    await hub.received(2)
    expect([...hub.requests[1]!.urls].sort()).toEqual(topicsFor(location))
    await ts.server.context.websub.idle()
    const removed = await micropub({ action: 'delete', url: location })
    expect(removed.status).toBeLessThan(300)
    await hub.received(3)
    expect(hub.requests[2]!.urls).toContain(location)
    await ts.server.context.websub.idle()

    const draft = await micropub({ type: ['h-entry'], properties: { content: ['Not yet'], 'post-status': ['draft'] } })
    expect(draft.status).toBe(201)
    await ts.server.context.websub.idle()
    expect(hub.requests).toHaveLength(3)
  })

  it('a hub that fails is tried again, a bounded number of times, and the failures are logged', async () => {
    hub.answer = (index) => (index < 2 ? 503 : 204)
    await micropub({ type: ['h-entry'], properties: { content: ['Retry me'] } })
    await hub.received(3)
    await ts.server.context.websub.idle()
    expect(hub.requests).toHaveLength(3)
    expect(hub.requests.every((r) => r.mode === 'publish')).toBe(true)
    const logs = parsedLogs(ts.lines)
    expect(logs.filter((l) => l.msg === 'websub ping failed, will retry').length).toBeGreaterThanOrEqual(2)

    // Always failing: one try and three retries, then it gives up (until the next change).
    hub.reset()
    hub.answer = () => 500
    const before = ts.server.context.websub.stats.failed
    await micropub({ type: ['h-entry'], properties: { content: ['Never lands'] } })
    await hub.received(4)
    await ts.server.context.websub.idle()
    expect(hub.requests).toHaveLength(4)
    expect(ts.server.context.websub.stats.failed).toBe(before + 1)
    const giveUp = parsedLogs(ts.lines).filter((l) => l.msg === 'websub ping failed, giving up until the next change')
    expect(giveUp.length).toBeGreaterThanOrEqual(1)
    expect(JSON.stringify(giveUp.at(-1))).toContain('500')
  })

  it('a hub that refuses the request (400) is not asked again for it', async () => {
    hub.answer = () => 400
    await micropub({ type: ['h-entry'], properties: { content: ['Refused'] } })
    await hub.received(1)
    await ts.server.context.websub.idle()
    expect(hub.requests).toHaveLength(1)
  })
})

const webmentionLink = (base: string): string => `<${base}/webmention>; rel="webmention"`

describe('advertising the hub', () => {
  it('pages link rel=hub and rel=self, in the head and the Link header', async () => {
    const note = await ts.server.context.notes.create({ content: 'Advertised', slug: 'advertised' })
    for (const [path, self] of [
      ['/', `${ts.url}/`],
      [`/notes/${note.slug}`, `${ts.url}/notes/${note.slug}`],
    ] as const) {
      // The second request is a repeat (answered by the fast path in front of Express): same Link header.
      const first = await fetch(`${ts.url}${path}`, { headers: { accept: 'text/html' } })
      // The Webmention endpoint is on every response; the hub and self follow it.
      expect(first.headers.get('link')).toBe(`${webmentionLink(ts.url)}, <${hub.url}>; rel="hub", <${self}>; rel="self"`)
      await first.arrayBuffer()
      const res = await fetch(`${ts.url}${path}`, { headers: { accept: 'text/html' } })
      expect(res.headers.get('link')).toBe(`${webmentionLink(ts.url)}, <${hub.url}>; rel="hub", <${self}>; rel="self"`)
      const links = DomUtils.getElementsByTagName('link', parseDocument(await res.text()))
      expect(links.find((l) => l.attribs.rel === 'hub')?.attribs.href).toBe(hub.url)
      expect(links.find((l) => l.attribs.rel === 'self')?.attribs.href).toBe(self)
    }
  })

  it('RSS and Atom carry link rel=hub, the JSON Feed its hubs, and each feed a Link header naming itself', async () => {
    const rss = await fetch(`${ts.url}/feed.rss`)
    expect(rss.headers.get('link')).toBe(`${webmentionLink(ts.url)}, <${hub.url}>; rel="hub", <${ts.url}/feed.rss>; rel="self"`)
    expect(await rss.text()).toContain(`<atom:link href="${hub.url}" rel="hub"/>`)
    const atom = await fetch(`${ts.url}/feed.atom`)
    expect(atom.headers.get('link')).toContain(`<${ts.url}/feed.atom>; rel="self"`)
    expect(await atom.text()).toContain(`<link rel="hub" href="${hub.url}"/>`)
    const json = await fetch(`${ts.url}/feed.json`)
    expect(json.headers.get('link')).toContain(`<${ts.url}/feed.json>; rel="self"`)
    expect(((await json.json()) as { hubs?: unknown }).hubs).toEqual([{ type: 'WebSub', url: hub.url }])
  })
})

describe('without a hub', () => {
  let plain: TestServer
  beforeAll(async () => {
    plain = await startTestServer({ ...OUTBOUND_TEST_ENV })
  })
  afterAll(() => plain.close())

  it('nothing is advertised and nothing is sent', async () => {
    await plain.server.context.notes.create({ content: 'Quiet', slug: 'quiet' })
    await plain.server.context.websub.idle()
    expect(hub.requests).toHaveLength(0)
    for (const path of ['/', '/notes/quiet', '/feed.rss', '/feed.json']) {
      const res = await fetch(`${plain.url}${path}`, { headers: { accept: 'text/html' } })
      // Only the Webmention endpoint: no hub, no self.
      expect(res.headers.get('link')).toBe(webmentionLink(plain.url))
      expect(await res.text()).not.toMatch(/rel="hub"|"hubs"/)
    }
  })
})
