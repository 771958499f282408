import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { MenuItemConstructorOptions } from 'electron'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { ipcChannel } from '../../shared/contract'

/**
 * The Electron runtime cannot exist here, so a stand-in for `electron` (the one allowed double, as in the
 * preload test) records what the shell asks of it. Everything behind it is real: the supervisor starts a
 * real server on loopback with a real SQLite file, and the app:// handler reads the real built renderer.
 */
type Listener = (...args: unknown[]) => unknown
const stand = vi.hoisted(() => {
  const state = {
    isPackaged: false,
    gotLock: true,
    appPath: '',
    userData: '',
    calls: [] as string[],
    appListeners: new Map<string, Listener[]>(),
    ipcHandlers: new Map<string, Listener>(),
    protocolHandler: null as null | ((request: { url: string }) => Response | Promise<Response>),
    windows: [] as Array<{ options: { webPreferences?: Record<string, unknown> }; loaded: string[]; steps: string[]; minimized: boolean }>,
    menus: [] as unknown[][],
    quitCount: 0,
    tooltips: [] as string[],
    notifications: [] as Array<{ title: string; body: string }>,
  }
  return state
})

vi.mock('electron', () => {
  class BrowserWindow {
    readonly record: (typeof stand.windows)[number]
    readonly webContents = { on: () => {}, send: () => {}, setWindowOpenHandler: () => {} }
    constructor(options: (typeof stand.windows)[number]['options']) {
      this.record = { options, loaded: [], steps: [], minimized: false }
      stand.windows.push(this.record)
    }
    once() {}
    loadURL(url: string) {
      this.record.loaded.push(url)
      return Promise.resolve()
    }
    isDestroyed() {
      return false
    }
    isMinimized() {
      return this.record.minimized
    }
    restore() {
      this.record.steps.push('restore')
    }
    show() {
      this.record.steps.push('show')
    }
    focus() {
      this.record.steps.push('focus')
    }
  }
  class Tray {
    setToolTip(text: string) {
      stand.tooltips.push(text)
    }
    setContextMenu() {}
    setImage() {}
    on() {}
    destroy() {}
  }
  class Notification {
    static isSupported() {
      return true
    }
    constructor(readonly options: { title: string; body: string }) {}
    show() {
      stand.notifications.push({ title: this.options.title, body: this.options.body })
    }
  }
  return {
    Notification,
    app: {
      get isPackaged() {
        return stand.isPackaged
      },
      requestSingleInstanceLock: () => (stand.calls.push('requestSingleInstanceLock'), stand.gotLock),
      quit: () => {
        stand.quitCount++
      },
      whenReady: () => (stand.calls.push('whenReady'), Promise.resolve()),
      on: (event: string, listener: Listener) => {
        stand.appListeners.set(event, [...(stand.appListeners.get(event) ?? []), listener])
      },
      getAppPath: () => stand.appPath,
      getPath: (name: string) => (name === 'userData' ? stand.userData : join(stand.userData, name)),
    },
    BrowserWindow,
    Tray,
    Menu: {
      buildFromTemplate: (template: unknown[]) => template,
      setApplicationMenu: (menu: unknown[]) => void stand.menus.push(menu),
    },
    ipcMain: {
      handle: (channel: string, listener: Listener) => void stand.ipcHandlers.set(channel, listener),
      removeHandler: (channel: string) => void stand.ipcHandlers.delete(channel),
    },
    nativeImage: { createFromPath: (path: string) => ({ path }) },
    net: {},
    protocol: {
      registerSchemesAsPrivileged: () => void stand.calls.push('registerSchemesAsPrivileged'),
      handle: (_scheme: string, handler: typeof stand.protocolHandler) => {
        stand.protocolHandler = handler
      },
    },
    session: { defaultSession: { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} } },
    shell: { openExternal: async () => {} },
  }
})
// electron-log's main module requires the real `electron`; its file transport is not under test.
vi.mock('electron-log/main', () => ({
  default: { transports: { file: {} }, initialize: () => {}, info: () => {}, warn: () => {}, error: () => {} },
}))

const { runDesktopApp } = await import('./app')

