/**
 * The Electron shell: one window, a tray whose colour follows readiness, a menu, the IPC transport.
 * Everything with logic lives in the server core (console service, supervisor) or in the pure modules
 * next to this file (ipc.ts, security.ts), which are tested in plain Node. The server core runs
 * in-process: it is I/O-bound and its SQLite reads already leave the main thread's hot path short;
 * see docs/architecture.md ("Desktop app and console transport") for the reasoning.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, extname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BrowserWindow, Menu, Tray, app, ipcMain, nativeImage, net, protocol, session, shell, type MenuItemConstructorOptions } from 'electron'
import log from 'electron-log/main'
import type { HealthStatus, ServerStatus } from '../../shared/contract'
import { createSupervisor, findRendererDir, type ServerSupervisor } from '../server/console'
import { forwardEvents, registerIpcHandlers } from './ipc'
import { APP_HOST, APP_ORIGIN, APP_SCHEME, DESKTOP_CSP, isAllowedNavigation, isSafeExternalUrl, resolveAppFile, trayIconName } from './security'

const here = dirname(fileURLToPath(import.meta.url))
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

function resourcesDir(): string {
  const candidates = [resolve(here, '../../resources'), resolve(process.resourcesPath ?? '', 'resources'), resolve(process.cwd(), 'resources')]
  return candidates.find((dir) => existsSync(join(dir, 'icon.png'))) ?? (candidates[0] as string)
}

export async function runDesktopApp(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }])
  await app.whenReady()

  const supervisor = createSupervisor({ safeMode: true, onStartError: (err) => log.error('server failed to start', err) })
  // The app's own log, rotating, next to the server's log files.
  log.transports.file.resolvePathFn = () => join(supervisor.loaded().config.logDir, 'desktop.log')
  log.transports.file.maxSize = 5 * 1024 * 1024
  log.initialize()
  log.info('StarPunk desktop starting')
  process.on('uncaughtException', (err) => log.error('uncaught exception', err))

  const devServerOrigin = process.env.ELECTRON_RENDERER_URL ? new URL(process.env.ELECTRON_RENDERER_URL).origin : null
  const rendererDir = findRendererDir()
  protocol.handle(APP_SCHEME, (request) => {
    const file = resolveAppFile(request.url, rendererDir)
    if (!file || !existsSync(file)) return new Response('Not found', { status: 404 })
    return new Response(readFileSync(file), {
      headers: { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'content-security-policy': DESKTOP_CSP },
    })
  })
  // No page in this app needs a camera, notifications or anything else: refuse every permission.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)

  const window = createWindow(devServerOrigin)
  const unregister = registerIpcHandlers(ipcMain, supervisor.console, { appOrigin: APP_ORIGIN, devServerOrigin })
  const unforward = forwardEvents(supervisor.console, (channel, payload) => {
    if (!window.isDestroyed()) window.webContents.send(channel, payload)
  })
  const tray = createTray(supervisor, window)
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(supervisor, window)))

  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore()
    window.show()
    window.focus()
  })
  app.on('before-quit', () => {
    unforward()
    unregister()
    tray.destroy()
  })
  app.on('window-all-closed', () => {
    void supervisor.close().finally(() => app.quit())
  })

  const status = await supervisor.start()
  // A failed start (port in use, configuration problem) is shown in the window, never a crash.
  if (status.state === 'failed') log.warn('server did not start', status.error?.code)
}

function createWindow(devServerOrigin: string | null): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'StarPunk',
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  window.once('ready-to-show', () => window.show())
  const contents = window.webContents
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url, devServerOrigin)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  // Renderer errors reach the main log.
  contents.on('console-message', (details) => {
    if (details.level === 'error' || details.level === 'warning') log.warn('renderer', details.message, details.sourceId, details.lineNumber)
  })
  contents.on('render-process-gone', (_event, details) => log.error('renderer process gone', details.reason))
  if (devServerOrigin && process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void window.loadURL(`${APP_SCHEME}://${APP_HOST}/index.html`)
  return window
}

function createTray(supervisor: ServerSupervisor, window: BrowserWindow): Tray {
  const dir = resourcesDir()
  const icon = (status: HealthStatus | null) => nativeImage.createFromPath(join(dir, trayIconName(status)))
  const tray = new Tray(icon(null))
  tray.setToolTip('StarPunk')
  tray.setContextMenu(Menu.buildFromTemplate(trayMenu(supervisor, window)))
  supervisor.console.subscribe((event) => {
    if (event.name === 'health:changed') {
      const status = (event.payload as { status: HealthStatus }).status
      tray.setImage(icon(status))
      tray.setToolTip(`StarPunk: ${status}`)
    } else if (event.name === 'server:status' && (event.payload as ServerStatus).state !== 'running') {
      tray.setImage(icon(null))
      tray.setToolTip(`StarPunk: ${(event.payload as ServerStatus).state}`)
    }
  })
  tray.on('click', () => window.show())
  return tray
}

async function openLink(supervisor: ServerSupervisor, target: 'blog' | 'admin'): Promise<void> {
  const result = await supervisor.console.call('link:open', { target })
  if (result.ok) {
    const url = (result.data as { url: string }).url
    if (isSafeExternalUrl(url)) await shell.openExternal(url)
  } else log.warn('cannot open link', result.error.code)
}

function trayMenu(supervisor: ServerSupervisor, window: BrowserWindow): MenuItemConstructorOptions[] {
  return [
    { label: 'Show StarPunk', click: () => window.show() },
    { label: 'Open blog in browser', click: () => void openLink(supervisor, 'blog') },
    { label: 'Open admin in browser', click: () => void openLink(supervisor, 'admin') },
    { type: 'separator' },
    { label: 'Restart server', click: () => void supervisor.restart() },
    { type: 'separator' },
    { label: 'Quit', role: 'quit' },
  ]
}

function menuTemplate(supervisor: ServerSupervisor, window: BrowserWindow): MenuItemConstructorOptions[] {
  return [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [{ role: 'quit' }] },
    {
      label: 'Server',
      submenu: [
        { label: 'Start', click: () => void supervisor.start() },
        { label: 'Stop', click: () => void supervisor.stop() },
        { label: 'Restart', accelerator: 'CmdOrCtrl+Shift+R', click: () => void supervisor.restart() },
        { type: 'separator' },
        { label: 'Open blog in browser', accelerator: 'CmdOrCtrl+B', click: () => void openLink(supervisor, 'blog') },
        { label: 'Open admin in browser', accelerator: 'CmdOrCtrl+Shift+A', click: () => void openLink(supervisor, 'admin') },
      ],
    },
    { label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { role: 'togglefullscreen' }] },
    { label: 'Window', submenu: [{ role: 'minimize' }, { label: 'Show', click: () => window.show() }] },
  ]
}
