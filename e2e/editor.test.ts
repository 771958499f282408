/// <reference lib="dom" />
// The admin editor in a real Chromium: two photos made with sharp are dropped on the note form (a real drop
// event carrying a DataTransfer of Files), reordered, given alt text and published; the public page and the
// feeds carry both. The same without JavaScript through the plain file input. The live preview, the media
// library, and axe on the editor and the library.
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import sharp from 'sharp'
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

async function signedInPage(javaScriptEnabled: boolean): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled })
  contexts.push(context)
  const page = await context.newPage()
  await page.goto(await ts.server.context.auth.issueLoginLink())
  expect(new URL(page.url()).pathname).toBe('/admin')
  return page
}

interface TestFile {
  name: string
  mimeType: string
  buffer: Buffer
}

async function photo(name: string, width: number, height: number, colour: string): Promise<TestFile> {
  const buffer = await sharp({ create: { width, height, channels: 3, background: colour } })
    .jpeg()
    .toBuffer()
  return { name, mimeType: 'image/jpeg', buffer }
}

/** Drop files on an element the way a file manager does: a drop event whose DataTransfer holds Files. */
async function dropFiles(page: Page, selector: string, files: TestFile[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, type: f.mimeType, base64: f.buffer.toString('base64') }))
  const dataTransfer = await page.evaluateHandle((list) => {
    const transfer = new DataTransfer()
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))
      transfer.items.add(new File([bytes], f.name, { type: f.type }))
    }
    return transfer
  }, payload)
  await page.dispatchEvent(selector, 'dragover', { dataTransfer })
  await page.dispatchEvent(selector, 'drop', { dataTransfer })
}

