import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CATALOG } from '../errors'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

describe('Micropub: methods it does not serve, and the published date', () => {
  let ts: TestServer
  let token: string
  const count = () => (ts.server.context.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n

  beforeAll(async () => {
    ts = await startTestServer()
    token = (await ts.server.context.tokens.createPersonal({ name: 'create', scopes: ['create', 'media'], expiresAt: null })).token
  })
  afterAll(async () => {
    await ts.close()
  })

  const post = (properties: Record<string, unknown[]>) =>
    fetch(`${ts.url}/micropub`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: ['h-entry'], properties }),
    })

  it.each([
    ['/micropub', 'PUT', 'GET, POST, HEAD, OPTIONS'],
    ['/micropub', 'DELETE', 'GET, POST, HEAD, OPTIONS'],
    // GET is the media query (q=source); writing methods other than POST are not served.
    ['/micropub/media', 'PUT', 'GET, POST, HEAD, OPTIONS'],
  ])('%s answers %s with the shared 405: Allow header, OAuth-shaped JSON with the request ID', async (path, method, allow) => {
    const res = await fetch(ts.url + path, { method, headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe(allow)
    const body = (await res.json()) as Record<string, unknown>
    expect(body.code).toBe('METHOD_NOT_ALLOWED')
    expect(body.error_description).toBe(`This address does not accept ${method} requests.`)
    expect(body.request_id).toBe(res.headers.get('x-request-id'))
  })

  it('answers OPTIONS with 204 and the methods it serves', async () => {
    const res = await fetch(`${ts.url}/micropub`, { method: 'OPTIONS' })
    expect(res.status).toBe(204)
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS')
  })

  it('takes an RFC 3339 published date with a time zone', async () => {
    const res = await post({ content: ['dated'], published: ['2024-05-01T11:30:00+02:00'] })
    expect(res.status).toBe(201)
    const slug = decodeURIComponent(new URL(res.headers.get('location')!).pathname.split('/').pop()!)
    expect((await ts.server.context.notes.get(slug))?.createdAt).toBe('2024-05-01T09:30:00.000Z')
  })

  it.each([['1'], ['2024-02-30T10:00:00Z'], ['2024-05-01'], ['2024-05-01T10:00:00'], ['May 1, 2024 10:00 UTC']])(
    'refuses published %j with a 400 in the catalog words, saving nothing',
    async (published) => {
      const before = count()
      const res = await post({ content: ['x'], published: [published] })
      expect(res.status).toBe(400)
      const body = (await res.json()) as { code: string; error: string; error_description: string; troubleshooting: string[]; request_id: string }
      expect(body.error).toBe('invalid_request')
      expect(body.code).toBe('MICROPUB_MALFORMED')
      expect(body.error_description).toContain('RFC 3339')
      expect(body.error_description).toContain(published)
      expect(body.troubleshooting).toEqual(ERROR_CATALOG.MICROPUB_MALFORMED.troubleshooting)
      expect(body.request_id).toBe(res.headers.get('x-request-id'))
      expect(count()).toBe(before)
    },
  )
})
