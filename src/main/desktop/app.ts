/**
 * The Electron shell: one window, a tray whose colour follows readiness, a menu, the IPC transport.
 * Everything with logic lives in the server core (console service, supervisor) or in the pure modules
 * next to this file (ipc.ts, security.ts, shell.ts, paths.ts, alerts.ts), which are tested in plain Node. The server core runs
 * in-process: it is I/O-bound and its SQLite reads already leave the main thread's hot path short;
 * see docs/architecture.md ("Desktop app and console transport") for the reasoning.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BrowserWindow, Menu, Notification, Tray, app, ipcMain, nativeImage, protocol, session, shell, type MenuItemConstructorOptions } from 'electron'
import log from 'electron-log/main'
import type { HealthStatus } from '../../shared/contract'
import type { ServerSupervisor, createSupervisor } from '../server/supervisor'
import { alertNotice, readTraySnapshot, stoppedTooltip, TRAY_REFRESH_MS, trayTooltip } from './alerts'
import { createLinkOpener, forwardEvents, registerIpcHandlers } from './ipc'
import { resolveDesktopPaths } from './paths'
import { APP_ORIGIN, APP_SCHEME, DESKTOP_CSP, isAllowedNavigation, isSafeExternalUrl, resolveAppFile, trayIconName } from './security'
import { devToolsAllowed, launchDecision, menuTemplate, secondInstanceSteps, windowTarget, type WindowTarget } from './shell'

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

export interface DesktopAppOptions {
  /** Where the supervisor comes from; default: the compiled server bundle at paths.serverModule. */
  loadSupervisor?: (modulePath: string) => Promise<typeof createSupervisor>
}

/** The compiled server core (out/server, built by `npm run build` and `npm start` as for `npm run serve`). */
async function importCompiledSupervisor(modulePath: string): Promise<typeof createSupervisor> {
  if (!existsSync(modulePath)) throw new Error(`The compiled server is missing (${modulePath}): run npm run build first.`)
  const loaded = (await import(pathToFileURL(modulePath).href)) as { createSupervisor: typeof createSupervisor }
  return loaded.createSupervisor
}

export async function runDesktopApp(options: DesktopAppOptions = {}): Promise<void> {
  // Before any configuration is read or server started: a second launch only hands over to the first.
  if (launchDecision(app.requestSingleInstanceLock()).kind === 'quit') {
    app.quit()
    return
  }
  let window: BrowserWindow | null = null
  // Registered at once, so a launch during the first one's start-up is still handed over.
  app.on('second-instance', () => {
    for (const step of secondInstanceSteps(window)) {
      if (step === 'restore') window?.restore()
      else if (step === 'show') window?.show()
      else window?.focus()
    }
  })
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }])
  await app.whenReady()

  const paths = resolveDesktopPaths({ isPackaged: app.isPackaged, appPath: app.getAppPath(), mainDir: here, userDataDir: app.getPath('userData'), cwd: process.cwd() })
  const startSupervisor = await (options.loadSupervisor ?? importCompiledSupervisor)(paths.serverModule)
  const supervisor: ServerSupervisor = startSupervisor({
    safeMode: true,
    cwd: paths.serverCwd,
    onStartError: (err) => log.error('server failed to start', err),
    // Readiness held a new status for STARPUNK_ALERT_SAMPLES samples (the server decides; this only shows it).
    server: { onAlert: (alert, report) => showNotice(alertNotice(supervisor.loaded().config.siteName, alert, report)) },
  })
  // The app's own log, rotating, next to the server's log files.
  log.transports.file.resolvePathFn = () => join(supervisor.loaded().config.logDir, 'desktop.log')
  log.transports.file.maxSize = 5 * 1024 * 1024
  log.initialize()
  log.info('StarPunk desktop starting')
  process.on('uncaughtException', (err) => log.error('uncaught exception', err))

  const target = windowTarget(app.isPackaged, process.env.ELECTRON_RENDERER_URL)
  const devServerOrigin = target.devServerOrigin
  const rendererDir = paths.rendererDir
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

  const shown = createWindow(target, paths.preloadFile, devToolsAllowed(app.isPackaged))
  window = shown
  const unregister = registerIpcHandlers(ipcMain, supervisor.console, { trusted: { appOrigin: APP_ORIGIN, devServerOrigin }, openExternal: (url) => shell.openExternal(url) })
  const unforward = forwardEvents(supervisor.console, (channel, payload) => {
    if (!shown.isDestroyed()) shown.webContents.send(channel, payload)
  })
  const tray = createTray(supervisor, shown, paths.iconsDir)
  const refreshTray = setInterval(() => tray.refreshTooltip(), TRAY_REFRESH_MS)
  const menu = menuTemplate(
    { isPackaged: app.isPackaged, platform: process.platform },
    {
      startServer: () => void supervisor.start(),
      stopServer: () => void supervisor.stop(),
      restartServer: () => void supervisor.restart(),
      openBlog: () => void openLink(supervisor, 'blog'),
      openAdmin: () => void openLink(supervisor, 'admin'),
      showWindow: () => shown.show(),
    },
  )
  Menu.setApplicationMenu(Menu.buildFromTemplate(menu))

  app.on('before-quit', () => {
    unforward()
    unregister()
    clearInterval(refreshTray)
    tray.tray.destroy()
  })
  app.on('window-all-closed', () => {
    void supervisor.close().finally(() => app.quit())
  })

  const status = await supervisor.start()
  // A failed start (port in use, configuration problem) is shown in the window, never a crash.
  if (status.state === 'failed') log.warn('server did not start', status.error?.code)
}

