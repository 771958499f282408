// Public pages seen with a real admin session (one-time login link over HTTP, real cookie): drafts and the
// trash are visible with markers, responses are private and never come from (or fill) the visitor cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from './helpers/admin'
import { startTestServer, type TestServer } from './helpers/server'

let ts: TestServer
let admin: AdminLogin

beforeAll(async () => {
  ts = await startTestServer()
  const notes = ts.server.context.notes
  await notes.create({ content: 'Visible to all' })
  await notes.create({ content: 'Draft for the admin', published: false })
  await notes.create({ content: 'In the trash' })
  await notes.remove('in-the-trash')
  admin = await loginAsAdmin(ts)
})
afterAll(async () => {
  await ts.close()
})

const asAdmin = (extra: Record<string, string> = {}) => ({ headers: { cookie: admin.cookie, ...extra } })

describe('public pages with a real admin session', () => {
  it('shows drafts and trashed notes to the admin only, marked', async () => {
    expect((await fetch(`${ts.url}/notes/draft-for-the-admin`)).status).toBe(404)
    const draft = await fetch(`${ts.url}/notes/draft-for-the-admin`, asAdmin())
    expect(draft.status).toBe(200)
    const body = await draft.text()
    expect(body).toContain('<span class="marker">draft</span>')
    expect(body).toContain('href="/admin/notes/draft-for-the-admin/edit"')
    const gone = await fetch(`${ts.url}/notes/in-the-trash`)
    expect(gone.status).toBe(410)
    // Never kept by a browser or proxy: restoring the note brings it back for readers at once.
    expect(gone.headers.get('cache-control')).toBe('no-store')
    expect(await (await fetch(`${ts.url}/notes/in-the-trash`, asAdmin())).text()).toContain('<span class="marker">deleted</span>')
  })

  it('keeps visitor and admin responses apart in every cache', async () => {
    const visitor = await fetch(`${ts.url}/`)
    const etag = visitor.headers.get('etag')!
    expect(await visitor.text()).not.toContain('Draft for the admin')
    const adminHome = await fetch(`${ts.url}/`, asAdmin({ 'if-none-match': etag }))
    expect(adminHome.status).toBe(200)
    expect(adminHome.headers.get('cache-control')).toBe('private, no-store')
    expect(await adminHome.text()).toContain('Draft for the admin')
    const visitorAgain = await fetch(`${ts.url}/`, { headers: { 'if-none-match': etag } })
    expect(visitorAgain.status).toBe(304)
    // Feeds never carry drafts, whoever asks.
    expect(await (await fetch(`${ts.url}/feed.json`, asAdmin())).text()).not.toContain('Draft for the admin')
  })
})