const project = resolve(__dirname, '../../..')
const ENV_KEYS = ['STARPUNK_DATA_DIR', 'STARPUNK_PORT', 'STARPUNK_HOST', 'STARPUNK_FETCH_ENABLED', 'ELECTRON_RENDERER_URL', 'STARPUNK_ALERT_SAMPLES', 'STARPUNK_HEALTH_SAMPLE_SECONDS', 'STARPUNK_SITE_NAME'] as const
const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]))
const listenersBefore = new Set(process.listeners('uncaughtException'))
let scratch: string

// The app starts the server from the compiled bundle (out/server), as `npm run serve` does: build it as
// `npm run build` does. An unpacked run here has its main file in src/main/desktop, not out/main, so those
// tests hand the app the bundle's supervisor and check the path the app asked for; the packaged test uses
// the app's own loader on the path it resolves (inside this checkout).
const compiledSupervisor = join(project, 'out', 'server', 'supervisor.mjs')
const askedFor: string[] = []
const fromBundle = {
  loadSupervisor: async (modulePath: string) => {
    askedFor.push(modulePath)
    return ((await import(pathToFileURL(compiledSupervisor).href)) as typeof import('../server/supervisor')).createSupervisor
  },
}
beforeAll(async () => {
  const script = (await import(pathToFileURL(join(project, 'scripts/build-server.mjs')).href)) as { ensureServerBuilt(): Promise<boolean> }
  await script.ensureServerBuilt()
}, 180_000)

function roles(template: MenuItemConstructorOptions[]): string[] {
  return template.flatMap((item) => [...(item.role ? [item.role] : []), ...(Array.isArray(item.submenu) ? roles(item.submenu) : [])])
}

async function callFromWindow(name: 'server:status'): Promise<{ ok: boolean; data?: { state: string; url: string | null; dataDir: string } }> {
  const handler = stand.ipcHandlers.get(ipcChannel.call(name))
  if (!handler) throw new Error(`no IPC handler for ${name}`)
  return (await handler({ senderFrame: { url: 'app://console/index.html' } }, undefined)) as Awaited<ReturnType<typeof callFromWindow>>
}

/** The user closes the last window: the app stops its server, then quits. */
async function closeApp(): Promise<void> {
  const quitsBefore = stand.quitCount
  for (const listener of stand.appListeners.get('window-all-closed') ?? []) listener()
  await vi.waitFor(() => expect(stand.quitCount).toBe(quitsBefore + 1), { timeout: 30_000 })
  for (const listener of stand.appListeners.get('before-quit') ?? []) listener()
}

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'starpunk-shell-'))
  Object.assign(stand, { isPackaged: false, gotLock: true, appPath: project, userData: join(scratch, 'user-data'), calls: [], protocolHandler: null, windows: [], menus: [], quitCount: 0, tooltips: [], notifications: [] })
  stand.appListeners.clear()
  stand.ipcHandlers.clear()
  for (const key of ENV_KEYS) delete process.env[key]
  process.env.STARPUNK_PORT = '0'
  process.env.STARPUNK_HOST = '127.0.0.1'
  process.env.STARPUNK_FETCH_ENABLED = 'false'
})
afterEach(() => {
  for (const listener of process.listeners('uncaughtException')) if (!listenersBefore.has(listener)) process.removeListener('uncaughtException', listener)
  rmSync(scratch, { recursive: true, force: true })
})
afterAll(() => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key]
    else process.env[key] = savedEnv[key]
  }
})