function createWindow(target: WindowTarget, preloadFile: string, devTools: boolean): BrowserWindow {
  const devServerOrigin = target.devServerOrigin
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'StarPunk',
    show: false,
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      devTools,
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
  void window.loadURL(target.url)
  return window
}

function showNotice(notice: { title: string; body: string }): void {
  if (!Notification.isSupported()) return
  new Notification({ title: notice.title, body: notice.body }).show()
}

/** The tray: its icon follows readiness; its tooltip shows uptime and req/s, refreshed on a timer by the caller. */
function createTray(supervisor: ServerSupervisor, window: BrowserWindow, dir: string): { tray: Tray; refreshTooltip(): void } {
  const icon = (status: HealthStatus | null) => nativeImage.createFromPath(join(dir, trayIconName(status)))
  const tray = new Tray(icon(null))
  const siteName = () => supervisor.loaded().config.siteName
  let status: HealthStatus | null = null
  let serverState = 'starting'
  const refreshTooltip = () => {
    const server = supervisor.server
    if (serverState !== 'running' || !server) tray.setToolTip(stoppedTooltip(siteName(), serverState))
    else tray.setToolTip(trayTooltip(readTraySnapshot(server.consolePort.monitoring, siteName(), status, Date.now())))
  }
  tray.setToolTip('StarPunk')
  tray.setContextMenu(Menu.buildFromTemplate(trayMenu(supervisor, window)))
  supervisor.console.subscribe((event) => {
    if (event.name === 'health:changed') {
      status = event.payload.status
      tray.setImage(icon(status))
      refreshTooltip()
    } else if (event.name === 'server:status') {
      serverState = event.payload.state
      if (serverState !== 'running') {
        status = null
        tray.setImage(icon(null))
      }
      refreshTooltip()
    }
  })
  tray.on('click', () => window.show())
  return { tray, refreshTooltip }
}

/** The tray's and the menu's "Open … in browser": the same opener as the window's IPC `link:open`. */
async function openLink(supervisor: ServerSupervisor, target: 'blog' | 'admin'): Promise<void> {
  const result = await createLinkOpener(supervisor.console, (url) => shell.openExternal(url))(target)
  if (!result.ok) log.warn('cannot open link', result.error.code)
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
