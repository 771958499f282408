/// <reference lib="dom" />
// The admin area in a real Chromium with JavaScript OFF (it must work without it): sign in with the
// one-time link, write, edit, unpublish, delete and restore a note through the forms, check the public
// site as a separate visitor, sign out. Then axe (WCAG 2.2 AA) on the admin pages with JavaScript on.
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../test/helpers/server'
import { launchChromium } from './helpers/chromium'

let ts: TestServer
let browser: Browser
let visitor: BrowserContext
// Each test opens its own browser context (own cookies, own page) and makes the notes it needs, so any test
// can run alone or in any order.
const contexts: BrowserContext[] = []

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_ADMIN_ME: 'https://ada.example.com' })
  browser = await launchChromium()
  visitor = await browser.newContext({ javaScriptEnabled: false })
}, 60_000)

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})

afterAll(async () => {
  await browser?.close()
  await ts?.close()
})

/** A fresh admin browser context, JavaScript off, signed out. */
async function adminPage(options: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? false })
  contexts.push(context)
  return { context, page: await context.newPage() }
}

/** A fresh admin browser context, signed in through a one-time link, on the dashboard. */
async function signedInPage(options: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const opened = await adminPage(options)
  await opened.page.goto(await ts.server.context.auth.issueLoginLink())
  expect(new URL(opened.page.url()).pathname).toBe('/admin')
  return opened
}

async function visitorStatus(path: string): Promise<number> {
  const p = await visitor.newPage()
  const res = await p.goto(`${ts.url}${path}`)
  await p.close()
  return res?.status() ?? 0
}

describe('admin area without JavaScript', () => {
  it('sends a visitor to the login page and signs in with the one-time link', async () => {
    const { context, page } = await adminPage()
    await page.goto(`${ts.url}/admin/notes/new`)
    expect(new URL(page.url()).pathname).toBe('/admin/login')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in')
    await page.goto(await ts.server.context.auth.issueLoginLink())
    expect(new URL(page.url()).pathname).toBe('/admin')
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'starpunk_session')
    expect(cookie?.httpOnly).toBe(true)
    expect(cookie?.sameSite).toBe('Lax')
    expect(cookie?.path).toBe('/')
  })

  it('writes a note through the form and shows it on the public site', async () => {
    const { page } = await signedInPage()
    await page.getByRole('link', { name: 'New note', exact: true }).click()
    await page.getByLabel('Content (Markdown)').fill('Written in **Chromium** without scripts')
    await page.getByLabel('Tags (comma-separated)').fill('Browser, Tests')
    await page.getByLabel('Custom slug (optional)').fill('from-chromium')
    await page.getByRole('button', { name: 'Create' }).click()
    expect(new URL(page.url()).pathname).toBe('/admin/notes/from-chromium/edit')
    expect(await page.getByRole('status').textContent()).toBe('Note created.')
    expect(await visitorStatus('/notes/from-chromium')).toBe(200)
  })

  it('keeps what was typed when the form is invalid', async () => {
    const { page } = await signedInPage()
    await page.goto(`${ts.url}/admin/notes/new`)
    await page.getByLabel('Content (Markdown)').fill('Tags with a slash are refused')
    await page.getByLabel('Tags (comma-separated)').fill('good, bad/tag')
    await page.getByRole('button', { name: 'Create' }).click()
    expect(await page.getByRole('alert').textContent()).toContain('slash')
    expect(await page.getByLabel('Content (Markdown)').inputValue()).toBe('Tags with a slash are refused')
    expect(await page.getByLabel('Tags (comma-separated)').inputValue()).toBe('good, bad/tag')
  })

  it('edits, unpublishes, publishes, deletes and restores from the dashboard', async () => {
    const { slug } = await ts.server.context.notes.create({ content: 'To be edited in Chromium', slug: 'edited-in-chromium' })
    const { page } = await signedInPage()
    await page.goto(`${ts.url}/admin/notes/${slug}/edit`)
    await page.getByLabel('Content (Markdown)').fill('Edited in Chromium')
    await page.getByRole('button', { name: 'Save' }).click()
    expect(await page.getByRole('status').textContent()).toBe('Note saved.')
    expect((await ts.server.context.notes.get(slug))?.content).toBe('Edited in Chromium')

    await page.goto(`${ts.url}/admin`)
    const row = page.locator(`tr[data-slug="${slug}"]`)
    await row.getByRole('button', { name: 'Unpublish' }).click()
    expect(await page.getByRole('status').textContent()).toBe('Note moved to drafts.')
    expect(await visitorStatus(`/notes/${slug}`)).toBe(404)
    await row.getByRole('button', { name: 'Publish' }).click()
    expect(await visitorStatus(`/notes/${slug}`)).toBe(200)

    await row.getByRole('button', { name: 'Delete' }).click()
    expect(await page.getByRole('status').textContent()).toBe('Note moved to the trash.')
    // Gone, not unknown: sites that showed a reply to it or a mention of it drop theirs.
    expect(await visitorStatus(`/notes/${slug}`)).toBe(410)
    await page.getByRole('link', { name: 'Trash' }).click()
    await page.locator(`tr[data-slug="${slug}"]`).getByRole('button', { name: 'Restore' }).click()
    expect(await page.getByRole('status').textContent()).toBe('Note restored.')
    expect(await visitorStatus(`/notes/${slug}`)).toBe(200)
  }, 180_000)

  it('signs out, and the admin area is closed again', async () => {
    const { context, page } = await signedInPage()
    await page.getByRole('button', { name: 'Sign out' }).click()
    expect(new URL(page.url()).pathname).toBe('/admin/login')
    expect((await context.cookies()).some((c) => c.name === 'starpunk_session')).toBe(false)
    await page.goto(`${ts.url}/admin`)
    expect(new URL(page.url()).pathname).toBe('/admin/login')
  })
})

describe('admin pages accessibility', () => {
  it('has no WCAG 2.2 AA violations on the dashboard, the note form, the trash and the login page', async () => {
    const { slug } = await ts.server.context.notes.create({ content: 'Checked by axe', tags: ['Accessibility'], slug: 'checked-by-axe' })
    const { page: p } = await adminPage({ javaScriptEnabled: true })
    await p.goto(`${ts.url}/admin/login`)
    const pages = ['/admin/login']
    await p.goto(await ts.server.context.auth.issueLoginLink())
    expect(new URL(p.url()).pathname).toBe('/admin')
    pages.push('/admin', '/admin/notes/new', '/admin?view=trash', `/admin/notes/${slug}/edit`)
    for (const path of pages) {
      await p.goto(`${ts.url}${path}`)
      const result = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
      expect(result.violations.map((v) => `${path}: ${v.id}: ${v.help}`)).toEqual([])
    }
  }, 240_000)
})
