/**
 * `npm run screenshots`: refresh docs/screenshots/ with each console panel, against a real server on a
 * temp data dir with a few notes, some traffic (so the pool and traffic charts, the health history and
 * the log tail have something to show) and, for the config panel, a second server in safe mode with two configuration problems.
 */
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { startConsoleFixture } from '../e2e/helpers/console-fixture'

const OUT = resolve(import.meta.dirname, '../docs/screenshots')

/** `range` picks a range button first; `scrollTo` brings a part below the first screen into view. */
async function shoot(page: Page, tab: string, file: string, options: { range?: string; scrollTo?: string } = {}): Promise<void> {
  await page.getByRole('tab', { name: tab }).click()
  if (options.range) await page.getByRole('button', { name: options.range, exact: true }).click()
  await page.waitForTimeout(options.range ? 1200 : 400)
  if (options.scrollTo) await page.locator(options.scrollTo).evaluate((element) => element.scrollIntoView({ block: 'start' }))
  await page.screenshot({ path: join(OUT, file) })
  console.log(`wrote docs/screenshots/${file}`)
}

async function traffic(url: string, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000
  let i = 0
  while (Date.now() < until) {
    await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/api/search?q=note${i++ % 7}`).then((r) => r.arrayBuffer())))
    await new Promise((r) => setTimeout(r, 60 + ((i * 37) % 200)))
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true })
  // Health sampled every 5 s (the minimum), so the heartbeat bars have cells within the burst.
  const fx = await startConsoleFixture({ env: { STARPUNK_HEALTH_SAMPLE_SECONDS: '5' } })
  try {
    const notes = fx.supervisor.server!.context.notes
    for (const [i, content] of ['Hello, IndieWeb.', 'Notes from my desktop: SQLite, search and feeds.', 'A third note, with a #tag.'].entries()) {
      await notes.create({ content: `${content} (${i + 1})`, tags: ['demo'] })
    }
    const { page } = await fx.openConsole()
    // The history stores one point per 10 s: a 35-s burst gives the Traffic chart a few points.
    await traffic(fx.url, 35)
    await fetch(`${fx.url}/notes/missing`, { headers: { accept: 'text/html' } })
    await shoot(page, 'Overview', 'overview.png')
    // 15 min: the burst fills the chart instead of a sliver at the right edge of an hour.
    await shoot(page, 'Traffic', 'traffic.png', { range: '15 min' })
    await shoot(page, 'Pool', 'pool.png')
    await shoot(page, 'Health', 'health.png')
    await shoot(page, 'Health', 'health-history.png', { scrollTo: '#health-history-title' })
    await shoot(page, 'Events', 'events.png')
    await shoot(page, 'Logs', 'logs.png')
    const dark = await fx.openConsole({ colorScheme: 'dark' })
    await traffic(fx.url, 4)
    await shoot(dark.page, 'Pool', 'pool-dark.png')
  } finally {
    await fx.close()
  }
  const invalid = await startConsoleFixture({ safeMode: true, env: { STARPUNK_LOG_LEVEL: 'LOUD', STARPUNK_FEED_MAX_ITEMS: '-3' } })
  try {
    const { page } = await invalid.openConsole()
    await shoot(page, 'Config', 'config.png')
  } finally {
    await invalid.close()
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err))
    process.exit(1)
  },
)
