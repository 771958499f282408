import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebmentionEvent } from '../src/shared/contract'
import { loginAsAdmin } from './helpers/admin'
import { entryOf, mentionsOf, queueDrained, settledOutbox, until } from './helpers/conversation'
import { OUTBOUND_TEST_ENV, parsedLogs, startTestServer, type TestServer } from './helpers/server'

// Two real StarPunk servers on loopback, each with its own data directory. A replies to, likes and reposts
// a note of B's; B verifies each (fetching A's pages), shows likes and reposts at once, holds the reply
// until approved in B's admin; A edits the reply and B's copy follows; A deletes it and B drops it.

let a: TestServer
let b: TestServer
let target: string
let targetId: number
const events: WebmentionEvent[] = []

type Cite = { type?: string[]; properties: Record<string, unknown[]> }

beforeAll(async () => {
  ;[a, b] = await Promise.all([
    startTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_AUTHOR_NAME: 'Alice' }),
    startTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_AUTHOR_NAME: 'Bob' }),
  ])
  b.server.consolePort.onWebmention?.((event) => events.push(event))
  // Alice's photo is an upload of hers: B must copy it into its own media, never show it from A.
  const temp = a.server.context.media.tempPath()
  await sharp({ create: { width: 200, height: 200, channels: 3, background: '#36c' } }).jpeg().toFile(temp)
  a.server.context.config.authorPhoto = (await a.server.context.media.storeTempFile(temp)).url
  const note = await b.server.context.micropub.create('entry', { content: ['What do you think of Webmention?'] }, {})
  target = note.location
  targetId = note.note.id
})

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()])
})

