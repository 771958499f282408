// The admin's view of public pages. The auth engineer's loadSession sets res.locals.session; until it is
// wired, a one-line stand-in sets it from a header (only the session's presence matters to these pages).
import { createServer, type Server } from 'node:http'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openNotesFixture, type NotesFixture } from '../notes/testing'
import { publicRoutes } from './public-routes'

let fx: NotesFixture
let server: Server
let base: string

beforeAll(async () => {
  fx = await openNotesFixture()
  const app = express()
  app.use((req, res, next) => {
    res.locals.session = req.headers['x-test-admin'] ? { id: 1, me: 'https://me.example', csrfToken: 't', expiresAt: Date.now() + 60_000 } : null
    next()
  })
  app.use(publicRoutes({ config: fx.config, db: fx.db, notes: fx.notes }))
  app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).end()
  })
  server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  await fx.notes.create({ content: 'Public note' })
  await fx.notes.create({ content: 'Draft note', published: false })
  await fx.notes.create({ content: 'Trashed note' })
  await fx.notes.remove('trashed-note')
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await fx.close()
})

const admin = { 'x-test-admin': '1' }

describe('admin view of public pages', () => {
  it('shows drafts and deleted notes to the admin with visible markers; visitors get 404 and 410', async () => {
    expect((await fetch(`${base}/notes/draft-note`)).status).toBe(404)
    const draft = await fetch(`${base}/notes/draft-note`, { headers: admin })
    expect(draft.status).toBe(200)
    expect(await draft.text()).toContain('<span class="marker">draft</span>')
    expect((await fetch(`${base}/notes/trashed-note`)).status).toBe(410)
    const trashed = await fetch(`${base}/notes/trashed-note`, { headers: admin })
    expect(await trashed.text()).toContain('<span class="marker">deleted</span>')
    const home = await (await fetch(`${base}/`, { headers: admin })).text()
    expect(home).toContain('Draft note')
    expect(home).toContain('Dashboard')
  })

  it('never serves the admin a cached visitor page, and never caches the admin page for visitors', async () => {
    const visitor = await fetch(`${base}/`)
    const visitorEtag = visitor.headers.get('etag')!
    expect(visitor.headers.get('cache-control')).toContain('public')
    expect(visitor.headers.get('vary')).toContain('Cookie')
    expect(await visitor.text()).not.toContain('Draft note')
    // The admin revalidating with the visitor ETag gets a full private page, not a 304.
    const adminPage = await fetch(`${base}/`, { headers: { ...admin, 'if-none-match': visitorEtag } })
    expect(adminPage.status).toBe(200)
    expect(adminPage.headers.get('cache-control')).toBe('private, no-store')
    expect(adminPage.headers.get('last-modified')).toBeNull()
    expect(await adminPage.text()).toContain('Draft note')
    // And the visitor cache was not filled by the admin's request.
    const visitorAgain = await fetch(`${base}/`)
    expect(visitorAgain.headers.get('etag')).toBe(visitorEtag)
    expect(await visitorAgain.text()).not.toContain('Draft note')
  })
})

describe('listing without COUNT', () => {
  it('withTotal: false reports hasMore from one extra row', async () => {
    const page = await fx.notes.list({ limit: 1, offset: 0, withTotal: false, includeDrafts: true })
    expect(page.notes).toHaveLength(1)
    expect(page.hasMore).toBe(true)
    const last = await fx.notes.list({ limit: 5, offset: 0, withTotal: false, includeDrafts: true })
    expect(last.notes).toHaveLength(2)
    expect(last.hasMore).toBe(false)
    expect(last.total).toBe(2)
  })
})
