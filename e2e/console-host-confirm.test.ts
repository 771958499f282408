/// <reference lib="dom" />
// The Config panel in a real Chromium: a listen address other machines can reach is saved only after the
// person confirms it in a dialog that explains the exposure; settings only the environment may set are refused.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startConsoleFixture, type ConsoleFixture } from './helpers/console-fixture'

describe('Config panel: listen address and environment-only settings', () => {
  let fx: ConsoleFixture
  let page: Page
  const configFile = () => join(fx.dataDir, 'config.json')
  beforeAll(async () => {
    fx = await startConsoleFixture()
    ;({ page } = await fx.openConsole())
    await page.getByRole('tab', { name: 'Config' }).click()
    await page.getByLabel('STARPUNK_HOST').waitFor()
  })
  afterAll(async () => {
    await fx?.close()
  })

  it('shows the environment-only settings read-only (config:validate and config:save refuse them anyway)', async () => {
    for (const name of ['STARPUNK_DATA_DIR', 'STARPUNK_LOG_DIR', 'STARPUNK_SQLITE_NATIVE_BINDING', 'STARPUNK_FETCH_ALLOW_PRIVATE']) {
      expect(await page.getByLabel(name).getAttribute('readonly'), name).not.toBeNull()
    }
    expect(await page.getByLabel('STARPUNK_SITE_NAME').getAttribute('readonly')).toBeNull()
    expect(existsSync(configFile())).toBe(false)
  })

  it('an edit clears the last validation result and an open confirmation (they were about other values)', async () => {
    await page.getByLabel('STARPUNK_DB_POOL_SIZE').fill('lots')
    await page.getByRole('button', { name: 'Validate' }).click()
    const problems = page.getByTestId('validation-problems')
    await problems.waitFor()
    await page.getByLabel('STARPUNK_DB_POOL_SIZE').fill('6')
    await problems.waitFor({ state: 'detached' })

    await page.getByLabel('STARPUNK_HOST').fill('0.0.0.0')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    const dialog = page.getByRole('alertdialog')
    await dialog.waitFor()
    await page.getByLabel('STARPUNK_SITE_NAME').fill('Edited while asked')
    await dialog.waitFor({ state: 'detached' })
    expect(existsSync(configFile())).toBe(false)

    await page.getByRole('button', { name: 'Discard changes' }).click()
    expect(await page.getByLabel('STARPUNK_HOST').inputValue()).not.toBe('0.0.0.0')
    expect(fx.consoleErrors).toEqual([])
  })

  it('asks before listening on 0.0.0.0; Cancel saves nothing, confirming saves it', async () => {
    await page.getByLabel('STARPUNK_HOST').fill('0.0.0.0')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    const dialog = page.getByRole('alertdialog')
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('Listening on 0.0.0.0')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached' })
    expect(existsSync(configFile())).toBe(false)

    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Listen on 0.0.0.0' }).click()
    await expect.poll(() => (existsSync(configFile()) ? (JSON.parse(readFileSync(configFile(), 'utf8')) as Record<string, string>).STARPUNK_HOST : null)).toBe('0.0.0.0')
    expect(fx.consoleErrors).toEqual([])
  })
})
