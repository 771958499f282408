/// <reference lib="dom" />
// Public pages in a real Chromium: WCAG 2.2 AA checks with axe in light and dark schemes, no CSP
// violations, the stylesheet applied, and the skip link first in keyboard order.
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../test/helpers/server'
import { launchChromium } from './helpers/chromium'

let ts: TestServer
let browser: Browser
// Every test opens its own context (closed after it, pass or fail): nothing carries from one test to the next.
const contexts: BrowserContext[] = []

async function newContext(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options)
  contexts.push(context)
  return context
}

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_AUTHOR_NAME: 'Ada Lovelace', STARPUNK_ADMIN_ME: 'https://ada.example.com' })
  const notes = ts.server.context.notes
  await notes.create({ content: '# A titled note\n\nWith a [link](https://example.com), `code`, a list:\n\n- one\n- two\n\n> a quote', tags: ['IndieWeb'] })
  await notes.create({ content: 'An untitled short note with a ![picture](https://example.com/a.png)', tags: ['Photos'] })
  browser = await launchChromium()
}, 60_000)

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})

afterAll(async () => {
  await browser?.close()
  await ts?.close()
})

const PAGES = [
  ['home', '/'],
  ['note', '/notes/a-titled-note'],
  ['tag', '/tags/indieweb'],
  ['404', '/notes/nothing-here'],
] as const

describe.each(['light', 'dark'] as const)('%s scheme', (scheme) => {
  it.each(PAGES)('%s page has no WCAG 2.2 AA violations and no CSP errors', async (_name, path) => {
    const page = await (await newContext({ colorScheme: scheme })).newPage()
    const problems: string[] = []
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text())
    })
    // Images from example.com cannot load offline; that is not a page problem.
    await page.route('https://example.com/**', (route) => route.fulfill({ status: 404, body: '' }))
    await page.goto(ts.url + path)
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze()
    const violations = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
    expect(violations).toEqual([])
    expect(problems.filter((p) => !p.includes('404') && !p.includes('Failed to load resource'))).toEqual([])
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(background).toBe(scheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)')
  }, 30_000)
})

describe('keyboard', () => {
  it('the first Tab lands on the skip link, which moves to the main content', async () => {
    const page = await (await newContext()).newPage()
    await page.goto(ts.url + '/')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
    expect(await page.evaluate(() => document.activeElement?.getBoundingClientRect().left ?? -1)).toBeGreaterThanOrEqual(0)
    await page.keyboard.press('Enter')
    expect(page.url()).toMatch(/#main$/)
  }, 30_000)
})
