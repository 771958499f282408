/// <reference lib="dom" />
// Two real StarPunk servers on loopback; A replies to a note of B's. B's author moderates it in a real
// Chromium (JavaScript off): the badge in the admin navigation, the queue at /admin/webmentions, Approve;
// then a visitor sees the reply on the note page as a p-comment h-cite. Then axe on the queue page.
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queueDrained, settledOutbox } from '../test/helpers/conversation'
import { OUTBOUND_TEST_ENV, startTestServer, type TestServer } from '../test/helpers/server'
import { launchChromium } from './helpers/chromium'

let a: TestServer
let b: TestServer
let browser: Browser
let target: string

beforeAll(async () => {
  ;[a, b] = await Promise.all([
    startTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_AUTHOR_NAME: 'Alice' }),
    startTestServer({ ...OUTBOUND_TEST_ENV, STARPUNK_AUTHOR_NAME: 'Bob', STARPUNK_ADMIN_ME: 'https://bob.example.com' }),
  ])
  browser = await launchChromium()
  target = (await b.server.context.micropub.create('entry', { content: ['Replies welcome.'] }, {})).location
  const reply = await a.server.context.micropub.create('entry', { content: ['Here is my reply, from my own site.'], 'in-reply-to': [target] }, {})
  await settledOutbox(a, reply.note.id)
  await queueDrained(b)
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([a?.close(), b?.close()])
})

describe('Webmention moderation in the admin', () => {
  it('the held reply is badged, listed, approved with the form, then shown to visitors', async () => {
    const visitor = await browser.newContext({ javaScriptEnabled: false })
    const visitorPage = await visitor.newPage()
    await visitorPage.goto(target)
    expect(await visitorPage.locator('.p-comment.h-cite').count()).toBe(0)

    const admin = await browser.newContext({ javaScriptEnabled: false })
    const page = await admin.newPage()
    await page.goto(await b.server.context.auth.issueLoginLink())
    const badge = page.locator('nav.admin-nav .badge')
    expect(await badge.textContent()).toBe('1')
    await page.locator('nav.admin-nav').getByRole('link', { name: /Webmentions/ }).click()
    expect(new URL(page.url()).pathname).toBe('/admin/webmentions')
    const item = page.locator('.mention-item')
    expect(await item.count()).toBe(1)
    expect(await item.textContent()).toContain('Here is my reply, from my own site.')
    expect(await item.textContent()).toContain('Alice')
    await item.getByRole('button', { name: 'Approve' }).click()
    expect(await page.getByRole('status').textContent()).toContain('Mention approved')
    expect(await page.locator('nav.admin-nav .badge').count()).toBe(0)
    expect(await page.locator('[data-count="approved"]').textContent()).toContain('1 shown')

    await visitorPage.goto(target)
    const comment = visitorPage.locator('.p-comment.h-cite')
    expect(await comment.count()).toBe(1)
    expect(await comment.textContent()).toContain('Here is my reply, from my own site.')
    await visitor.close()

    // Block a domain through the form: it is listed, and its mentions are gone.
    await page.goto(`${b.url}/admin/webmentions?view=approved`)
    await page.locator('.mention-item').getByRole('button', { name: /^Block / }).click()
    expect(await page.getByRole('status').textContent()).toContain('Domain blocked')
    expect(await page.locator('.blocked-domains code').textContent()).toBe('127.0.0.1')
    expect(await page.locator('[data-count="approved"]').textContent()).toContain('0 shown')
    await admin.close()
  })

  it('the queue page passes axe (WCAG 2.2 AA)', async () => {
    const admin = await browser.newContext()
    const page = await admin.newPage()
    await page.goto(await b.server.context.auth.issueLoginLink())
    await page.goto(`${b.url}/admin/webmentions`)
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
    expect(results.violations.map((v) => v.id)).toEqual([])
    await admin.close()
  })
})
