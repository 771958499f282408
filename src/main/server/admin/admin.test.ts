// The admin area end to end over real HTTP with a real session cookie: every form posted as a browser
// without JavaScript would, and the public site checked as a visitor afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { validateHtml } from '../web/html-check'

let ts: TestServer
let admin: AdminLogin

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_ADMIN_ME: 'https://me.example' })
  admin = await loginAsAdmin(ts)
})
afterAll(async () => {
  await ts.close()
})

function asAdmin(path: string): Promise<Response> {
  return fetch(`${ts.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html', cookie: admin.cookie } })
}

function asVisitor(path: string): Promise<Response> {
  return fetch(`${ts.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html' } })
}

function submit(path: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${ts.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: admin.cookie },
    body: new URLSearchParams({ _csrf: admin.csrfToken, ...form }).toString(),
  })
}

describe('admin notes', () => {
  it('the drafts view lists only unpublished notes (not published ones, not the trash)', async () => {
    await ts.server.context.notes.create({ content: 'Draft for the drafts view', slug: 'drafts-view-draft', published: false })
    await ts.server.context.notes.create({ content: 'Published, not a draft', slug: 'drafts-view-published', published: true })
    await ts.server.context.notes.create({ content: 'A draft in the trash', slug: 'drafts-view-trashed', published: false })
    await ts.server.context.notes.remove('drafts-view-trashed')
    const res = await asAdmin('/admin?view=drafts')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<h1>Drafts</h1>')
    expect(html).toContain('data-slug="drafts-view-draft"')
    expect(html).not.toContain('data-slug="drafts-view-published"')
    expect(html).not.toContain('data-slug="drafts-view-trashed"')
    expect(await validateHtml(html)).toEqual([])
    const all = await (await asAdmin('/admin')).text()
    expect(all).toContain('data-slug="drafts-view-published"')
    expect(all).toContain('href="/admin?view=drafts"')
    for (const slug of ['drafts-view-draft', 'drafts-view-published']) await ts.server.context.notes.remove(slug)
    for (const slug of ['drafts-view-draft', 'drafts-view-published', 'drafts-view-trashed']) await ts.server.context.notes.purge(slug)
  })

  it('creates, edits, unpublishes, publishes, deletes and restores a note, and the public site follows', async () => {
    const created = await submit('/admin/notes', { content: 'Hello from the **admin** form', tags: 'IndieWeb, Admin ', slug: 'hello-admin', published: '1' })
    expect(created.status).toBe(303)
    expect(created.headers.get('location')).toBe('/admin/notes/hello-admin/edit?done=created')
    const note = await ts.server.context.notes.get('hello-admin')
    expect(note?.tags).toEqual(['IndieWeb', 'Admin'])
    expect(note?.published).toBe(true)
    let page = await asVisitor('/notes/hello-admin')
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<strong>admin</strong>')

    const editForm = await (await asAdmin('/admin/notes/hello-admin/edit?done=created')).text()
    expect(editForm).toContain('Note created.')
    expect(editForm).toContain('Hello from the **admin** form')
    expect(editForm).toContain('value="IndieWeb, Admin"')

    const edited = await submit('/admin/notes/hello-admin', { content: 'Edited text', tags: 'Admin', published: '1' })
    expect(edited.status).toBe(303)
    expect((await ts.server.context.notes.get('hello-admin'))?.content).toBe('Edited text')
    expect((await ts.server.context.notes.get('hello-admin'))?.tags).toEqual(['Admin'])
    expect(await (await asVisitor('/notes/hello-admin')).text()).toContain('Edited text')

    expect((await submit('/admin/notes/hello-admin/publish', { published: '0' })).headers.get('location')).toBe('/admin?done=unpublished')
    expect((await asVisitor('/notes/hello-admin')).status).toBe(404)
    const dashboard = await (await asAdmin('/admin?done=unpublished')).text()
    expect(dashboard).toContain('Note moved to drafts.')
    expect(dashboard).toMatch(/data-slug="hello-admin".*?<td>Draft<\/td>/s)

    expect((await submit('/admin/notes/hello-admin/publish', { published: '1' })).status).toBe(303)
    expect((await asVisitor('/notes/hello-admin')).status).toBe(200)

    expect((await submit('/admin/notes/hello-admin/delete', {})).headers.get('location')).toBe('/admin?done=deleted')
    // Gone, and saying so: sites that showed a reply to it can drop theirs.
    expect((await asVisitor('/notes/hello-admin')).status).toBe(410)
    expect(await (await asAdmin('/admin')).text()).not.toContain('data-slug="hello-admin"')
    const trash = await (await asAdmin('/admin?view=trash')).text()
    expect(trash).toContain('data-slug="hello-admin"')
    expect(trash).toContain('/admin/notes/hello-admin/restore')

    expect((await submit('/admin/notes/hello-admin/restore', {})).headers.get('location')).toBe('/admin?view=trash&done=restored')
    page = await asVisitor('/notes/hello-admin')
    expect(page.status).toBe(200)
  })

  it('keeps a draft off the public site', async () => {
    const res = await submit('/admin/notes', { content: 'Secret draft', slug: 'secret-draft' })
    expect(res.status).toBe(303)
    expect((await ts.server.context.notes.get('secret-draft', { includeDrafts: true }))?.published).toBe(false)
    expect((await asVisitor('/notes/secret-draft')).status).toBe(404)
    expect(await (await asVisitor('/')).text()).not.toContain('Secret draft')
    expect(await (await asAdmin('/admin')).text()).toContain('Secret draft')
  })

  it('shows validation errors in the form and keeps everything typed', async () => {
    const before = (await ts.server.context.notes.list({ limit: 1, offset: 0, includeDrafts: true, includeDeleted: true })).total
    const res = await submit('/admin/notes', { content: '   ', tags: 'kept, tags', slug: 'kept-slug', published: '1' })
    expect(res.status).toBe(400)
    const body = await res.text()
    expect(body).toContain('role="alert"')
    expect(body).toContain('empty')
    expect(body).toContain('value="kept, tags"')
    expect(body).toContain('value="kept-slug"')
    expect(body).toContain(`value="${admin.csrfToken}"`)
    const badTag = await submit('/admin/notes', { content: 'Text I typed <b>carefully</b>', tags: 'bad/tag' })
    expect(badTag.status).toBe(400)
    const text = await badTag.text()
    expect(text).toContain('Text I typed &lt;b&gt;carefully&lt;/b&gt;')
    expect(text).toContain('slash')
    const after = (await ts.server.context.notes.list({ limit: 1, offset: 0, includeDrafts: true, includeDeleted: true })).total
    expect(after).toBe(before)

    await ts.server.context.notes.create({ content: 'Edit me', slug: 'edit-me' })
    const edit = await submit('/admin/notes/edit-me', { content: '', tags: 'x' })
    expect(edit.status).toBe(400)
    expect(await edit.text()).toContain('role="alert"')
    expect((await ts.server.context.notes.get('edit-me'))?.content).toBe('Edit me')
  })

  it('handles Unicode slugs in admin addresses', async () => {
    const note = await ts.server.context.notes.create({ content: 'Grüße aus Köln', slug: 'grüße-köln' })
    const edit = await asAdmin(`/admin/notes/${encodeURIComponent(note.slug)}/edit`)
    expect(edit.status).toBe(200)
    // The note form is multipart: its CSRF token rides in the query string (checked before the body is read).
    expect(await edit.text()).toContain(`action="/admin/notes/${encodeURIComponent(note.slug)}?_csrf=`)
    const res = await submit(`/admin/notes/${encodeURIComponent(note.slug)}/delete`, {})
    expect(res.status).toBe(303)
    expect((await ts.server.context.notes.get(note.slug, { includeDeleted: true }))?.deletedAt).not.toBeNull()
  })

  it('answers unknown notes with 404, not 500', async () => {
    expect((await asAdmin('/admin/notes/no-such-note/edit')).status).toBe(404)
    expect((await submit('/admin/notes/no-such-note', { content: 'x' })).status).toBe(404)
    expect((await submit('/admin/notes/no-such-note/delete', {})).status).toBe(404)
    expect((await submit('/admin/notes/no-such-note/restore', {})).status).toBe(404)
  })

  it('paginates the note list', async () => {
    const perPage = ts.server.context.config.notesPerPage
    for (let i = 0; i < perPage + 2; i++) await ts.server.context.notes.create({ content: `Bulk note ${i}` })
    const first = await (await asAdmin('/admin')).text()
    expect((first.match(/data-slug=/g) ?? []).length).toBe(perPage)
    expect(first).toContain('rel="next"')
    const second = await (await asAdmin('/admin?page=2')).text()
    expect(second).toContain('Page 2 of')
    expect(second).toContain('rel="prev"')
    expect((await asAdmin('/admin?page=abc')).status).toBe(200)
  })

  it('renders valid HTML on every admin page and the login page', async () => {
    await ts.server.context.notes.create({ content: 'Valid page note', slug: 'valid-page' })
    for (const path of ['/admin', '/admin?view=trash', '/admin/notes/new', '/admin/notes/valid-page/edit']) {
      expect(await validateHtml(await (await asAdmin(path)).text()), path).toEqual([])
    }
    expect(await validateHtml(await (await asVisitor('/admin/login')).text())).toEqual([])
    const invalid = await submit('/admin/notes', { content: '' })
    expect(await validateHtml(await invalid.text())).toEqual([])
  })

  it('links to the console and the tokens page', async () => {
    const page = await (await asAdmin('/admin')).text()
    expect(page).toContain('href="/admin/console/"')
    expect(page).toContain('href="/admin/tokens"')
  })
})
