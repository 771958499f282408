// Signing in to the admin area with IndieAuth, in a real Chromium: the login form's POST answers 303 to the
// IndieAuth server (another origin), which helmet's `form-action 'self'` on the login page would block.
// The identity site and its IndieAuth server are one real HTTP server on loopback.
import { createServer as createHttpServer, type Server } from 'node:http'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OUTBOUND_TEST_ENV, startTestServer, type TestServer } from '../test/helpers/server'
import { launchChromium } from './helpers/chromium'

let ts: TestServer
let browser: Browser
let page: Page
let identity: Server
let identityUrl: string
let discoveries = 0
const cspViolations: string[] = []

beforeAll(async () => {
  identity = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    res.setHeader('content-type', 'text/html; charset=utf-8')
    if (url.pathname === '/auth') {
      res.end('<!doctype html><title>IndieAuth server</title><h1>Authorize StarPunk?</h1>')
      return
    }
    discoveries++
    res.end(`<!doctype html><title>Ada</title><link rel="authorization_endpoint" href="/auth"><link rel="token_endpoint" href="/token">`)
  })
  await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve))
  identityUrl = `http://127.0.0.1:${(identity.address() as { port: number }).port}/`
  ts = await startTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_ADMIN_ME: identityUrl })
  browser = await launchChromium()
  const context = await browser.newContext({ javaScriptEnabled: false })
  page = await context.newPage()
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text())
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await ts?.close()
  await new Promise<void>((resolve) => (identity ? identity.close(() => resolve()) : resolve()))
})

describe('admin login with IndieAuth in Chromium', () => {
  it('clicks "Sign in with IndieAuth" and lands on the IndieAuth server with the authorization request', async () => {
    await page.goto(`${ts.url}/admin/login?next=/admin/tokens`)
    await Promise.all([page.waitForURL((url) => url.href.startsWith(`${identityUrl}auth`)), page.getByRole('button', { name: 'Sign in with IndieAuth' }).click()])
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Authorize StarPunk?')
    const request = new URL(page.url())
    expect(request.searchParams.get('client_id')).toBe(`${ts.url}/`)
    expect(request.searchParams.get('redirect_uri')).toBe(`${ts.url}/admin/login/callback`)
    expect(request.searchParams.get('code_challenge_method')).toBe('S256')
    expect(request.searchParams.get('state')).toBeTruthy()
    expect(cspViolations).toEqual([])
  })

  it('widens form-action on the login page to exactly that server, and discovers it once for many page views', async () => {
    const before = discoveries
    for (let i = 0; i < 5; i++) {
      const res = await page.goto(`${ts.url}/admin/login`)
      const policy = (await res!.allHeaders())['content-security-policy'] ?? ''
      expect(policy.split(';').find((d) => d.trim().startsWith('form-action'))!.trim()).toBe(`form-action 'self' ${new URL(identityUrl).origin}`)
    }
    // Page views are answered from what was discovered: a visitor cannot make us fetch ADMIN_ME over and over.
    expect(discoveries - before).toBe(0)
  })
})
