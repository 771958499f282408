/// <reference lib="dom" />
// "Back up now" in the console's Overview, in a real Chromium against a real supervised server: the button
// writes an archive into <data dir>/backups (mode 0600) and the Overview then shows its time.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startConsoleFixture, type ConsoleFixture } from './helpers/console-fixture'

describe('console: Back up now', () => {
  let fx: ConsoleFixture
  let page: Page
  beforeAll(async () => {
    fx = await startConsoleFixture()
    ;({ page } = await fx.openConsole())
  })
  afterAll(async () => {
    await fx?.close()
  })

  it('shows "never", backs up on click, then shows the time of the archive it wrote', async () => {
    const last = page.getByTestId('last-backup')
    await expect.poll(() => last.textContent()).toBe('never')
    await page.getByRole('button', { name: 'Back up now' }).click()
    await last.locator('time').waitFor()
    const files = readdirSync(join(fx.dataDir, 'backups'))
    expect(files).toHaveLength(1)
    const file = files[0] as string
    expect(statSync(join(fx.dataDir, 'backups', file)).mode & 0o777).toBe(0o600)
    const status = await fx.supervisor.server?.consolePort.backups?.status()
    expect(await last.locator('time').getAttribute('datetime')).toBe(status?.last?.createdAt)
    expect(await last.locator('time').getAttribute('title')).toBe(file)
    await expect.poll(() => page.getByRole('button', { name: 'Back up now' }).isEnabled()).toBe(true)
    expect(fx.consoleErrors).toEqual([])
  })
})
