/// <reference lib="dom" />
// The real desktop app in a real Electron (Playwright's _electron): it starts, its console shows the
// server running, the blog answers on the URL the console gives, and a second launch hands over to the
// first instead of starting another server. Needs Electron's binary, so it runs in
// .github/workflows/desktop.yml (`npm run test:electron`) and skips, saying why, where there is none.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron, type ElectronApplication, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Result, ServerStatus } from '../../src/shared/contract'
import { findAppUnderTest } from './app-under-test'

const target = findAppUnderTest()
if (!target) {
  console.warn(
    'SKIPPED: the Electron smoke test needs an Electron binary (a packaged app in dist/, STARPUNK_ELECTRON_APP, or node_modules/electron with its binary). None exists on this machine.',
  )
}

// The workflow sets this: there, a missing app is a failure, never a silent skip.
it.runIf(!target && process.env.STARPUNK_REQUIRE_ELECTRON === '1')('finds the app to test (STARPUNK_REQUIRE_ELECTRON=1)', () => {
  throw new Error('No Electron app to test: package it first (npm run package) or set STARPUNK_ELECTRON_APP.')
})

describe.skipIf(!target)(`desktop app smoke test (${target?.description ?? 'no Electron binary: skipped'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'starpunk-electron-'))
  const env = { ...process.env, STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false' }
  // Linux CI runners have no usable user-namespace sandbox for Electron's renderer; the workflow opts in.
  const extraArgs = process.env.STARPUNK_ELECTRON_NO_SANDBOX === '1' ? ['--no-sandbox'] : []
  let app: ElectronApplication
  let page: Page

  beforeAll(async () => {
    if (!target) return
    app = await _electron.launch({ executablePath: target.executablePath, args: [...target.args, ...extraArgs], env })
    page = await app.firstWindow()
  })
  afterAll(async () => {
    await app?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  async function status(): Promise<ServerStatus> {
    const result = await page.evaluate(() => (window as unknown as { starpunk: { call(name: string, request: unknown): Promise<unknown> } }).starpunk.call('server:status', undefined))
    const typed = result as Result<ServerStatus>
    if (!typed.ok) throw new Error(`server:status failed: ${typed.error.code}`)
    return typed.data
  }

  it('starts, and the console shows the server running', async () => {
    await expect.poll(() => page.getByTestId('server-state').textContent(), { timeout: 90_000 }).toBe('running')
    expect((await status()).dataDir).toBe(dataDir)
  })

  it('serves the blog on the URL the console shows', async () => {
    const { url } = await status()
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(url as string)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<html')
  })

  it('a second launch exits and leaves the first instance, and its one server, running', async () => {
    const before = await status()
    const second = spawn(target?.executablePath as string, [...(target?.args ?? []), ...extraArgs], { env, stdio: 'ignore' })
    const code = await new Promise<number | null>((done) => second.once('exit', (exitCode) => done(exitCode)))
    expect(code).toBe(0)
    const after = await status()
    expect(after.state).toBe('running')
    expect(after.url).toBe(before.url)
    expect(after.startedAt).toBe(before.startedAt)
    expect((await fetch(after.url as string)).status).toBe(200)
  })
})
