import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { StarpunkApi } from '../../shared/contract'
import { standIn } from '../../../test/helpers/electron-stand-in'
import { createSupervisor, type ServerSupervisor } from '../server/supervisor'
import { registerIpcHandlers } from './ipc'

// The one allowed double: Electron cannot run here. The real preload and the real IPC handlers talk
// through the stand-in, which records what shell.openExternal was asked to open.
vi.mock('electron', () => import('../../../test/helpers/electron-stand-in'))

const LINK_ISSUED = 'one-time login link issued'

describe('"Open blog" and "Open admin" in the desktop window (preload → IPC → system browser)', () => {
  let supervisor: ServerSupervisor
  let dataDir: string
  let api: StarpunkApi
  const lines: string[] = []
  const linksIssued = () => lines.filter((line) => line.includes(LINK_ISSUED)).length

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'starpunk-open-link-'))
    supervisor = createSupervisor({ env: { STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false' }, server: { logging: { write: (line) => lines.push(line) } } })
    expect((await supervisor.start()).state).toBe('running')
    const electron = await import('electron')
    registerIpcHandlers(electron.ipcMain, supervisor.console, {
      trusted: { appOrigin: 'app://console', devServerOrigin: null },
      openExternal: (url) => electron.shell.openExternal(url),
    })
    await import('../../preload/index')
    api = standIn.exposed.starpunk as StarpunkApi
  })
  afterAll(async () => {
    await supervisor.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('opens the blog in the system browser, without minting a sign-in link', async () => {
    const url = supervisor.status().url!
    const before = linksIssued()
    const result = await api.call('link:open', { target: 'blog' })
    expect(result).toEqual({ ok: true, data: { url: `${url}/` } })
    expect(standIn.opened.at(-1)).toBe(`${url}/`)
    expect(linksIssued()).toBe(before)
  })

  it('opens admin with a one-time sign-in link minted for that click, which never reaches the window', async () => {
    const url = supervisor.status().url!
    const openedBefore = standIn.opened.length
    const before = linksIssued()
    const result = await api.call('link:open', { target: 'admin' })
    expect(result).toEqual({ ok: true, data: { url: `${url}/admin/` } })
    expect(standIn.opened.length).toBe(openedBefore + 1)
    expect(linksIssued()).toBe(before + 1)
    const link = standIn.opened.at(-1)!
    expect(link.startsWith(`${url}/admin/login/link?token=`)).toBe(true)
    expect(JSON.stringify(result)).not.toContain('token=')
    // The link the browser got signs in, once.
    const first = await fetch(link, { redirect: 'manual' })
    expect(first.headers.getSetCookie().some((c) => c.startsWith('starpunk_session=') && !c.includes('Max-Age=0'))).toBe(true)
    const second = await fetch(link, { redirect: 'manual' })
    expect(second.headers.getSetCookie().some((c) => c.startsWith('starpunk_session=') && !c.includes('Max-Age=0') && !/=;/.test(c))).toBe(false)
  })

  it('opens nothing and mints nothing while the server is stopped, and says why', async () => {
    await supervisor.stop()
    try {
      const openedBefore = standIn.opened.length
      const before = linksIssued()
      const result = await api.call('link:open', { target: 'admin' })
      expect(result).toMatchObject({ ok: false, error: { code: 'SERVER_NOT_RUNNING' } })
      expect(standIn.opened.length).toBe(openedBefore)
      expect(linksIssued()).toBe(before)
    } finally {
      await supervisor.start()
    }
  })

  it('refuses a window that is not the app, before anything opens', async () => {
    const openedBefore = standIn.opened.length
    standIn.senderUrl = 'https://evil.example/'
    try {
      const result = await api.call('link:open', { target: 'admin' })
      expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    } finally {
      standIn.senderUrl = 'app://console/index.html'
    }
    expect(standIn.opened.length).toBe(openedBefore)
  })
})
