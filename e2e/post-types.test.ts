// The editor's type selector in a real Chromium: a like (no text) and a reply made through the form, as the
// author would, then read back from their public pages as microformats2.
import { mf2 } from 'microformats-parser'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../test/helpers/server'
import { launchChromium } from './helpers/chromium'

let ts: TestServer
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_ADMIN_ME: 'https://ada.example.com' })
  browser = await launchChromium()
}, 60_000)

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})

afterAll(async () => {
  await browser?.close()
  await ts?.close()
})

async function signedInPage(): Promise<Page> {
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  await page.goto(await ts.server.context.auth.issueLoginLink())
  expect(new URL(page.url()).pathname).toBe('/admin')
  return page
}

async function entryAt(path: string) {
  const url = `${ts.url}${path}`
  const html = await (await fetch(url, { headers: { accept: 'text/html' } })).text()
  return mf2(html, { baseUrl: url }).items.find((item) => item.type?.includes('h-entry'))!
}

describe('post types from the admin editor', () => {
  it('creates a like without text and a reply through the form; their pages carry u-like-of and u-in-reply-to', async () => {
    const page = await signedInPage()
    await page.goto(`${ts.url}/admin/notes/new`)
    await page.selectOption('#note-kind', 'like')
    await page.fill('#note-target', 'https://example.com/a-post-i-like')
    await page.fill('#note-slug', 'form-like')
    await Promise.all([page.waitForURL(/\/admin\/notes\/form-like\/edit/), page.getByRole('button', { name: 'Create' }).click()])
    // The edit form shows the type and target it was saved with.
    expect(await page.inputValue('#note-kind')).toBe('like')
    expect(await page.inputValue('#note-target')).toBe('https://example.com/a-post-i-like')
    const like = await entryAt('/notes/form-like')
    expect((like.properties['like-of']![0] as { value: string }).value).toBe('https://example.com/a-post-i-like')
    expect(like.properties.content).toBeUndefined()

    await page.goto(`${ts.url}/admin/notes/new`)
    await page.selectOption('#note-kind', 'reply')
    await page.fill('#note-target', 'https://example.com/a-question')
    await page.fill('#note-content', 'My answer, from the **form**')
    await page.fill('#note-slug', 'form-reply')
    await Promise.all([page.waitForURL(/\/admin\/notes\/form-reply\/edit/), page.getByRole('button', { name: 'Create' }).click()])
    const reply = await entryAt('/notes/form-reply')
    expect((reply.properties['in-reply-to']![0] as { value: string }).value).toBe('https://example.com/a-question')
    expect((reply.properties.content![0] as { html: string }).html).toContain('<strong>form</strong>')
    expect((await ts.server.context.notes.get('form-reply'))!.postType).toBe('reply')
  })

  it('a like without a target URL is refused on the form, with everything typed kept', async () => {
    const page = await signedInPage()
    await page.goto(`${ts.url}/admin/notes/new`)
    await page.selectOption('#note-kind', 'like')
    await page.fill('#note-content', 'kept text')
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Create' }).click()])
    await page.waitForSelector('#form-error')
    expect(await page.textContent('#form-error')).toContain('needs the URL')
    expect(await page.inputValue('#note-content')).toBe('kept text')
    expect(await page.inputValue('#note-kind')).toBe('like')
  })
})
