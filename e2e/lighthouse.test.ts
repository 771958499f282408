// Lighthouse (12.2.3, the last release that runs on Node 20) against a real server in Debian's Chromium:
// accessibility and best practices at 100 on the home, note and search pages, SEO at 100 on home and note
// (search pages are noindex on purpose). Performance is left out: it is timing-noisy, and the bench and the
// reverse-proxy tests cover speed and caching. One Lighthouse run per page, three categories only.
import * as chromeLauncher from 'chrome-launcher'
import lighthouse from 'lighthouse'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../test/helpers/server'
import { CHROMIUM_ARGS, findChromium } from './helpers/chromium'

let ts: TestServer
let chrome: chromeLauncher.LaunchedChrome
let noteUrl: string

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_AUTHOR_NAME: 'Ada Lovelace', STARPUNK_SITE_NAME: 'Engine Notes', STARPUNK_AUTHOR_BIO: 'Notes on the analytical engine.' })
  const { media, micropub, notes } = ts.server.context
  const temp = media.tempPath()
  await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#2a6f97' } }).jpeg().toFile(temp)
  const photo = await media.storeTempFile(temp, { declaredType: 'image/jpeg', declaredName: 'engine.jpg' })
  noteUrl = (
    await micropub.create(
      'entry',
      { name: ['The engine room'], content: ['A photo of the engine room, with notes on the gears and the punched cards.'], photo: [{ value: photo.url, alt: 'Blue engine room' }], category: ['engines'] },
      {},
    )
  ).location
  await notes.create({ content: '# Punched cards\n\nHow the cards drive the [loom](/tags/weaving) and the engine.', tags: ['weaving', 'engines'] })
  await notes.create({ content: 'A short untitled note about Bernoulli numbers.', tags: ['maths'] })
  chrome = await chromeLauncher.launch({ chromePath: findChromium(), chromeFlags: CHROMIUM_ARGS, logLevel: 'silent' })
}, 120_000)

afterAll(async () => {
  // chrome-launcher's kill() stops the browser it started (by its own pid) and removes its profile dir.
  chrome?.kill()
  await ts?.close()
})

type Category = 'accessibility' | 'best-practices' | 'seo'

interface Audit {
  id: string
  title: string
  score: number | null
  scoreDisplayMode: string
  details?: { items?: unknown[] }
}

async function audit(url: string): Promise<{ scores: Record<Category, number | null>; failing: string[]; audits: Record<string, Audit> }> {
  const result = await lighthouse(url, { port: chrome.port, logLevel: 'error', output: 'json', onlyCategories: ['accessibility', 'best-practices', 'seo'] })
  if (!result) throw new Error(`Lighthouse returned nothing for ${url}`)
  const { lhr } = result
  if (lhr.runtimeError) throw new Error(`Lighthouse could not load ${url}: ${lhr.runtimeError.message}`)
  const audits = lhr.audits as unknown as Record<string, Audit>
  // Every scored audit below 1, with what it found: the assertion message says what to fix.
  const failing = Object.values(audits)
    .filter((a) => a.scoreDisplayMode !== 'notApplicable' && a.scoreDisplayMode !== 'manual' && a.scoreDisplayMode !== 'informative' && a.score !== null && a.score < 1)
    .map((a) => `${a.id}: ${a.title} ${JSON.stringify(a.details?.items ?? []).slice(0, 400)}`)
  const score = (id: Category) => lhr.categories[id]?.score ?? null
  return { scores: { accessibility: score('accessibility'), 'best-practices': score('best-practices'), seo: score('seo') }, failing, audits }
}

describe('Lighthouse', () => {
  it('home page: accessibility, best practices and SEO at 100, no console errors', async () => {
    const { scores, failing, audits } = await audit(`${ts.url}/`)
    expect({ scores, failing }).toEqual({ scores: { accessibility: 1, 'best-practices': 1, seo: 1 }, failing: [] })
    expect(audits['errors-in-console']?.score).toBe(1)
  }, 180_000)

  it('note page: accessibility, best practices and SEO at 100, no console errors', async () => {
    const { scores, failing, audits } = await audit(noteUrl)
    expect({ scores, failing }).toEqual({ scores: { accessibility: 1, 'best-practices': 1, seo: 1 }, failing: [] })
    expect(audits['errors-in-console']?.score).toBe(1)
  }, 180_000)

  it('search page: accessibility and best practices at 100 (noindex on purpose: SEO not asserted), no console errors', async () => {
    const { scores, failing, audits } = await audit(`${ts.url}/search?q=engine`)
    expect({ accessibility: scores.accessibility, bestPractices: scores['best-practices'] }).toEqual({ accessibility: 1, bestPractices: 1 })
    // The only SEO finding allowed is the intended one: the page asks not to be indexed.
    expect(failing.filter((f) => !f.startsWith('is-crawlable'))).toEqual([])
    expect(audits['is-crawlable']?.score).toBe(0)
    expect(audits['errors-in-console']?.score).toBe(1)
  }, 180_000)
})