async function axeSerious(page: Page, label: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${label}: ${v.id}: ${v.help}`)
}

describe('the note editor with JavaScript', () => {
  it('takes two dropped photos, reorders them, takes alt text, publishes; the page and the feeds show both', async () => {
    const page = await signedInPage(true)
    await page.goto(`${ts.url}/admin/notes/new`)
    await page.fill('#note-content', 'Two photos, dropped')
    await page.fill('#note-slug', 'dropped-photos')
    await dropFiles(page, '[data-drop-zone]', [await photo('first.jpg', 900, 600, '#d22'), await photo('second.jpg', 600, 900, '#22d')])
    const rows = page.locator('[data-photo-row="new"]')
    await expect.poll(() => rows.count()).toBe(2)
    // Previews are data: URLs (allowed by the admin's CSP; no blob: needed).
    await expect.poll(() => rows.nth(1).locator('img').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/)
    // Missing alt text warns (and does not block).
    expect(await page.locator('#alt-summary').textContent()).toContain('2 photos have no alt text')
    expect(await rows.nth(0).locator('[data-alt-warning]').isVisible()).toBe(true)
    // The second photo moves up: it is published first.
    await rows.nth(1).getByRole('button', { name: 'Move up' }).click()
    expect(await rows.nth(0).locator('.photo-name').textContent()).toBe('second.jpg')
    await rows.nth(0).getByLabel('Alt text for photo 1').fill('A tall blue picture')
    await rows.nth(1).getByLabel('Alt text for photo 2').fill('A wide red picture')
    expect(await rows.nth(0).locator('[data-alt-warning]').isVisible()).toBe(false)
    expect(await page.locator('#alt-summary').isVisible()).toBe(false)
    // The file input now carries both files, in list order: the submission is the plain multipart form.
    expect(await page.locator('#note-photos').evaluate((input: HTMLInputElement) => Array.from(input.files ?? [], (f: File) => f.name))).toEqual(['second.jpg', 'first.jpg'])
    await Promise.all([page.waitForURL(/\/admin\/notes\/dropped-photos\/edit\?done=created$/), page.getByRole('button', { name: 'Create' }).click()])

    const note = await ts.server.context.notes.get('dropped-photos')
    const photos = (note?.properties.photo ?? []) as Array<{ value: string; alt: string }>
    expect(photos.map((p) => p.alt)).toEqual(['A tall blue picture', 'A wide red picture'])

    // The public page, as a visitor without JavaScript.
    const visitor = await browser.newContext({ javaScriptEnabled: false })
    contexts.push(visitor)
    const publicPage = await visitor.newPage()
    await publicPage.goto(`${ts.url}/notes/dropped-photos`)
    for (const [index, alt] of ['A tall blue picture', 'A wide red picture'].entries()) {
      const img = publicPage.locator(`.h-entry img[alt="${alt}"]`)
      expect(await img.count()).toBe(1)
      const src = (await img.getAttribute('src')) ?? ''
      expect(src).toContain(new URL(photos[index]!.value).pathname.slice(0, '/media/'.length + 36))
      // Responsive variants (the image pipeline): srcset lists width descriptors.
      expect(await img.getAttribute('srcset')).toMatch(/\/media\/[0-9a-f-]{36}-\d+\.jpg \d+w/)
      // The picture really loads.
      expect(await img.evaluate((el: HTMLImageElement) => el.decode().then(() => el.naturalWidth))).toBeGreaterThan(0)
    }
    const rss = await (await fetch(`${ts.url}/feed.rss`)).text()
    const json = (await (await fetch(`${ts.url}/feed.json`)).json()) as { items: Array<{ url: string; content_html: string }> }
    const item = json.items.find((i) => i.url.endsWith('/notes/dropped-photos'))
    expect(item).toBeDefined()
    for (const p of photos) {
      const base = new URL(p.value).pathname.slice(0, '/media/'.length + 36)
      expect(rss).toContain(base)
      expect(item!.content_html).toContain(base)
      expect(item!.content_html).toContain(`alt="${p.alt}"`)
    }
  })

  it('adds a pasted photo, removes one, and the live preview shows the server-rendered Markdown', async () => {
    const page = await signedInPage(true)
    await page.goto(`${ts.url}/admin/notes/new`)
    await dropFiles(page, '[data-drop-zone]', [await photo('keep.jpg', 300, 300, '#0a0')])
    const pasted = await photo('pasted.jpg', 320, 200, '#aa0')
    await page.evaluate((file) => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0))], file.name, { type: 'image/jpeg' }))
      document.querySelector('#note-content')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }))
    }, { name: pasted.name, base64: pasted.buffer.toString('base64') })
    const rows = page.locator('[data-photo-row="new"]')
    await expect.poll(() => rows.count()).toBe(2)
    await rows.nth(0).getByRole('button', { name: 'Remove' }).click()
    expect(await rows.count()).toBe(1)
    expect(await page.locator('#note-photos').evaluate((input: HTMLInputElement) => Array.from(input.files ?? [], (f: File) => f.name))).toEqual(['pasted.jpg'])
    await page.locator('#note-content').pressSequentially('Live **preview** <script>window.previewRan = true</script>')
    await expect.poll(() => page.locator('#note-preview strong').textContent()).toBe('preview')
    expect(await page.locator('#note-preview script').count()).toBe(0)
    expect(await page.evaluate(() => (window as unknown as { previewRan?: boolean }).previewRan)).toBeUndefined()
    await page.fill('#note-slug', 'pasted-photo')
    await rows.nth(0).getByLabel('Alt text for photo 1').fill('A pasted picture')
    await Promise.all([page.waitForURL(/\/admin\/notes\/pasted-photo\/edit/), page.getByRole('button', { name: 'Create' }).click()])
    const note = await ts.server.context.notes.get('pasted-photo')
    expect((note?.properties.photo as Array<{ alt: string }>).map((p) => p.alt)).toEqual(['A pasted picture'])
  })

  it('has no serious accessibility violations on the editor (with photos) and on the media library', async () => {
    const page = await signedInPage(true)
    await page.goto(`${ts.url}/admin/notes/new`)
    await dropFiles(page, '[data-drop-zone]', [await photo('a.jpg', 200, 200, '#333')])
    await expect.poll(() => page.locator('[data-photo-row="new"]').count()).toBe(1)
    const violations = await axeSerious(page, 'editor')
    await page.goto(`${ts.url}/admin/notes/dropped-photos/edit`)
    violations.push(...(await axeSerious(page, 'edit with photos')))
    await page.goto(`${ts.url}/admin/media`)
    expect(await page.locator('.media-item').count()).toBeGreaterThanOrEqual(2)
    violations.push(...(await axeSerious(page, 'media')))
    // Copy URL puts the upload's address on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ts.url })
    const first = page.locator('.media-item').first()
    await first.getByRole('button', { name: 'Copy URL' }).click()
    await expect.poll(() => first.getByRole('button').first().textContent()).toBe('Copied')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await first.locator('input[readonly]').inputValue())
    await page.goto(`${ts.url}/admin/profile`)
    violations.push(...(await axeSerious(page, 'profile')))
    expect(violations).toEqual([])
  })
})

describe('the note editor without JavaScript', () => {
  it('attaches photos with the plain file input, then takes alt text and a new order on the edit page', async () => {
    const page = await signedInPage(false)
    await page.goto(`${ts.url}/admin/notes/new`)
    await page.fill('#note-content', 'Photos without JavaScript')
    await page.fill('#note-slug', 'no-js-photos')
    await page.setInputFiles('#note-photos', [await photo('one.jpg', 400, 300, '#600'), await photo('two.jpg', 300, 400, '#006')])
    await Promise.all([page.waitForURL(/\/admin\/notes\/no-js-photos\/edit\?done=created$/), page.getByRole('button', { name: 'Create' }).click()])
    expect(await page.locator('#alt-summary').textContent()).toContain('2 photos have no alt text')
    await page.getByLabel('Alt text for photo 1').fill('The first one')
    await page.getByLabel('Alt text for photo 2').fill('The second one')
    // Reorder by position numbers.
    await page.locator('#photo-1-position').fill('2')
    await page.locator('#photo-2-position').fill('1')
    await Promise.all([page.waitForURL(/done=updated$/), page.getByRole('button', { name: 'Save' }).click()])
    expect(await page.locator('#alt-summary').count()).toBe(0)
    const note = await ts.server.context.notes.get('no-js-photos')
    expect((note?.properties.photo as Array<{ alt: string }>).map((p) => p.alt)).toEqual(['The second one', 'The first one'])
    // The Preview button is a plain submit: the rendered note shows, nothing is saved.
    await page.fill('#note-content', 'Previewed *only*')
    await page.getByRole('button', { name: 'Preview' }).click()
    expect(await page.locator('#note-preview em').textContent()).toBe('only')
    expect((await ts.server.context.notes.get('no-js-photos'))?.content).toBe('Photos without JavaScript')
    // The media library: the URL is visible, the Copy button needs JavaScript and stays hidden.
    await page.goto(`${ts.url}/admin/media`)
    expect(await page.locator('[data-copy-button]').first().isVisible()).toBe(false)
    expect(await page.locator('.media-item input[readonly]').first().inputValue()).toMatch(/\/media\/[0-9a-f-]{36}\./)
  })
})
