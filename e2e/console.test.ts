/// <reference lib="dom" />
// The admin console in a real Chromium, against a real supervised server through the HTTP + SSE
// transport: sign-in by one-time link, live pool numbers, log tail with request IDs, a real filesystem
// fault turning the health check red and back, configuration problems with their troubleshooting.
import { execFileSync } from 'node:child_process'
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startConsoleFixture, type ConsoleFixture } from './helpers/console-fixture'

async function showPanel(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name }).click()
  await page.getByRole('heading', { level: 2 }).first().waitFor()
}

async function numberIn(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).textContent())
}

/** Poll the page until `check` holds; the test timeout bounds it (no timing assertions). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 100))
}

/** Make a directory unwritable in a way that stops root too: the immutable attribute (chattr +i). */
function setImmutable(dir: string, on: boolean): void {
  try {
    execFileSync('chattr', [on ? '+i' : '-i', dir], { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (err) {
    throw new Error(
      `Cannot ${on ? 'set' : 'clear'} the immutable attribute on ${dir} (needs chattr from e2fsprogs and CAP_LINUX_IMMUTABLE on a filesystem that supports it): ${String(err)}`,
      { cause: err },
    )
  }
}

describe('admin console over HTTP + SSE', () => {
  let fx: ConsoleFixture
  let page: Page
  beforeAll(async () => {
    fx = await startConsoleFixture()
    ;({ page } = await fx.openConsole())
  })
  afterAll(async () => {
    await fx?.close()
  })

  it('signs in with the one-time link and shows the running server', async () => {
    await expect.poll(() => page.getByTestId('server-state').textContent()).toBe('running')
    const text = await page.locator('.facts').textContent()
    expect(text).toContain(fx.url)
    expect(text).toContain(fx.dataDir)
  })

  it('opens the blog and the admin area in new tabs (no sign-in link: this browser is signed in)', async () => {
    const linksIssued = () => fx.supervisor.server!.context.logging.buffer.recent(10_000).filter((e) => e.msg === 'one-time login link issued').length
    const before = linksIssued()
    for (const [name, path] of [
      ['Open blog', '/'],
      ['Open admin', '/admin/'],
    ] as const) {
      const [tab] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('button', { name }).click()])
      await tab.waitForLoadState()
      expect(new URL(tab.url()).pathname).toBe(path)
      await tab.close()
    }
    expect(linksIssued()).toBe(before)
  })

  it('refuses the console API without a session, with JSON and a request ID', async () => {
    const res = await fetch(`${fx.url}/admin/console/api/call/server:status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(401)
    const body = (await res.json()) as { error: { code: string; request_id: string } }
    expect(body.error.code).toBe('UNAUTHORIZED')
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
  })

  it('serves the console with a strict CSP', async () => {
    const response = await page.goto(`${fx.url}/admin/console/`)
    const csp = response?.headers()['content-security-policy'] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('unsafe-eval')
    await page.getByRole('tab', { name: 'Overview' }).waitFor()
  })

  it('moves the pool numbers during a burst of real requests', async () => {
    await showPanel(page, 'Pool')
    await page.getByTestId('pool-acquired').waitFor()
    const before = await numberIn(page, 'pool-acquired')
    const burst = Array.from({ length: 120 }, (_, i) => fetch(`${fx.url}/api/search?q=burst${i}`).then((r) => r.arrayBuffer()))
    await Promise.all(burst)
    await eventually(async () => (await numberIn(page, 'pool-acquired')) >= before + 100)
    expect(await numberIn(page, 'pool-acquired')).toBeGreaterThanOrEqual(before + 100)
    // The chart (uPlot) got the samples: its read-out shows the newest acquisition rate.
    await expect.poll(() => page.getByTestId('readout-pool').locator('[data-series="acquired/s"]').getAttribute('data-value')).toMatch(/^\d/)
    expect(await page.getByTestId('chart-pool').locator('canvas').count()).toBeGreaterThan(0)
  })

  it('shows a request made by the test in the log tail; the filter and the request ID find it', async () => {
    const requestId = `e2e-find-me-${Date.now()}`
    const res = await fetch(`${fx.url}/notes/no-such-note-for-e2e`, { headers: { 'x-request-id': requestId, accept: 'text/html' } })
    expect(res.status).toBe(404)
    await showPanel(page, 'Logs')
    await page.getByLabel('Filter logs').fill(requestId)
    const rows = page.locator('.log-row')
    await rows.first().waitFor()
    const texts = await rows.allTextContents()
    expect(texts.length).toBeGreaterThan(0)
    expect(texts.every((t) => t.includes(requestId.slice(0, 8)) || t.includes(requestId))).toBe(true)
    expect(texts.join('\n')).toContain('/notes/no-such-note-for-e2e')
    // Clicking the request ID shows every line of that request, and only those.
    await page.getByLabel('Filter logs').fill('')
    await page.locator('.log-row', { hasText: 'no-such-note-for-e2e' }).first().locator('button.log-rid').click()
    await expect.poll(() => page.getByTestId('request-filter').isVisible()).toBe(true)
    const seqs = await page.locator('.log-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-seq')))
    const { entries } = fx.supervisor.server!.context.logging.buffer.recent(10_000).reduce(
      (acc, e) => (e.requestId === requestId ? { entries: [...acc.entries, e] } : acc),
      { entries: [] as Array<{ seq: number }> },
    )
    expect(seqs.map(Number).sort((a, b) => a - b)).toEqual(entries.map((e) => e.seq).sort((a, b) => a - b))
  })

  it('holds 10,000 log lines at most and renders only the rows in view', { timeout: 180_000 }, async () => {
    // Leaving the panel resets its filters.
    await showPanel(page, 'Overview')
    await showPanel(page, 'Logs')
    const logger = fx.supervisor.server!.context.logger
    for (let i = 0; i < 12_000; i++) logger.info(`bulk-${String(i).padStart(5, '0')}`, { i })
    const count = page.getByTestId('log-count')
    await expect.poll(() => count.textContent(), { timeout: 60_000 }).toMatch(/^10000 of 10000 lines/)
    // Virtualised: a few dozen rows in the DOM, not ten thousand.
    expect(await page.locator('.log-row').count()).toBeLessThan(200)
    // Not a live region: a screen reader would read every batch of new lines aloud.
    expect(await page.locator('[role="log"], [aria-live]').count()).toBe(0)
    // Bounded: the newest line is there, the oldest fell off.
    await page.getByLabel('Filter logs').fill('bulk-11999')
    await expect.poll(() => page.locator('.log-row').count()).toBe(1)
    await page.getByLabel('Filter logs').fill('bulk-00000')
    await expect.poll(() => count.textContent()).toMatch(/^0 of 10000 lines/)
    await page.getByLabel('Filter logs').fill('')
    // Pause freezes the view while lines keep arriving; resume shows them.
    await page.getByRole('button', { name: 'Pause' }).click()
    logger.info('after-pause-line')
    await expect.poll(() => page.getByRole('button', { name: /Resume \(\d+ new\)/ }).isVisible()).toBe(true)
    await page.getByRole('button', { name: /Resume/ }).click()
    await page.getByLabel('Filter logs').fill('after-pause-line')
    await expect.poll(() => page.locator('.log-row').count()).toBe(1)
    await page.getByLabel('Filter logs').fill('')
  })

  it('turns the filesystem check red when the data dir becomes unwritable, and green again when restored', async () => {
    await showPanel(page, 'Health')
    // The health capability's filesystem check writes and deletes a real file in the data dir.
    const fsRow = page.locator('tr[data-check="filesystem:writable"]')
    await fsRow.waitFor()
    const badge = fsRow.locator('.badge')
    await expect.poll(() => badge.textContent()).toBe('pass')
    setImmutable(fx.dataDir, true)
    try {
      await expect.poll(() => badge.textContent(), { timeout: 20_000 }).toBe('fail')
      expect(await page.getByTestId('readiness').textContent()).not.toBe('pass')
      // The change is highlighted.
      await expect.poll(() => fsRow.getAttribute('class')).toContain('changed')
    } finally {
      setImmutable(fx.dataDir, false)
    }
    await expect.poll(() => badge.textContent(), { timeout: 20_000 }).toBe('pass')
  })

  it('keeps the console working across a restart from the browser (SSE reconnects)', async () => {
    await showPanel(page, 'Overview')
    const startedBefore = fx.supervisor.server!.context.startedAt
    await page.getByRole('button', { name: 'Restart' }).click()
    await eventually(async () => (fx.supervisor.server?.context.startedAt ?? startedBefore) !== startedBefore && fx.supervisor.status().state === 'running')
    await expect.poll(() => page.getByTestId('server-state').textContent(), { timeout: 20_000 }).toBe('running')
    // Pushed events flow again after the reconnect: a new request shows up in the log tail.
    const requestId = `after-restart-${Date.now()}`
    await showPanel(page, 'Logs')
    await page.getByLabel('Filter logs').fill(requestId)
    await fetch(`${fx.url}/notes/${requestId}`, { headers: { 'x-request-id': requestId, accept: 'text/html' } })
    await page.locator('.log-row', { hasText: requestId }).first().waitFor({ timeout: 20_000 })
  })

  it('validates an edit before saving and shows what is wrong', async () => {
    await showPanel(page, 'Config')
    await page.getByLabel('STARPUNK_DB_POOL_SIZE').fill('lots')
    await page.getByRole('button', { name: 'Validate' }).click()
    const found = page.getByTestId('validation-problems')
    await found.waitFor()
    expect(await found.textContent()).toContain('STARPUNK_DB_POOL_SIZE')
    await page.getByLabel('STARPUNK_DB_POOL_SIZE').fill('6')
    await page.getByRole('button', { name: 'Validate' }).click()
    await page.getByText('These values are valid.').waitFor()
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByText('Saved to the config file').waitFor()
    expect(fx.consoleErrors).toEqual([])
  })

  it('has no console errors or CSP violations on any panel, in light and dark, and passes axe', { timeout: 180_000 }, async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { page: p, context } = await fx.openConsole({ colorScheme: scheme })
      for (const name of ['Overview', 'Traffic', 'Pool', 'Health', 'Events', 'Logs', 'Config']) {
        await showPanel(p, name)
        // Every rule in light; in dark only what the colours change (contrast), to keep the suite quick.
        const axe = new AxeBuilder({ page: p })
        const results = await (scheme === 'light' ? axe.withTags(['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']) : axe.withRules(['color-contrast'])).analyze()
        expect(results.violations.map((v) => `${name}/${scheme}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])
      }
      // Keyboard: arrow keys move between panels.
      await p.getByRole('tab', { name: 'Config' }).focus()
      await p.keyboard.press('ArrowUp')
      await expect.poll(() => p.getByRole('tab', { name: 'Logs' }).getAttribute('aria-selected')).toBe('true')
      await context.close()
    }
    expect(fx.consoleErrors).toEqual([])
  })
})

