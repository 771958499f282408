import { afterEach, describe, expect, it } from 'vitest'
import { loginAsAdmin } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { loginUrl, safeNext } from './redirect'

/** Tricks that a naive "starts with one slash" check lets through, or that normalise into another host. */
const HOSTILE = [
  '/.//evil.example/x',
  '/%2e//evil.example/x',
  '/%2E//evil.example/x',
  '/..//evil.example/x',
  '/%2e%2e//evil.example/x',
  '/.%2e//evil.example/x',
  '/a/..//evil.example/x',
  '/a/../..//evil.example/x',
  '/././/evil.example/x',
  '/.///evil.example/x',
  '//evil.example/x',
  '///evil.example/x',
  '/\\evil.example/x',
  '\\/evil.example/x',
  '/.\\evil.example/x',
  '/\t/evil.example/x',
  '/\n/evil.example/x',
  '/\r/evil.example/x',
  '/\u0000/evil.example',
  ' //evil.example/x',
  '\t//evil.example/x',
  'https://evil.example/x',
  'HTTPS://evil.example/x',
  'http:evil.example',
  'http:/evil.example',
  'javascript:alert(1)',
  'data:text/html,x',
  'evil.example/x',
  '',
]

/** What a browser makes of a Location or href value on our own site. */
function resolvedOrigin(value: string): string {
  return new URL(value, 'https://blog.example/admin/login').origin
}

describe('safeNext', () => {
  it('never returns anything a browser resolves to another origin', () => {
    for (const hostile of HOSTILE) {
      const result = safeNext(hostile)
      expect(result, JSON.stringify(hostile)).toBe('/admin')
    }
  })

  it('keeps same-site paths, normalised, and keeps encoded characters encoded', () => {
    expect(safeNext('/admin/notes/new')).toBe('/admin/notes/new')
    expect(safeNext('/admin?view=trash')).toBe('/admin?view=trash')
    expect(safeNext('/admin/./notes/../notes/new')).toBe('/admin/notes/new')
    expect(safeNext('/admin/notes/a%2Fb/edit')).toBe('/admin/notes/a%2Fb/edit')
    // Encoded slashes and backslashes stay encoded: a browser does not decode them in a path.
    expect(safeNext('/%2f%2fevil.example')).toBe('/%2f%2fevil.example')
    expect(safeNext('/%5cevil.example')).toBe('/%5cevil.example')
    expect(safeNext('/admin#top')).toBe('/admin#top')
  })

  it('every result, for a spread of mixed inputs, stays on our origin and is stable', () => {
    const pieces = ['/', '.', '..', '%2e', '%2E', '\\', '%2f', '%5c', 'evil.example', '?', '#', '\t']
    // All strings of up to four pieces: a cheap exhaustive search around the known tricks.
    let inputs = ['']
    for (let depth = 0; depth < 4; depth++) inputs = inputs.flatMap((prefix) => pieces.map((p) => prefix + p))
    for (const input of inputs) {
      const result = safeNext(input)
      expect(resolvedOrigin(result), JSON.stringify(input)).toBe('https://blog.example')
      expect(result.startsWith('/') && !result.startsWith('//') && !result.startsWith('/\\'), JSON.stringify(input)).toBe(true)
      expect(safeNext(result), JSON.stringify(input)).toBe(result)
    }
  })

  it('the login address built for a hostile path carries no hostile next', () => {
    expect(loginUrl('/.//evil.example/x')).toBe('/admin/login')
    expect(loginUrl('/%2e//evil.example/x')).toBe('/admin/login')
  })
})

describe('redirects after sign-in', () => {
  let ts: TestServer | null = null
  afterEach(async () => {
    await ts?.close()
    ts = null
  })

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${ts!.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html', ...headers } })

  it('the 303 from a one-time link never leaves the site, whatever next normalises to', async () => {
    ts = await startTestServer()
    for (const hostile of ['/.//evil.example/x', '/%2e//evil.example/x', '/..//evil.example/x', '/\\evil.example/x', '/\t/evil.example/x']) {
      const link = new URL(await ts.server.context.auth.issueLoginLink())
      const res = await get(`${link.pathname}${link.search}&next=${encodeURIComponent(hostile)}`)
      expect(res.status, hostile).toBe(303)
      const location = res.headers.get('location') ?? ''
      expect(location, hostile).toBe('/admin')
      expect(new URL(location, ts.url).origin).toBe(new URL(ts.url).origin)
    }
  })

  it('the signed-in "Continue" link and the form field never point off-site', async () => {
    ts = await startTestServer({ STARPUNK_ADMIN_ME: 'https://me.example' })
    const admin = await loginAsAdmin(ts)
    for (const hostile of ['/.//evil.example/x', '/%2e//evil.example/x', '/a/../..//evil.example/x']) {
      const page = await (await get(`/admin/login?next=${encodeURIComponent(hostile)}`, { cookie: admin.cookie })).text()
      expect(page, hostile).toContain('<a href="/admin">Continue</a>')
      expect(page, hostile).toContain('name="next" value="/admin"')
      expect(page, hostile).not.toContain('evil.example')
    }
    const kept = await (await get(`/admin/login?next=${encodeURIComponent('/admin/notes/new')}`, { cookie: admin.cookie })).text()
    expect(kept).toContain('<a href="/admin/notes/new">Continue</a>')
  })
})
