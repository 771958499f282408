/**
 * `npm run screenshots`: refresh docs/screenshots/ with each console panel, against a real server on a
 * temp data dir with a few notes, some traffic (so the pool chart and the log tail have something to
 * show) and, for the config panel, a second server in safe mode with two configuration problems.
 */
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { startConsoleFixture } from '../e2e/helpers/console-fixture'

const OUT = resolve(import.meta.dirname, '../docs/screenshots')

async function shoot(page: Page, tab: string, file: string): Promise<void> {
  await page.getByRole('tab', { name: tab }).click()
  await page.waitForTimeout(400)
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
  const fx = await startConsoleFixture()
  try {
    const notes = fx.supervisor.server!.context.notes
    for (const [i, content] of ['Hello, IndieWeb.', 'Notes from my desktop: SQLite, search and feeds.', 'A third note, with a #tag.'].entries()) {
      await notes.create({ content: `${content} (${i + 1})`, tags: ['demo'] })
    }
    const { page } = await fx.openConsole()
    await traffic(fx.url, 12)
    await fetch(`${fx.url}/notes/missing`, { headers: { accept: 'text/html' } })
    await shoot(page, 'Overview', 'overview.png')
    await shoot(page, 'Pool', 'pool.png')
    await shoot(page, 'Health', 'health.png')
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
