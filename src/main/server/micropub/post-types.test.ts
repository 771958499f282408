import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// Every post type through the real endpoint: the type the notes service discovers, the properties as sent
// (q=source), and the refusals that name what is wrong.
describe('Micropub post types', () => {
  let ts: TestServer
  let token: string
  const auth = () => ({ authorization: `Bearer ${token}` })

  async function postJson(properties: Record<string, unknown[]>, type = 'h-entry') {
    return fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ type: [type], properties }),
    })
  }
  async function postForm(fields: Array<[string, string]>) {
    return fetch(`${ts.url}/micropub`, { method: 'POST', headers: auth(), body: new URLSearchParams([['h', 'entry'], ...fields]) })
  }
  async function created(res: Response) {
    expect(res.status).toBe(201)
    const location = res.headers.get('location')!
    const slug = decodeURIComponent(location.split('/notes/')[1]!)
    const note = await ts.server.context.notes.get(slug, { includeDrafts: true })
    return { location, slug, note: note! }
  }
  async function source(url: string) {
    const res = await fetch(`${ts.url}/micropub?q=source&url=${encodeURIComponent(url)}`, { headers: auth() })
    expect(res.status).toBe(200)
    return ((await res.json()) as { properties: Record<string, unknown[]> }).properties
  }

  beforeAll(async () => {
    ts = await startTestServer()
    token = (await ts.server.context.tokens.createPersonal({ name: 'all', scopes: ['create', 'update', 'delete', 'undelete', 'media'], expiresAt: null })).token
  })
  afterAll(async () => {
    await ts.close()
  })

  it('a like without content is created (form-encoded, as Indigenous sends it), with like-of as sent', async () => {
    const { note, location } = await created(await postForm([['like-of', 'https://example.com/their-post']]))
    expect(note.postType).toBe('like')
    expect(note.content).toBe('')
    expect(note.properties['like-of']).toEqual(['https://example.com/their-post'])
    const props = await source(location)
    expect(props['like-of']).toEqual(['https://example.com/their-post'])
    expect(props.content).toBeUndefined()
  })

  it('repost and bookmark with and without content; a like with content keeps it', async () => {
    const repost = await created(await postJson({ 'repost-of': ['https://example.com/a'] }))
    expect(repost.note.postType).toBe('repost')
    const bookmark = await created(await postJson({ 'bookmark-of': ['https://example.com/b'], content: ['Worth reading later'] }))
    expect(bookmark.note.postType).toBe('bookmark')
    expect(bookmark.note.content).toBe('Worth reading later')
    // An embedded h-cite is stored as sent and still names the target.
    const cite = { type: ['h-cite'], properties: { url: ['https://example.com/c'], name: ['Their title'] } }
    const like = await created(await postJson({ 'like-of': [cite], content: ['So true'] }))
    expect(like.note.postType).toBe('like')
    expect(like.note.properties['like-of']).toEqual([cite])
    expect((await source(like.location))['like-of']).toEqual([cite])
  })

  it('a reply and an RSVP (rsvp + in-reply-to, no text needed)', async () => {
    const reply = await created(await postJson({ 'in-reply-to': ['https://example.com/post'], content: ['I agree'] }))
    expect(reply.note.postType).toBe('reply')
    const rsvp = await created(await postForm([['in-reply-to', 'https://example.com/event'], ['rsvp', 'yes']]))
    expect(rsvp.note.postType).toBe('rsvp')
    expect(rsvp.note.properties.rsvp).toEqual(['yes'])
    expect(rsvp.note.properties['in-reply-to']).toEqual(['https://example.com/event'])
  })

  it('an article: name + summary kept, slug from the name, title the name; a Markdown heading alone stays a note', async () => {
    const article = await created(
      await postJson({ name: ['Why SQLite is enough'], summary: ['One file, one writer.'], content: ['Long text about databases and files.'] }),
    )
    expect(article.note.postType).toBe('article')
    expect(article.slug).toBe('why-sqlite-is-enough')
    expect(article.note.title).toBe('Why SQLite is enough')
    expect(article.note.properties.summary).toEqual(['One file, one writer.'])
    const props = await source(article.location)
    expect(props.name).toEqual(['Why SQLite is enough'])
    expect(props.summary).toEqual(['One file, one writer.'])
    const heading = await created(await postJson({ content: ['# A heading\n\nand a body'] }))
    expect(heading.note.postType).toBe('note')
    expect(heading.note.title).toBe('A heading')
    // A name that only repeats the start of the text is a note (Post Type Discovery's prefix rule).
    const prefix = await created(await postJson({ name: ['Just saying'], content: ['Just saying hello'] }))
    expect(prefix.note.postType).toBe('note')
  })

  it('a photo post and a plain note', async () => {
    const photo = await created(await postJson({ photo: ['https://example.com/cat.jpg'], content: ['My cat'] }))
    expect(photo.note.postType).toBe('photo')
    const note = await created(await postJson({ content: ['Just a note'] }))
    expect(note.note.postType).toBe('note')
  })

  it('an update can turn a like into a reply and the type follows; removing the target of a contentless like is refused', async () => {
    const { location, slug } = await created(await postJson({ 'like-of': ['https://example.com/x'] }))
    let res = await fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ action: 'update', url: location, delete: ['like-of'] }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error_description: string }).error_description).toMatch(/needs content/)
    expect((await ts.server.context.notes.get(slug))!.postType).toBe('like')
    res = await fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ action: 'update', url: location, delete: ['like-of'], add: { 'in-reply-to': ['https://example.com/x'], content: ['Replying now'] } }),
    })
    expect(res.status).toBe(204)
    const updated = (await ts.server.context.notes.get(slug))!
    expect(updated.postType).toBe('reply')
    expect(updated.content).toBe('Replying now')
  })

  it('lists notes of one type', async () => {
    const likes = await ts.server.context.notes.list({ limit: 50, offset: 0, postType: 'like' })
    expect(likes.notes.length).toBeGreaterThanOrEqual(2)
    expect(likes.notes.every((n) => n.postType === 'like')).toBe(true)
  })

  it('refuses h-event naming what is supported, a bad rsvp value, an rsvp without in-reply-to, and an empty post', async () => {
    const before = (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n
    const event = await postJson({ name: ['Party'] }, 'h-event')
    expect(event.status).toBe(400)
    const eventBody = (await event.json()) as { error: string; error_description: string }
    expect(eventBody.error).toBe('invalid_request')
    expect(eventBody.error_description).toMatch(/h-event/)
    expect(eventBody.error_description).toMatch(/like/)
    expect(eventBody.error_description).toMatch(/rsvp/)
    const badRsvp = await postForm([['in-reply-to', 'https://example.com/event'], ['rsvp', 'perhaps']])
    expect(badRsvp.status).toBe(400)
    expect(((await badRsvp.json()) as { error_description: string }).error_description).toMatch(/yes, no, maybe, interested/)
    const loneRsvp = await postForm([['rsvp', 'yes']])
    expect(loneRsvp.status).toBe(400)
    const empty = await postJson({})
    expect(empty.status).toBe(400)
    // A like-of that is not an http(s) URL makes no like, so the post still needs text.
    expect((await postJson({ 'like-of': ['javascript:alert(1)'] })).status).toBe(400)
    expect((ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n).toBe(before)
  })

  it('q=config lists every post type', async () => {
    const res = await fetch(`${ts.url}/micropub?q=config`, { headers: auth() })
    const body = (await res.json()) as { 'post-types': Array<{ type: string; name: string }> }
    expect(body['post-types'].map((t) => t.type)).toEqual(['note', 'article', 'photo', 'reply', 'like', 'repost', 'bookmark', 'rsvp'])
  })
})
