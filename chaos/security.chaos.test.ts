/**
 * Security checks on a real server process: what a visitor without credentials gets, headers on every page,
 * cookie flags, CSRF, login rate limit, and the listening address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { newDataDir, startServer, type ServerProcess } from './harness/process'
import { request } from './harness/http'
import { recordSecret } from './harness/secrets'
import { findLeaks } from './harness/leaks'

const HEALTH_TOKEN = 'chaos-health-token-9f2c4e7a1b'
let server: ServerProcess
/** The admin session cookie (name=value) from the one-time link, for the CSRF check. */
let sessionCookie = ''

beforeAll(async () => {
  recordSecret('health token', HEALTH_TOKEN)
  server = await startServer({ dataDir: newDataDir('security'), setup: true, env: { STARPUNK_HEALTH_TOKEN: HEALTH_TOKEN } })
  recordSecret('personal token', server.token)
  recordSecret('login link', server.loginLink)
})
afterAll(async () => {
  await server?.stop()
})

/** Every kind of page a visitor or the admin can load. */
const PAGES = ['/', '/search?q=hello', '/feed.rss', '/feed.atom', '/feed.json', '/opml.xml', '/tags/none', '/notes/does-not-exist', '/admin', '/admin/login', '/admin/console/', '/health', '/health/ready', '/micropub', '/no/such/page']

describe('listening address', () => {
  it('binds 127.0.0.1 only by default (no wildcard listener)', () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1')
    const port = new URL(server.url).port
    // The kernel's own table of listening sockets (/proc/net/tcp and tcp6, no tool needed): every listener
    // on the port must be 127.0.0.1, never 0.0.0.0 or ::.
    const portHex = Number(port).toString(16).toUpperCase().padStart(4, '0')
    const listeners = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        // local_address is HEXIP:HEXPORT; state 0A is LISTEN.
        .filter((cols) => cols[1]?.endsWith(`:${portHex}`) && cols[3] === '0A')
        .map((cols) => cols[1]!.split(':')[0]!),
    )
    expect(listeners.length).toBeGreaterThan(0)
    // 127.0.0.1 as the kernel writes it (little-endian) in /proc/net/tcp.
    expect(listeners).toEqual(listeners.map(() => '0100007F'))
  })
})

describe('detailed health and the console need credentials', () => {
  it('/health/ready without the token gives only the status, no checks, versions or paths', async () => {
    const reply = await request(server.url, '/health/ready')
    // A fresh server on a healthy data dir is ready.
    expect(reply.status).toBe(200)
    const body = JSON.parse(reply.text) as Record<string, unknown>
    expect(Object.keys(body)).toEqual(['status'])
  })
  it('/health/ready with a wrong token is still the basic form', async () => {
    const reply = await request(server.url, '/health/ready', { headers: { authorization: 'Bearer wrong-token-value' } })
    expect(Object.keys(JSON.parse(reply.text) as object)).toEqual(['status'])
  })
  it('/health/ready with the health token gives the detailed form with component checks', async () => {
    const reply = await request(server.url, '/health/ready', { headers: { authorization: `Bearer ${HEALTH_TOKEN}` } })
    const body = JSON.parse(reply.text) as { status: string; checks?: Record<string, unknown> }
    expect(body.checks).toBeDefined()
    expect(Object.keys(body.checks ?? {})).toEqual(expect.arrayContaining([expect.stringMatching(/^database/)]))
  })
  it('the console API refuses a visitor with 401 and the request ID', async () => {
    for (const path of ['/admin/console/api/overview', '/admin/console/api/config', '/admin/console/api/logs', '/admin/console/api/events']) {
      const reply = await request(server.url, path, { headers: { accept: 'application/json' } })
      expect(reply.status, path).toBe(401)
      expect(reply.headers['x-request-id'], path).toBeTruthy()
      expect(reply.text, path).toContain(String(reply.headers['x-request-id']))
    }
  })
  it('admin pages refuse or redirect a visitor to the login page', async () => {
    for (const path of ['/admin', '/admin/notes/new']) {
      const reply = await request(server.url, path)
      expect([302, 303, 401], path).toContain(reply.status)
      if (reply.status !== 401) expect(String(reply.headers.location), path).toMatch(/\/admin\/login/)
    }
  })
})

