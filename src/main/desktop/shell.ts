/**
 * The decisions of the Electron shell, as pure functions of `isPackaged` (and the platform and
 * environment), so they are tested in plain Node; app.ts only applies them. A packaged app is what
 * users run: it trusts nothing from the environment that could load other code into the window, and
 * it offers no developer tools.
 */
import type { MenuItemConstructorOptions } from 'electron'
import { APP_HOST, APP_SCHEME } from './security'

/** Where the console's own files are served from in every run without a dev server. */
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * The renderer dev server (electron-vite sets ELECTRON_RENDERER_URL in `electron-vite dev`), or null.
 * Trusted only in an unpackaged run, and only as an http(s) URL on this machine: the window it loads
 * gets the console bridge, so a packaged app must never be pointed elsewhere by an environment variable.
 */
export function devServerUrl(isPackaged: boolean, rendererUrl: string | undefined): URL | null {
  if (isPackaged || !rendererUrl) return null
  let url: URL
  try {
    url = new URL(rendererUrl)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  return LOOPBACK_HOSTS.has(url.hostname) ? url : null
}

export interface WindowTarget {
  /** What the window loads first. */
  url: string
  /** The dev server's origin, trusted for navigation and IPC; null when the app serves its own files. */
  devServerOrigin: string | null
}

/** Which URL the window loads: the dev server in an unpackaged dev run, otherwise app://console. */
export function windowTarget(isPackaged: boolean, rendererUrl: string | undefined): WindowTarget {
  const dev = devServerUrl(isPackaged, rendererUrl)
  return dev ? { url: dev.href, devServerOrigin: dev.origin } : { url: APP_INDEX_URL, devServerOrigin: null }
}

/** Whether the window's webContents may open developer tools at all (also closes the keyboard shortcut). */
export function devToolsAllowed(isPackaged: boolean): boolean {
  return !isPackaged
}

export interface MenuActions {
  startServer(): void
  stopServer(): void
  restartServer(): void
  openBlog(): void
  openAdmin(): void
  showWindow(): void
}

/** The application menu. Developer tools and force-reload appear only in unpackaged runs. */
export function menuTemplate(options: { isPackaged: boolean; platform: NodeJS.Platform }, actions: MenuActions): MenuItemConstructorOptions[] {
  const developer: MenuItemConstructorOptions[] = devToolsAllowed(options.isPackaged) ? [{ role: 'forceReload' }, { role: 'toggleDevTools' }] : []
  return [
    ...(options.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [{ role: 'quit' }] },
    {
      label: 'Server',
      submenu: [
        { label: 'Start', click: () => actions.startServer() },
        { label: 'Stop', click: () => actions.stopServer() },
        { label: 'Restart', accelerator: 'CmdOrCtrl+Shift+R', click: () => actions.restartServer() },
        { type: 'separator' },
        { label: 'Open blog in browser', accelerator: 'CmdOrCtrl+B', click: () => actions.openBlog() },
        { label: 'Open admin in browser', accelerator: 'CmdOrCtrl+Shift+A', click: () => actions.openAdmin() },
      ],
    },
    { label: 'View', submenu: [{ role: 'reload' }, ...developer, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { role: 'togglefullscreen' }] },
    { label: 'Window', submenu: [{ role: 'minimize' }, { label: 'Show', click: () => actions.showWindow() }] },
  ]
}

/**
 * What a launch does with the single-instance lock. Electron's lock is held per user-data directory and
 * the packaged app's data directory lives inside it (paths.ts), so the instance that did not get the lock
 * must quit before it loads any configuration or starts a server: one data dir, one server.
 */
export type LaunchDecision = { kind: 'run' } | { kind: 'quit'; reason: string }

export function launchDecision(gotSingleInstanceLock: boolean): LaunchDecision {
  return gotSingleInstanceLock ? { kind: 'run' } : { kind: 'quit', reason: 'StarPunk is already running; the running window was brought to the front.' }
}

export interface WindowState {
  isDestroyed(): boolean
  isMinimized(): boolean
}

export type FocusStep = 'restore' | 'show' | 'focus'

/** What the first instance does with its window when a second launch is attempted. */
export function secondInstanceSteps(window: WindowState | null): FocusStep[] {
  if (!window || window.isDestroyed()) return []
  return window.isMinimized() ? ['restore', 'show', 'focus'] : ['show', 'focus']
}
