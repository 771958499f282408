import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'

// The smallest valid GIF, by its real bytes.
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

describe('GET /media/*', () => {
  let ts: TestServer
  let location: string

  beforeAll(async () => {
    ts = await startTestServer()
    const { token } = await ts.server.context.tokens.createPersonal({ name: 'media', scopes: ['media'], expiresAt: null })
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(GIF)], { type: 'image/gif' }), 'dot.gif')
    const res = await fetch(`${ts.url}/micropub/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
    expect(res.status).toBe(201)
    location = res.headers.get('location')!
  })
  afterAll(async () => {
    await ts.close()
  })

  it('lets feed readers and other sites embed an uploaded photo (Cross-Origin-Resource-Policy: cross-origin)', async () => {
    const served = await fetch(location, { headers: { origin: 'https://reader.example' } })
    expect(served.status).toBe(200)
    expect(served.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
    // Re-encoded by the image pipeline: the same 1×1 GIF picture, not the uploaded bytes.
    expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ format: 'gif', width: 1, height: 1 })
  })

  it('keeps same-origin for everything else (pages and unknown media names)', async () => {
    const home = await fetch(`${ts.url}/`)
    expect(home.headers.get('cross-origin-resource-policy')).toBe('same-origin')
    const missing = await fetch(`${ts.url}/media/00000000-0000-4000-8000-000000000000.gif`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('cross-origin-resource-policy')).toBe('same-origin')
  })
})
