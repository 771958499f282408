/// <reference lib="dom" />
// The admin area in a real Chromium with JavaScript OFF (it must work without it): sign in with the
// one-time link, write, edit, unpublish, delete and restore a note through the forms, check the public
// site as a separate visitor, sign out. Then axe (WCAG 2.2 AA) on the admin pages with JavaScript on.
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../test/helpers/server'
import { launchChromium } from './helpers/chromium'

let ts: TestServer
let browser: Browser
let admin: BrowserContext
let page: Page
let visitor: BrowserContext

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_ADMIN_ME: 'https://ada.example.com' })
  browser = await launchChromium()
  admin = await browser.newContext({ javaScriptEnabled: false })
  visitor = await browser.newContext({ javaScriptEnabled: false })
  page = await admin.newPage()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await ts?.close()
})

async function visitorStatus(path: string): Promise<number> {
  const p = await visitor.newPage()
  const res = await p.goto(`${ts.url}${path}`)
  await p.close()
  return res?.status() ?? 0
}

describe('admin area without JavaScript', () => {
  it('sends a visitor to the login page and signs in with the one-time link', async () => {
    await page.goto(`${ts.url}/admin/notes/new`)
    expect(new URL(page.url()).pathname).toBe('/admin/login')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in')
    await page.goto(await ts.server.context.auth.issueLoginLink())
    expect(new URL(page.url()).pathname).toBe('/admin')
    const [cookie] = (await admin.cookies()).filter((c) => c.name === 'starpunk_session')
    expect(cookie?.httpOnly).toBe(true)
    expect(cookie?.sameSite).toBe('Lax')
    expect(cookie?.path).toBe('/')
  })

  it('writes a note through the form and shows it on the public site', async () => {
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
    await page.goto(`${ts.url}/admin/notes/new`)
    await page.getByLabel('Content (Markdown)').fill('Tags with a slash are refused')
    await page.getByLabel('Tags (comma-separated)').fill('good, bad/tag')
    await page.getByRole('button', { name: 'Create' }).click()
    expect(await page.getByRole('alert').textContent()).toContain('slash')
    expect(await page.getByLabel('Content (Markdown)').inputValue()).toBe('Tags with a slash are refused')
    expect(await page.getByLabel('Tags (comma-separated)').inputValue()).toBe('good, bad/tag')
  })

  it('edits, unpublishes, publishes, deletes and restores from the dashboard', async () => {
    await page.goto(`${ts.url}/admin/notes/from-chromium/edit`)
    await page.getByLabel('Content (Markdown)').fill('Edited in Chromium')
    await page.getByRole('button', { name: 'Save' }).click()
    expect(await page.getByRole('status').textContent()).toBe('Note saved.')
    expect((await ts.server.context.notes.get('from-chromium'))?.content).toBe('Edited in Chromium')

    await page.goto(`${ts.url}/admin`)
    const row = page.locator('tr[data-slug="from-chromium"]')
    await row.getByRole('button', { name: 'Unpublish' }).click()
    expect(await page.getByRole('status').textContent()).toBe('Note moved to drafts.')
    expect(await visitorStatus('/notes/from-chromium')).toBe(404)
    await row.getByRole('button', { name: 'Publish' }).click()
    expect(await visitorStatus('/notes/from-chromium')).toBe(200)

    await row.getByRole('button', { name: 'Delete' }).click()
    expect(await page.getByRole('status').textContent()).toBe('Note moved to the trash.')
    expect(await visitorStatus('/notes/from-chromium')).toBe(404)
    await page.getByRole('link', { name: 'Trash' }).click()
    await page.locator('tr[data-slug="from-chromium"]').getByRole('button', { name: 'Restore' }).click()
    expect(await page.getByRole('status').textContent()).toBe('Note restored.')
    expect(await visitorStatus('/notes/from-chromium')).toBe(200)
  }, 180_000)

  it('signs out, and the admin area is closed again', async () => {
    await page.goto(`${ts.url}/admin`)
    await page.getByRole('button', { name: 'Sign out' }).click()
    expect(new URL(page.url()).pathname).toBe('/admin/login')
    expect((await admin.cookies()).some((c) => c.name === 'starpunk_session')).toBe(false)
    await page.goto(`${ts.url}/admin`)
    expect(new URL(page.url()).pathname).toBe('/admin/login')
  })
})

describe('admin pages accessibility', () => {
  it('has no WCAG 2.2 AA violations on the dashboard, the note form, the trash and the login page', async () => {
    const context = await browser.newContext()
    const p = await context.newPage()
    await p.goto(`${ts.url}/admin/login`)
    const pages = ['/admin/login']
    await p.goto(await ts.server.context.auth.issueLoginLink())
    pages.push('/admin', '/admin/notes/new', '/admin?view=trash', '/admin/notes/from-chromium/edit')
    for (const path of pages) {
      await p.goto(`${ts.url}${path}`)
      const result = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
      expect(result.violations.map((v) => `${path}: ${v.id}: ${v.help}`)).toEqual([])
    }
    await context.close()
  }, 240_000)
})
