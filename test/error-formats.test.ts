import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from './helpers/server'

// Each capability's router states the error format of its own paths; the error handler knows none of them.
// Programs' endpoints answer JSON even to a client that asks for HTML; pages still negotiate.
describe('error formats stated by the routers', () => {
  let ts: TestServer
  beforeAll(async () => {
    ts = await startTestServer()
  })
  afterAll(async () => {
    await ts?.close()
  })

  const html = { accept: 'text/html' }

  it.each([
    ['/api/search/nothing', 404, 'NOT_FOUND'],
    ['/micropub/nothing', 404, 'NOT_FOUND'],
    // The console API asks for a session before anything else.
    ['/admin/console/api/x', 401, 'UNAUTHORIZED'],
    ['/indieauth/token/x', 404, 'NOT_FOUND'],
    ['/indieauth/revoke/x', 404, 'NOT_FOUND'],
    ['/.well-known/nothing', 404, 'NOT_FOUND'],
    ['/health/nope', 404, 'NOT_FOUND'],
  ] as const)(
    '%s: %i in JSON with the request ID, whatever the Accept',
    async (path, status, code) => {
      const res = await fetch(ts.url + path, { headers: html, redirect: 'manual' })
      expect(res.status).toBe(status)
      expect(res.headers.get('content-type')).toContain('application/json')
      const body = (await res.json()) as { error: { code: string; request_id: string } }
      expect(body.error.code).toBe(code)
      expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
    },
  )

  it('the console API refuses a browser without a session with a 401 JSON, not a redirect', async () => {
    const res = await fetch(`${ts.url}/admin/console/api/session`, { headers: html, redirect: 'manual' })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED')
  })

  it('pages still negotiate: HTML for browsers, JSON for JSON clients; admin pages redirect to sign-in', async () => {
    const page = await fetch(`${ts.url}/no-such-page`, { headers: html })
    expect(page.status).toBe(404)
    expect(page.headers.get('content-type')).toContain('text/html')
    const json = await fetch(`${ts.url}/no-such-page`, { headers: { accept: 'application/json' } })
    expect(json.headers.get('content-type')).toContain('application/json')
    const admin = await fetch(`${ts.url}/admin/tokens`, { headers: html, redirect: 'manual' })
    expect(admin.status).toBe(303)
    expect(admin.headers.get('location')).toContain('/admin/login')
  })
})
