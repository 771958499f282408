import type { MenuItemConstructorOptions } from 'electron'
import { describe, expect, it } from 'vitest'
import { APP_INDEX_URL, devServerUrl, devToolsAllowed, launchDecision, menuTemplate, secondInstanceSteps, windowTarget, type MenuActions } from './shell'

function roles(template: MenuItemConstructorOptions[]): string[] {
  return template.flatMap((item) => [...(item.role ? [item.role] : []), ...(Array.isArray(item.submenu) ? roles(item.submenu) : [])])
}
function labels(template: MenuItemConstructorOptions[]): string[] {
  return template.flatMap((item) => [...(item.label ? [item.label] : []), ...(Array.isArray(item.submenu) ? labels(item.submenu) : [])])
}
function recordingActions(): { actions: MenuActions; calls: string[] } {
  const calls: string[] = []
  const record = (name: keyof MenuActions) => () => void calls.push(name)
  return {
    calls,
    actions: {
      startServer: record('startServer'),
      stopServer: record('stopServer'),
      restartServer: record('restartServer'),
      openBlog: record('openBlog'),
      openAdmin: record('openAdmin'),
      showWindow: record('showWindow'),
    },
  }
}

describe('renderer dev server trust', () => {
  it('is ignored entirely when the app is packaged', () => {
    expect(devServerUrl(true, 'http://localhost:5173/')).toBeNull()
    expect(windowTarget(true, 'http://localhost:5173/')).toEqual({ url: APP_INDEX_URL, devServerOrigin: null })
  })

  it('is used in an unpacked run for a loopback http(s) URL', () => {
    expect(windowTarget(false, 'http://localhost:5173/')).toEqual({ url: 'http://localhost:5173/', devServerOrigin: 'http://localhost:5173' })
    expect(windowTarget(false, 'http://127.0.0.1:5174/index.html').devServerOrigin).toBe('http://127.0.0.1:5174')
    expect(windowTarget(false, 'http://[::1]:5173/').devServerOrigin).toBe('http://[::1]:5173')
  })

  it('refuses remote hosts, other schemes and garbage even unpacked: the window it loads gets the console bridge', () => {
    for (const bad of ['https://evil.example/', 'http://192.168.1.5:5173/', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', '']) {
      expect(windowTarget(false, bad)).toEqual({ url: APP_INDEX_URL, devServerOrigin: null })
    }
    expect(windowTarget(false, undefined)).toEqual({ url: APP_INDEX_URL, devServerOrigin: null })
  })
})

describe('application menu', () => {
  it('has no developer tools when packaged, and the window cannot open them', () => {
    const template = menuTemplate({ isPackaged: true, platform: 'linux' }, recordingActions().actions)
    expect(roles(template)).not.toContain('toggleDevTools')
    expect(roles(template)).not.toContain('forceReload')
    expect(devToolsAllowed(true)).toBe(false)
  })

  it('offers developer tools in unpacked runs', () => {
    const template = menuTemplate({ isPackaged: false, platform: 'linux' }, recordingActions().actions)
    expect(roles(template)).toContain('toggleDevTools')
    expect(devToolsAllowed(false)).toBe(true)
  })

  it('is otherwise the same for both runs, with the macOS app menu only on macOS', () => {
    const { actions } = recordingActions()
    expect(labels(menuTemplate({ isPackaged: true, platform: 'win32' }, actions))).toEqual(labels(menuTemplate({ isPackaged: false, platform: 'win32' }, actions)))
    expect(roles(menuTemplate({ isPackaged: true, platform: 'darwin' }, actions))[0]).toBe('appMenu')
    expect(roles(menuTemplate({ isPackaged: true, platform: 'linux' }, actions))).not.toContain('appMenu')
  })

  it('wires each server item to its action', () => {
    const { actions, calls } = recordingActions()
    const server = menuTemplate({ isPackaged: true, platform: 'linux' }, actions).find((item) => item.label === 'Server')
    const items = (server?.submenu as MenuItemConstructorOptions[]).filter((item) => item.click)
    for (const item of items) (item.click as () => void)()
    expect(calls).toEqual(['startServer', 'stopServer', 'restartServer', 'openBlog', 'openAdmin'])
  })
})

describe('single instance', () => {
  it('runs with the lock and quits without it, before any server could start', () => {
    expect(launchDecision(true)).toEqual({ kind: 'run' })
    expect(launchDecision(false).kind).toBe('quit')
  })

  it('brings the first window to the front: restored if minimized, never touched once destroyed', () => {
    const win = (minimized: boolean, destroyed = false) => ({ isMinimized: () => minimized, isDestroyed: () => destroyed })
    expect(secondInstanceSteps(win(true))).toEqual(['restore', 'show', 'focus'])
    expect(secondInstanceSteps(win(false))).toEqual(['show', 'focus'])
    expect(secondInstanceSteps(win(false, true))).toEqual([])
    expect(secondInstanceSteps(null)).toEqual([])
  })
})