describe('security headers on every page', () => {
  for (const path of PAGES) {
    it(path, async () => {
      const reply = await request(server.url, path)
      expect(reply.status, path).toBeLessThan(500)
      expect(reply.headers['x-content-type-options']).toBe('nosniff')
      expect(reply.headers['referrer-policy']).toBeTruthy()
      const csp = String(reply.headers['content-security-policy'] ?? '')
      expect(csp).toMatch(/frame-ancestors '(none|self)'/)
      const scriptSrc = /(?:^|;)\s*script-src(?:-elem)? ([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src ([^;]*)/.exec(csp)?.[1] ?? ''
      expect(scriptSrc, `script-src of ${path}`).not.toBe('')
      expect(scriptSrc).not.toContain("'unsafe-inline'")
      expect(scriptSrc).not.toContain("'unsafe-eval'")
      expect(findLeaks(reply.text)).toEqual([])
    })
  }
})

describe('admin session, CSRF and login rate limit', () => {
  it('the one-time login link signs in with a hardened session cookie, and works only once', async () => {
    expect(server.loginLink, 'the auth capability must issue a one-time login link').toBeTruthy()
    const link = new URL(server.loginLink!)
    const first = await request(server.url, link.pathname + link.search)
    expect(first.status).toBe(303)
    const cookies = ([] as string[]).concat(first.headers['set-cookie'] ?? [])
    expect(cookies.length).toBeGreaterThan(0)
    const session = cookies.find((c) => !/csrf/i.test(c.split('=')[0] ?? '')) ?? cookies[0]!
    expect(session).toMatch(/;\s*HttpOnly/i)
    expect(session).toMatch(/;\s*SameSite=(Lax|Strict)/i)
    expect(session).toMatch(/;\s*Path=\//i)
    recordSecret('session cookie', session.split(';')[0]!.split('=').slice(1).join('='))
    sessionCookie = session.split(';')[0]!
    const again = await request(server.url, link.pathname + link.search)
    expect(again.headers['set-cookie'] ?? []).not.toEqual(expect.arrayContaining([expect.stringMatching(/;\s*HttpOnly/i)]))
    expect(again.status === 400 || again.status === 410 || again.status === 401 || again.status === 302 || again.status === 303).toBe(true)
    if (again.status === 302 || again.status === 303) expect(String(again.headers.location)).toMatch(/\/admin\/login/)
  })

  it('a state-changing admin form without the CSRF token is rejected with 403 and changes nothing', async () => {
    expect(sessionCookie, 'needs the session from the login-link test').not.toBe('')
    const before = await request(server.url, '/api/search?q=csrfprobe')
    const reply = await request(server.url, '/admin/notes', {
      method: 'POST',
      headers: { cookie: sessionCookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'content=csrfprobe+note&tags=&published=1',
    })
    expect(reply.status).toBe(403)
    const after = await request(server.url, '/api/search?q=csrfprobe')
    expect(after.text).toBe(before.text)
  })

  it('repeated failed logins are rate limited (429 with Retry-After), and the limit names no secret', async () => {
    const statuses: number[] = []
    let limited: Awaited<ReturnType<typeof request>> | null = null
    for (let i = 0; i < 40 && !limited; i++) {
      const reply = await request(server.url, '/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'me=https%3A%2F%2Fattacker.invalid%2F',
      })
      statuses.push(reply.status)
      if (reply.status === 429) limited = reply
    }
    expect(limited, `statuses seen: ${statuses.join(',')}`).not.toBeNull()
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0)
    expect(statuses.some((s) => s >= 500)).toBe(false)
  })
})
