// Signing in to an app through the built-in IndieAuth provider, in a real Chromium: the consent page's form
// ends in a redirect to the app (another origin), which helmet's `form-action 'self'` would block. The app
// is a real HTTP server on loopback; the browser must land on its redirect_uri with a code it can redeem.
import { createHash, randomBytes } from 'node:crypto'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../test/helpers/server'
import { launchChromium } from './helpers/chromium'

let ts: TestServer
let browser: Browser
let context: BrowserContext
let page: Page
let app: Server
let appUrl: string
const cspViolations: string[] = []

beforeAll(async () => {
  ts = await startTestServer()
  app = createHttpServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8')
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/callback') res.end(`<!doctype html><title>App callback</title><h1>Back in the app</h1>`)
    else res.end('<!doctype html><title>Loopback app</title><div class="h-app"><a class="u-url p-name" href="/">Loopback app</a></div>')
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  appUrl = `http://127.0.0.1:${(app.address() as { port: number }).port}/`
  browser = await launchChromium()
  context = await browser.newContext({ javaScriptEnabled: false })
  page = await context.newPage()
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text())
  })
  // Sign in the way the owner does: the one-time link.
  await page.goto(await ts.server.context.auth.issueLoginLink())
  expect(new URL(page.url()).pathname).toBe('/admin')
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()))
  await ts?.close()
})

function authorizeUrl(state: string, challenge: string): string {
  const url = new URL(`${ts.url}/indieauth/auth`)
  const params = { response_type: 'code', client_id: appUrl, redirect_uri: `${appUrl}callback`, state, code_challenge: challenge, code_challenge_method: 'S256', scope: 'create' }
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url.href
}

describe('IndieAuth consent in Chromium', () => {
  it('clicks Allow and lands on the loopback app with a code that redeems for a token', async () => {
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    await page.goto(authorizeUrl('chromium-state', challenge))
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to an app')
    await Promise.all([page.waitForURL((url) => url.href.startsWith(`${appUrl}callback`)), page.getByRole('button', { name: 'Allow' }).click()])
    const landed = new URL(page.url())
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Back in the app')
    expect(landed.searchParams.get('state')).toBe('chromium-state')
    expect(landed.searchParams.get('iss')).toBe(`${ts.url}/`)
    const code = landed.searchParams.get('code')!
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const token = await fetch(`${ts.url}/indieauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: appUrl, redirect_uri: `${appUrl}callback`, code_verifier: verifier }),
    })
    expect(token.status).toBe(200)
    expect(((await token.json()) as { scope: string }).scope).toBe('create')
    expect(cspViolations).toEqual([])
  })

  it('clicks Deny and lands on the app with access_denied', async () => {
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url')
    await page.goto(authorizeUrl('denied-state', challenge))
    await Promise.all([page.waitForURL((url) => url.href.startsWith(`${appUrl}callback`)), page.getByRole('button', { name: 'Deny' }).click()])
    const landed = new URL(page.url())
    expect(landed.searchParams.get('error')).toBe('access_denied')
    expect(landed.searchParams.get('state')).toBe('denied-state')
    expect(landed.searchParams.get('code')).toBeNull()
    expect(cspViolations).toEqual([])
  })

  it('allows the form to end only at this app: the consent page names its origin, not any other', async () => {
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url')
    const res = await page.goto(authorizeUrl('policy', challenge))
    const policy = (await res!.allHeaders())['content-security-policy'] ?? ''
    const formAction = policy.split(';').find((d) => d.trim().startsWith('form-action'))!.trim()
    expect(formAction).toBe(`form-action 'self' ${new URL(appUrl).origin}`)
  })
})