describe('a conversation between two StarPunk servers', () => {
  let replyUrl: string
  let replyId: number

  it('A replies, likes and reposts; B verifies all three and shows the like and repost, holding the reply', async () => {
    const { micropub } = a.server.context
    const reply = await micropub.create('entry', { content: ['I think it is great.'], 'in-reply-to': [target] }, {})
    const like = await micropub.create('entry', { content: ['Liked.'], 'like-of': [target] }, {})
    const repost = await micropub.create('entry', { content: ['Reposted.'], 'repost-of': [target] }, {})
    replyUrl = reply.location
    replyId = reply.note.id
    for (const id of [reply.note.id, like.note.id, repost.note.id]) {
      const [entry] = await settledOutbox(a, id)
      expect(entry).toMatchObject({ target, state: 'sent', endpoint: `${b.url}/webmention`, lastStatus: 202 })
      // B's status URL says what became of it.
      const status = await until('verification', async () => {
        const body = (await (await fetch(entry!.location!)).json()) as { state: string; reason: string | null }
        return body.state === 'queued' ? null : body
      })
      expect(status.state).toBe('verified')
    }
    await queueDrained(b)
    const mentions = await mentionsOf(b, targetId)
    expect(mentions.map((m) => [m.type, m.moderation, m.source]).sort()).toEqual(
      [
        ['like', 'approved', like.location],
        ['reply', 'held', reply.location],
        ['repost', 'approved', repost.location],
      ].sort(),
    )
    expect(mentions.every((m) => m.author.name === 'Alice')).toBe(true)
    expect(events.filter((e) => e.change === 'added').map((e) => e.type).sort()).toEqual(['like', 'reply', 'repost'])

    const entry = await entryOf(target)
    const likes = (entry.like ?? []) as Cite[]
    const reposts = (entry.repost ?? []) as Cite[]
    expect(likes).toHaveLength(1)
    expect(reposts).toHaveLength(1)
    expect(likes[0]!.type).toContain('h-cite')
    expect(likes[0]!.properties.url).toEqual([like.location])
    expect(entry.comment).toBeUndefined()
    // The avatar is B's own copy of Alice's photo: the page names no image on A.
    const html = await (await fetch(target)).text()
    expect(html).not.toContain(`${a.url}/media/`)
    const author = (likes[0]!.properties.author as Cite[])[0]!
    const photo = author.properties.photo?.[0]
    expect(typeof photo === 'string' ? photo : (photo as { value?: string } | undefined)?.value).toMatch(new RegExp(`^${b.url}/media/`))
    expect(readdirSync(join(b.dataDir, 'media')).some((name) => name.endsWith('.jpg'))).toBe(true)
  })

  it('B approves the reply in its admin; the page shows it as a p-comment h-cite', async () => {
    const admin = await loginAsAdmin(b)
    const queue = await (await fetch(`${b.url}/admin/webmentions`, { headers: { cookie: admin.cookie } })).text()
    expect(queue).toContain('1 waiting for approval')
    expect(queue).toMatch(/class="badge"[^>]*>1</)
    const held = (await b.server.context.webmention.receiver.list({ moderation: 'held' }))[0]!
    // Without the CSRF token nothing changes.
    const forged = await fetch(`${b.url}/admin/webmentions/${held.id}/approve`, { method: 'POST', headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' })
    expect(forged.status).toBe(403)
    expect((await b.server.context.webmention.receiver.get(held.id))?.moderation).toBe('held')
    // The page is cached before the approval: the approval must drop it.
    expect((await entryOf(target)).comment).toBeUndefined()
    const approved = await fetch(`${b.url}/admin/webmentions/${held.id}/approve`, {
      method: 'POST',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: admin.csrfToken }).toString(),
      redirect: 'manual',
    })
    expect(approved.status).toBe(303)
    const comments = (await entryOf(target)).comment as Cite[]
    expect(comments).toHaveLength(1)
    expect(comments[0]!.type).toContain('h-cite')
    expect(comments[0]!.properties.url).toEqual([replyUrl])
    expect(JSON.stringify(comments[0]!.properties.content)).toContain('I think it is great.')
  })

  it('A edits the reply; B updates its copy (still approved)', async () => {
    await a.server.context.micropub.update(replyUrl, { replace: { content: ['On second thought: even better.'] }, add: {}, remove: { whole: [], values: {} } })
    await until('B to show the edited reply', async () => {
      const comments = ((await entryOf(target)).comment ?? []) as Cite[]
      return JSON.stringify(comments).includes('even better') ? comments : null
    })
    const comments = (await entryOf(target)).comment as Cite[]
    expect(comments).toHaveLength(1)
    expect(JSON.stringify(comments)).not.toContain('I think it is great.')
  })

  it('A deletes the reply: its page answers 410, B removes the reply and keeps the like and repost', async () => {
    await a.server.context.micropub.remove(replyUrl)
    expect((await fetch(replyUrl)).status).toBe(410)
    await until('B to drop the reply', async () => ((await entryOf(target)).comment === undefined ? true : null))
    const left = await mentionsOf(b, targetId)
    expect(left.map((m) => m.type).sort()).toEqual(['like', 'repost'])
    expect(events.some((e) => e.change === 'removed' && e.type === 'reply')).toBe(true)
    const [told] = await settledOutbox(a, replyId)
    expect(told).toMatchObject({ target, state: 'sent' })
  })

  it('a mention of one of our own posts is recorded directly, without HTTP', async () => {
    const { micropub } = a.server.context
    const first = await micropub.create('entry', { content: ['An earlier thought.'] }, {})
    const second = await micropub.create('entry', { content: [`Following up on [my earlier note](${first.location}).`] }, {})
    const [entry] = await settledOutbox(a, second.note.id)
    expect(entry).toMatchObject({ target: first.location, state: 'sent', endpoint: null, lastStatus: null })
    const mentions = await mentionsOf(a, first.note.id)
    expect(mentions).toHaveLength(1)
    expect(mentions[0]).toMatchObject({ type: 'mention', moderation: 'approved', source: second.location })
    // A never called its own endpoint (B's log shows what such a call looks like).
    const endpointCalls = (ts: TestServer) => parsedLogs(ts.lines).filter((line) => line.msg === 'request' && line.fields?.path === '/webmention').length
    expect(endpointCalls(b)).toBeGreaterThan(0)
    expect(endpointCalls(a)).toBe(0)
  })
  it("A's note admin page shows where each Webmention went and what came back", async () => {
    const admin = await loginAsAdmin(a)
    const liked = await a.server.context.micropub.create('entry', { content: ['Liked again.'], 'like-of': [target] }, {})
    await settledOutbox(a, liked.note.id)
    const page = await (await fetch(`${a.url}/admin/notes/${encodeURIComponent(liked.note.slug)}/edit`, { headers: { cookie: admin.cookie } })).text()
    expect(page).toContain(`data-outbox-target="${target}"`)
    expect(page).toContain('data-outbox-state="sent"')
    expect(page).toContain(`${b.url}/webmention`)
    expect(page).toContain('HTTP 202')
    expect(page).toContain('id="note-send-webmentions"')
  })

  it('an edit that drops the link tells the old target, and B removes the mention', async () => {
    const { micropub } = a.server.context
    const mention = await micropub.create('entry', { content: [`Have a look at [this](${target}).`] }, {})
    await settledOutbox(a, mention.note.id)
    await queueDrained(b)
    expect((await mentionsOf(b, targetId)).some((m) => m.source === mention.location)).toBe(true)
    await micropub.update(mention.location, { replace: { content: ['Never mind.'] }, add: {}, remove: { whole: [], values: {} } })
    const [told] = await settledOutbox(a, mention.note.id)
    expect(told).toMatchObject({ target, state: 'sent' })
    await until('B to drop the mention', async () => !(await mentionsOf(b, targetId)).some((m) => m.source === mention.location))
  })

  it('a note with sending turned off (our own Micropub property) tells nobody', async () => {
    const { micropub, webmention } = a.server.context
    const quiet = await micropub.create('entry', { content: [`Quietly linking [B](${target}).`], 'starpunk-send-webmentions': ['false'] }, {})
    await micropub.update(quiet.location, { replace: { content: [`Still quietly linking [B](${target}).`] }, add: {}, remove: { whole: [], values: {} } })
    expect(await webmention.sender.forNote(quiet.note.id)).toEqual([])
    await queueDrained(b)
    expect((await mentionsOf(b, targetId)).some((m) => m.source === quiet.location)).toBe(false)
  })
})
