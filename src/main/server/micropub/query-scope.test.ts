import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// What a token may read through Micropub queries: a draft's text and a draft's tags are private, so only a
// token that can write posts (create or update) sees them; a media-only token (a photo uploader) does not.
describe('Micropub queries and token scope', () => {
  let ts: TestServer
  let writer: string
  let updateOnly: string
  let mediaOnly: string
  let draftUrl: string
  let publishedUrl: string

  const query = (token: string, q: string) => fetch(`${ts.url}/micropub?${q}`, { headers: { authorization: `Bearer ${token}` } })

  beforeAll(async () => {
    ts = await startTestServer()
    const { tokens } = ts.server.context
    writer = (await tokens.createPersonal({ name: 'writer', scopes: ['create'], expiresAt: null })).token
    updateOnly = (await tokens.createPersonal({ name: 'editor', scopes: ['update'], expiresAt: null })).token
    mediaOnly = (await tokens.createPersonal({ name: 'uploader', scopes: ['media'], expiresAt: null })).token
    const post = (properties: Record<string, unknown>) =>
      fetch(`${ts.url}/micropub`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: ['h-entry'], properties }),
      })
    const draft = await post({ content: ['The secret plan'], category: ['SecretProject'], 'post-status': ['draft'] })
    expect(draft.status).toBe(201)
    draftUrl = draft.headers.get('location')!
    const published = await post({ content: ['Out in the open'], category: ['Sunshine'] })
    expect(published.status).toBe(201)
    publishedUrl = published.headers.get('location')!
  })
  afterAll(async () => {
    await ts.close()
  })

  it('refuses q=source to a media-only token: 403 insufficient_scope, no text of the post in the answer', async () => {
    for (const url of [draftUrl, publishedUrl]) {
      const res = await query(mediaOnly, `q=source&url=${encodeURIComponent(url)}`)
      expect(res.status).toBe(403)
      const text = await res.text()
      expect(text).not.toContain('secret plan')
      expect(text).not.toContain('Out in the open')
      const body = JSON.parse(text) as Record<string, string>
      expect(body.error).toBe('insufficient_scope')
      expect(body.scope).toBe('update')
      expect(body.request_id).toBe(res.headers.get('x-request-id'))
      expect(res.headers.get('www-authenticate')).toContain('insufficient_scope')
    }
  })

  it('answers q=source to tokens that can write posts (create, or update)', async () => {
    for (const token of [writer, updateOnly]) {
      const res = await query(token, `q=source&url=${encodeURIComponent(draftUrl)}`)
      expect(res.status).toBe(200)
      const body = (await res.json()) as { properties: Record<string, unknown[]> }
      expect(body.properties.content).toEqual(['The secret plan'])
    }
  })

  it('lists the tags of drafts only to a token that can write posts', async () => {
    const categories = async (token: string) => {
      const res = await query(token, 'q=category')
      expect(res.status).toBe(200)
      return ((await res.json()) as { categories: string[] }).categories
    }
    expect(await categories(mediaOnly)).toEqual(['Sunshine'])
    expect((await categories(writer)).sort()).toEqual(['SecretProject', 'Sunshine'])
    expect((await categories(updateOnly)).sort()).toEqual(['SecretProject', 'Sunshine'])
    // A prefix filter must not leak a draft's tag either.
    const filtered = await query(mediaOnly, 'q=category&filter=secret')
    expect(((await filtered.json()) as { categories: string[] }).categories).toEqual([])
  })

  it('still answers q=config to a media-only token (it needs the media endpoint)', async () => {
    const res = await query(mediaOnly, 'q=config')
    expect(res.status).toBe(200)
    expect(((await res.json()) as Record<string, unknown>)['media-endpoint']).toBe(`${ts.url}/micropub/media`)
  })
})
