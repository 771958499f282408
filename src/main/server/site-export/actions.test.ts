import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAsAdmin, type AdminLogin } from '../../../../test/helpers/admin'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { DATA_EXPORT_FOLDER } from '.'

// "Export site" from the admin form and the console: only into <data dir>/site-export (or the configured
// mirror), whatever a request names; CSRF on the form; progress and outcome in the status.

let ts: TestServer
let admin: AdminLogin
let elsewhere: string

beforeAll(async () => {
  ts = await startTestServer()
  admin = await loginAsAdmin(ts)
  elsewhere = mkdtempSync(join(tmpdir(), 'starpunk-not-here-'))
  await ts.server.context.notes.create({ content: '# Exported\n\nA note.' })
})
afterAll(async () => {
  await ts.close()
  rmSync(elsewhere, { recursive: true, force: true })
})

const exportDir = () => join(ts.dataDir, DATA_EXPORT_FOLDER)
const post = (body: Record<string, string>, cookie = admin.cookie) =>
  fetch(`${ts.url}/admin/site-export`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams(body).toString(),
  })
const consoleCall = (name: string, payload: unknown) =>
  fetch(`${ts.url}/admin/console/api/call/${name}`, {
    method: 'POST',
    headers: { cookie: admin.cookie, 'content-type': 'application/json', 'x-csrf-token': admin.csrfToken },
    body: JSON.stringify(payload),
  })

async function finished(): Promise<void> {
  const { actions } = ts.server.context.siteExport
  while (actions.status().running) await new Promise((resolve) => setTimeout(resolve, 20))
}

describe('admin "Export site"', () => {
  it('refuses without the CSRF token, an unknown target, or the mirror when none is set, writing nothing', async () => {
    expect((await post({ target: 'data' })).status).toBe(403)
    const bad = await post({ target: '../../etc', _csrf: admin.csrfToken })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('target must be')
    expect((await post({ target: 'mirror', _csrf: admin.csrfToken })).status).toBe(409)
    expect((await fetch(`${ts.url}/admin/site-export`, { redirect: 'manual', headers: { accept: 'text/html' } })).status).toBe(303)
    expect(existsSync(exportDir())).toBe(false)
  })

  it('exports into <data dir>/site-export only, whatever else the form names, and shows the outcome', async () => {
    const page = await (await fetch(`${ts.url}/admin/site-export`, { headers: { cookie: admin.cookie } })).text()
    expect(page).toContain('value="data"')
    expect(page).not.toContain('value="mirror"')
    const res = await post({ target: 'data', _csrf: admin.csrfToken, dir: elsewhere, path: elsewhere })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin/site-export')
    await finished()
    expect(readdirSync(exportDir())).toEqual(expect.arrayContaining(['index.html', 'feed.rss', 'notes', '404.html']))
    expect(readdirSync(elsewhere)).toEqual([])
    const after = await (await fetch(`${ts.url}/admin/site-export`, { headers: { cookie: admin.cookie } })).text()
    expect(after).toMatch(/Last export \(data directory.*Exported \d+ files: \d+ written, 0 unchanged, 0 removed\./s)
  })
})

describe('console site:export', () => {
  it('takes a target only (a path is a bad request), refuses the mirror when none is set, and exports into the data dir', async () => {
    const withPath = await consoleCall('site:export', { target: 'data', dir: elsewhere })
    expect(withPath.status).toBe(400)
    expect(((await withPath.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST')
    const mirror = (await (await consoleCall('site:export', { target: 'mirror' })).json()) as { ok: boolean; error: { code: string } }
    expect(mirror).toMatchObject({ ok: false, error: { code: 'SITE_EXPORT_UNAVAILABLE' } })

    await ts.server.context.notes.create({ content: 'One more note.' })
    const progress: number[] = []
    const off = ts.server.context.siteExport.actions.onStatus((status) => {
      if (status.progress) progress.push(status.progress.done)
    })
    const done = (await (await consoleCall('site:export', { target: 'data' })).json()) as { ok: boolean; data: { ok: boolean; written: number; unchanged: number; files: number } }
    off()
    expect(done.ok).toBe(true)
    expect(done.data.written).toBeGreaterThan(0)
    expect(done.data.unchanged).toBeGreaterThan(0)
    expect(done.data.written + done.data.unchanged).toBe(done.data.files)
    expect(progress.at(-1)).toBe(done.data.files)
    expect(readdirSync(elsewhere)).toEqual([])
    const status = (await (await consoleCall('site:export-status', {})).json()) as { data: { running: boolean; targets: string[]; last: { ok: boolean } } }
    expect(status.data).toMatchObject({ running: false, targets: ['data'], last: { ok: true } })
  })
})
