/**
 * A real supervised server (the desktop app's supervisor, in-process) on a free port and a temp data dir,
 * the built console, and a signed-in Chromium page on /admin/console/. Shared by the e2e tests and
 * `npm run screenshots`.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { createSupervisor, type ServerSupervisor } from '../../src/main/server/supervisor'
import { launchChromium } from './chromium'

const ROOT = resolve(import.meta.dirname, '../..')

/** Build out/renderer when missing or stale (the same step `npm run serve` runs first). */
export function ensureConsoleBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-console.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
}

export interface ConsoleFixture {
  supervisor: ServerSupervisor
  dataDir: string
  url: string
  browser: Browser
  /** Every console error and CSP violation seen on any page opened through openConsole(). */
  consoleErrors: string[]
  openConsole(options?: { colorScheme?: 'light' | 'dark' }): Promise<{ context: BrowserContext; page: Page }>
  close(): Promise<void>
}

export interface FixtureOptions {
  env?: Record<string, string>
  safeMode?: boolean
  browser?: Browser
}

export async function startConsoleFixture(options: FixtureOptions = {}): Promise<ConsoleFixture> {
  ensureConsoleBuilt()
  const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-e2e-'))
  const supervisor = createSupervisor({
    env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false', ...options.env },
    safeMode: options.safeMode ?? false,
    server: { logging: { write: () => {} } },
    console: { healthIntervalMs: 500 },
  })
  const status = await supervisor.start()
  if (status.state !== 'running' || !status.url) throw new Error(`server did not start: ${JSON.stringify(status.error ?? status.state)}`)
  const browser = options.browser ?? (await launchChromium())
  const consoleErrors: string[] = []
  const contexts: BrowserContext[] = []

  return {
    supervisor,
    dataDir,
    url: status.url,
    browser,
    consoleErrors,
    async openConsole({ colorScheme = 'light' } = {}) {
      const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 820 } })
      contexts.push(context)
      const page = await context.newPage()
      // Only the console's own pages count here (the sign-in landing page belongs to the admin area).
      const onConsole = () => page.url().includes('/admin/console/')
      page.on('console', (msg) => {
        if (onConsole() && (msg.type() === 'error' || msg.type() === 'warning')) consoleErrors.push(`${msg.type()}: ${msg.text()}`)
      })
      page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`))
      // Sign in the way a person does: the one-time link (the desktop app's "Open admin in browser").
      const server = supervisor.server
      if (!server) throw new Error('server not running')
      const link = await server.context.auth.issueLoginLink()
      const landed = await page.goto(link)
      if (!landed || landed.status() >= 400) throw new Error(`login link answered ${landed?.status()}`)
      await page.goto(`${status.url}/admin/console/`)
      await page.getByRole('tab', { name: 'Overview' }).waitFor()
      return { context, page }
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined)
      if (!options.browser) await browser.close()
      await supervisor.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