describe('monitoring in the console: traffic, health history, incidents, events', () => {
  let fx: ConsoleFixture
  let page: Page
  beforeAll(async () => {
    // Health sampled every 5 s (the shortest allowed), so an incident opens and closes within the test.
    fx = await startConsoleFixture({ env: { STARPUNK_HEALTH_SAMPLE_SECONDS: '5', STARPUNK_ALERT_SAMPLES: '1' } })
    ;({ page } = await fx.openConsole())
  })
  afterAll(async () => {
    await fx?.close()
  })

  const rateOf = async (group: string) => Number((await page.getByTestId('readout-rate').locator(`[data-series="${group}"]`).getAttribute('data-value').catch(() => null)) || 0)
  const totalShown = async () => Number(((await page.getByTestId('traffic-total').textContent()) ?? '0').split(' ')[0])

  it('moves the Traffic chart with a burst of real requests (read-out, legend and totals)', { timeout: 90_000 }, async () => {
    await showPanel(page, 'Traffic')
    await page.getByRole('button', { name: '15 min' }).click()
    await page.getByTestId('traffic-total').waitFor()
    const before = await totalShown()
    await Promise.all(Array.from({ length: 150 }, (_, i) => fetch(`${fx.url}/?burst=${i}`).then((r) => r.arrayBuffer())))
    // The 10-second point lands, the panel's next poll shows it.
    await expect.poll(totalShown, { timeout: 60_000 }).toBeGreaterThanOrEqual(before + 150)
    await expect.poll(() => rateOf('pages'), { timeout: 30_000 }).toBeGreaterThan(0)
    // The legend names the series drawn; the latency read-out has numbers; the slowest table lists pages.
    expect(await page.getByTestId('readout-rate').textContent()).toContain('pages')
    expect(await page.getByTestId('readout-latency').locator('[data-series="p95"]').getAttribute('data-value')).toMatch(/^\d/)
    expect(await page.getByTestId('slowest').textContent()).toContain('pages')
    // Hovering the chart reads out a bucket under the cursor.
    const box = await page.getByTestId('chart-rate').locator('canvas').first().boundingBox()
    if (box) await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2)
    expect(await page.getByTestId('readout-rate').textContent()).toMatch(/pages: \S+/)
    // Overview: req/s and uptime at a glance.
    await showPanel(page, 'Overview')
    await expect.poll(() => page.getByTestId('overview-rps').textContent(), { timeout: 20_000 }).toMatch(/^\d/)
    await expect.poll(() => page.getByTestId('overview-uptime-24h').textContent(), { timeout: 20_000 }).toMatch(/%$/)
    expect(fx.consoleErrors).toEqual([])
  })

  it('breaking the data dir opens an incident (red heartbeat, event, red on the Overview); repairing closes it; a restart keeps the history', { timeout: 150_000 }, async () => {
    await showPanel(page, 'Health')
    await page.getByRole('button', { name: '15 min' }).click()
    const fsRow = page.locator('table.heartbeats tr[data-component="filesystem"]')
    await expect.poll(() => fsRow.locator('.heartbeat-bar').getAttribute('data-latest'), { timeout: 30_000 }).toBe('pass')
    setImmutable(fx.dataDir, true)
    try {
      await expect.poll(() => fsRow.locator('.heartbeat-bar').getAttribute('data-latest'), { timeout: 40_000 }).toBe('fail')
      expect(await fsRow.locator('.beat.status-fail').first().getAttribute('title')).toMatch(/fail/)
      const open = page.locator('table.incidents tr[data-open="true"]', { hasText: 'filesystem' })
      await expect.poll(() => open.count(), { timeout: 20_000 }).toBeGreaterThan(0)
      await showPanel(page, 'Overview')
      await expect.poll(() => page.getByTestId('overview-incidents').textContent(), { timeout: 20_000 }).toContain('filesystem')
    } finally {
      setImmutable(fx.dataDir, false)
    }
    await showPanel(page, 'Health')
    await page.getByRole('button', { name: '15 min' }).click()
    await expect.poll(() => fsRow.locator('.heartbeat-bar').getAttribute('data-latest'), { timeout: 40_000 }).toBe('pass')
    const closed = page.locator('table.incidents tr[data-open="false"]', { hasText: 'filesystem' })
    await expect.poll(() => closed.count(), { timeout: 20_000 }).toBeGreaterThan(0)
    // The readiness transitions are on the timeline; filtering by type keeps only those.
    await showPanel(page, 'Events')
    await page.getByRole('button', { name: '15 min' }).click()
    await page.getByLabel('Event type').selectOption('readiness_changed')
    const events = page.getByTestId('events').locator('li')
    // Waited for as one condition: right after the choice the list may still show the unfiltered page
    // (its reload is asynchronous), which already has two items of other types.
    const shown = async () => {
      const types = await events.evaluateAll((els) => els.map((e) => e.getAttribute('data-type')))
      return { atLeastTwo: types.length >= 2, types: [...new Set(types)] }
    }
    await expect.poll(shown, { timeout: 20_000 }).toEqual({ atLeastTwo: true, types: ['readiness_changed'] })
    // After a restart the history is still there (metrics.db survives the server).
    await showPanel(page, 'Overview')
    const startedBefore = fx.supervisor.server!.context.startedAt
    await page.getByRole('button', { name: 'Restart' }).click()
    await eventually(async () => (fx.supervisor.server?.context.startedAt ?? startedBefore) !== startedBefore && fx.supervisor.status().state === 'running')
    await expect.poll(() => page.getByTestId('server-state').textContent(), { timeout: 20_000 }).toBe('running')
    await showPanel(page, 'Health')
    await page.getByRole('button', { name: '15 min' }).click()
    await expect.poll(() => closed.count(), { timeout: 30_000 }).toBeGreaterThan(0)
    await showPanel(page, 'Events')
    await page.getByLabel('Event type').selectOption('')
    await expect.poll(async () => (await page.getByTestId('events').locator('li[data-type="server_start"]').count()) >= 2, { timeout: 30_000 }).toBe(true)
  })

  it("links an event with a request ID to that request's log lines", { timeout: 90_000 }, async () => {
    // Saving the configuration from the console records config_saved with the request ID of the save.
    await showPanel(page, 'Config')
    await page.getByLabel('STARPUNK_DB_POOL_SIZE').fill('5')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByText('Saved to the config file').waitFor()
    await showPanel(page, 'Events')
    await page.getByLabel('Event type').selectOption('config_saved')
    const link = page.getByTestId('events').locator('li[data-type="config_saved"]').first().getByRole('button', { name: /Logs of request/ })
    await link.waitFor({ timeout: 40_000 })
    const requestId = ((await link.getAttribute('title')) ?? '').replace('Show the log lines of request ', '')
    expect(requestId).not.toBe('')
    await link.click()
    await page.getByRole('heading', { name: 'Logs' }).waitFor()
    await expect.poll(() => page.getByTestId('request-filter').isVisible()).toBe(true)
    // Exactly that request's lines (the save's access line among them), as the server logged them.
    const expected = fx.supervisor.server!.context.logging.buffer.recent(10_000).filter((e) => e.requestId === requestId).map((e) => e.seq)
    expect(expected.length).toBeGreaterThan(0)
    await expect.poll(async () => (await page.locator('.log-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))))).sort((a, b) => a - b), { timeout: 20_000 }).toEqual(expected.sort((a, b) => a - b))
  })

  it('notifies in the browser, after the person opts in, when readiness fails and when it recovers', { timeout: 120_000 }, async () => {
    const { page: p, context } = await fx.openConsole()
    await context.grantPermissions(['notifications'], { origin: fx.url })
    // The real Notification API, recorded: headless Chromium shows nothing the test could see otherwise.
    await context.addInitScript(() => {
      const Real = window.Notification
      const seen: string[] = []
      class Recorded extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options)
          seen.push(title)
        }
      }
      Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true })
      Object.defineProperty(window, 'seenNotifications', { value: seen })
    })
    await p.reload()
    const seen = () => p.evaluate(() => (window as unknown as { seenNotifications: string[] }).seenNotifications.join('\n'))
    const toggle = p.getByTestId('alerts-toggle')
    expect(await toggle.textContent()).toBe('Enable alerts')
    await toggle.click()
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true')
    await showPanel(p, 'Health')
    await expect.poll(() => p.getByTestId('readiness').textContent(), { timeout: 20_000 }).toBe('pass')
    expect(await seen()).toBe('')
    setImmutable(fx.dataDir, true)
    try {
      await expect.poll(seen, { timeout: 30_000 }).toMatch(/is (down|degraded)/)
    } finally {
      setImmutable(fx.dataDir, false)
    }
    await expect.poll(seen, { timeout: 30_000 }).toMatch(/has recovered/)
    await context.close()
  })

  it('passes axe on Traffic, Health and Events in light and dark, with no console errors', { timeout: 120_000 }, async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { page: p, context } = await fx.openConsole({ colorScheme: scheme })
      for (const name of ['Traffic', 'Health', 'Events']) {
        await showPanel(p, name)
        await p.locator('.range-picker').first().waitFor()
        await p.waitForFunction(() => !document.querySelector('.content')?.textContent?.includes('Loading…'))
        const results = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze()
        const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        expect(serious.map((v) => `${name}/${scheme}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])
      }
      // Keyboard: the range picker is reachable and works with Enter.
      await showPanel(p, 'Traffic')
      await p.getByRole('button', { name: '24 h' }).focus()
      await p.keyboard.press('Enter')
      await expect.poll(() => p.getByRole('button', { name: '24 h' }).getAttribute('aria-pressed')).toBe('true')
      await context.close()
    }
    expect(fx.consoleErrors).toEqual([])
  })
})

describe('admin console when a panel breaks', () => {
  let fx: ConsoleFixture
  beforeAll(async () => {
    fx = await startConsoleFixture()
  })
  afterAll(async () => {
    await fx?.close()
  })

  it('shows what broke in that panel, and the other panels keep working', async () => {
    const { page } = await fx.openConsole()
    // The server plays one that answers a snapshot whose error is missing its fields.
    await page.route((url) => decodeURIComponent(url.pathname).endsWith('/admin/console/api/call/server:snapshot'), async (route) => {
      const real = (await (await route.fetch()).json()) as { ok: true; data: { status: Record<string, unknown> } }
      real.data.status.error = { code: 'BROKEN' }
      await route.fulfill({ json: real })
    })
    await page.reload()
    const broken = page.getByTestId('render-error')
    await broken.waitFor()
    expect(await broken.textContent()).toContain('The overview panel stopped working')
    await showPanel(page, 'Pool')
    await page.getByTestId('pool-acquired').waitFor()
    expect(await page.getByTestId('render-error').count()).toBe(0)
    // The boundary reported it (the desktop app logs renderer errors); the page itself never crashed.
    expect(fx.consoleErrors.some((e) => e.includes('console render error'))).toBe(true)
    expect(fx.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([])
  })
})

describe('admin console with an invalid configuration (safe mode)', () => {
  let fx: ConsoleFixture
  beforeAll(async () => {
    fx = await startConsoleFixture({ safeMode: true, env: { STARPUNK_LOG_LEVEL: 'LOUD', STARPUNK_FEED_MAX_ITEMS: '-3' } })
  })
  afterAll(async () => {
    await fx?.close()
  })

  it('shows each configuration error with its suggestion and troubleshooting steps', async () => {
    const { page } = await fx.openConsole()
    await expect.poll(() => page.locator('.notice.warn').textContent()).toContain('2 configuration problems')
    await showPanel(page, 'Config')
    const problems = page.getByTestId('config-problems').locator('.problem')
    await expect.poll(() => problems.count()).toBe(2)
    const expected = fx.supervisor.loaded().problems
    for (const [i, problem] of expected.entries()) {
      const card = problems.nth(i)
      expect(await card.locator('.problem-message').textContent()).toBe(problem.message)
      expect(await card.locator('.problem-suggestion').textContent()).toContain(problem.suggestion)
      expect(await card.locator('.problem-steps li').allTextContents()).toEqual(problem.troubleshooting)
    }
    expect(expected.map((p) => p.message).join(' ')).toMatch(/STARPUNK_LOG_LEVEL[\s\S]*STARPUNK_FEED_MAX_ITEMS|STARPUNK_FEED_MAX_ITEMS[\s\S]*STARPUNK_LOG_LEVEL/)
  })
})