describe('desktop shell under a stand-in Electron', () => {
  it('a second launch quits before reading configuration, opening a window or starting a server', async () => {
    stand.gotLock = false
    const dataDir = join(scratch, 'data')
    process.env.STARPUNK_DATA_DIR = dataDir
    await runDesktopApp(fromBundle)
    expect(stand.quitCount).toBe(1)
    expect(stand.calls).toEqual(['requestSingleInstanceLock'])
    expect(stand.windows).toHaveLength(0)
    expect(stand.ipcHandlers.size).toBe(0)
    expect(existsSync(dataDir)).toBe(false)
  })

  it('packaged: serves its own files only, no developer tools, data under user data, and a second launch focuses the window', async () => {
    stand.isPackaged = true
    // Set on purpose: a packaged app must not follow it.
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173/'
    await runDesktopApp()
    let blogUrl: string | undefined
    try {
      const [window] = stand.windows
      expect(window?.loaded).toEqual(['app://console/index.html'])
      expect(window?.options.webPreferences?.devTools).toBe(false)
      expect(window?.options.webPreferences?.preload).toBe(join(project, 'out', 'preload', 'index.cjs'))
      expect(roles(stand.menus[0] as MenuItemConstructorOptions[])).not.toContain('toggleDevTools')

      // The real server runs, with its data directory inside the user-data directory.
      const status = await callFromWindow('server:status')
      expect(status.data?.state).toBe('running')
      expect(status.data?.dataDir).toBe(join(stand.userData, 'data'))
      blogUrl = status.data?.url ?? undefined
      expect(blogUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const blog = await fetch(blogUrl as string)
      expect(blog.status).toBe(200)
      expect(await blog.text()).toContain('<html')

      // app:// serves the built console from inside the app.
      const page = await stand.protocolHandler?.({ url: 'app://console/index.html' })
      expect(page?.status).toBe(200)
      expect(await page?.text()).toBe(readFileSync(join(project, 'out', 'renderer', 'index.html'), 'utf8'))
      expect((await stand.protocolHandler?.({ url: 'app://console/%2F..%2F..%2Fpackage.json' }))?.status).toBe(404)

      if (window) window.minimized = true
      for (const listener of stand.appListeners.get('second-instance') ?? []) listener()
      expect(window?.steps).toEqual(['restore', 'show', 'focus'])
      // Still one server: the second launch did not start anything.
      expect(stand.windows).toHaveLength(1)
      expect((await callFromWindow('server:status')).data?.url).toBe(status.data?.url)
    } finally {
      await closeApp()
    }
    // Closing the window stopped the server.
    await expect(fetch(blogUrl as string)).rejects.toThrow()
  })

  it('unpacked: trusts a loopback renderer dev server and offers developer tools', async () => {
    process.env.STARPUNK_DATA_DIR = join(scratch, 'data')
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173/'
    await runDesktopApp(fromBundle)
    try {
      const [window] = stand.windows
      expect(window?.loaded).toEqual(['http://localhost:5173/'])
      expect(window?.options.webPreferences?.devTools).toBe(true)
      expect(roles(stand.menus[0] as MenuItemConstructorOptions[])).toContain('toggleDevTools')
      const status = await callFromWindow('server:status')
      expect(status.data?.state).toBe('running')
      expect(status.data?.dataDir).toBe(join(scratch, 'data'))
      // Beside the bundled main file: out/main → out/server, where `npm run build` puts the server bundle.
      expect(askedFor.at(-1)).toBe(resolve(__dirname, '..', 'server', 'supervisor.mjs'))
    } finally {
      await closeApp()
    }
  })

  it('a native notification when readiness turns fail after the hold, another when it recovers; the tray shows uptime and req/s', async () => {
    const dataDir = join(scratch, 'data')
    const away = join(scratch, 'data.away')
    Object.assign(process.env, { STARPUNK_DATA_DIR: dataDir, STARPUNK_ALERT_SAMPLES: '1', STARPUNK_HEALTH_SAMPLE_SECONDS: '5', STARPUNK_SITE_NAME: 'Night Blog' })
    await runDesktopApp(fromBundle)
    try {
      // Running: the tooltip is the monitoring one (trayText), not the bare state.
      await vi.waitFor(() => expect(stand.tooltips.at(-1)).toMatch(/^Night Blog — (starting|up) · uptime.* \(24 h\) · .*req\/s/), { timeout: 30_000 })
      expect(stand.notifications).toEqual([])
      // Broken: the data directory moved away, a file in its place. The scheduler samples every 5 s.
      renameSync(dataDir, away)
      writeFileSync(dataDir, 'not a directory')
      await vi.waitFor(() => expect(stand.notifications).toHaveLength(1), { timeout: 30_000, interval: 200 })
      expect(stand.notifications[0]?.title).toBe('Night Blog down')
      expect(stand.notifications[0]?.body).toMatch(/^Readiness failed\. .*filesystem:writable: /)
      rmSync(dataDir)
      renameSync(away, dataDir)
      await vi.waitFor(() => expect(stand.notifications.at(-1)).toEqual({ title: 'Night Blog recovered', body: 'All checks pass again (was fail).' }), { timeout: 30_000, interval: 200 })
      expect(stand.notifications).toHaveLength(2)
    } finally {
      if (existsSync(away)) {
        rmSync(dataDir, { force: true })
        renameSync(away, dataDir)
      }
      await closeApp()
    }
    // Stopped: the tooltip says so.
    expect(stand.tooltips.at(-1)).toBe('Night Blog — server stopped')
  })
})
