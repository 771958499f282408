import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isAllowedNavigation, isSafeExternalUrl, resolveAppFile, trayIconName } from './security'

describe('desktop security rules', () => {
  it('opens only http(s) links externally', () => {
    expect(isSafeExternalUrl('https://indieweb.org/')).toBe(true)
    expect(isSafeExternalUrl('http://127.0.0.1:8080/')).toBe(true)
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'app://console/', '']) expect(isSafeExternalUrl(bad)).toBe(false)
  })

  it('lets the window navigate only within the app (or the dev server when one runs)', () => {
    expect(isAllowedNavigation('app://console/index.html', null)).toBe(true)
    expect(isAllowedNavigation('https://example.com/', null)).toBe(false)
    expect(isAllowedNavigation('app://other/index.html', null)).toBe(false)
    expect(isAllowedNavigation('http://localhost:5173/', 'http://localhost:5173')).toBe(true)
    expect(isAllowedNavigation('http://localhost:5173/', null)).toBe(false)
  })

  it('serves app:// files only from inside the renderer directory', () => {
    const root = '/srv/renderer'
    expect(resolveAppFile('app://console/', root)).toBe(join(root, 'index.html'))
    expect(resolveAppFile('app://console/assets/x.js', root)).toBe(join(root, 'assets/x.js'))
    // The URL parser folds dot segments away, so this stays inside the root.
    expect(resolveAppFile('app://console/../../etc/passwd', root)).toBe(join(root, 'etc/passwd'))
    expect(resolveAppFile('app://console/%2e%2e/%2e%2e/etc/passwd', root)).toBe(join(root, 'etc/passwd'))
    // Encoded slashes survive URL parsing and would climb out after decoding: refused.
    expect(resolveAppFile('app://console/%2F..%2F..%2Fetc%2Fpasswd', root)).toBeNull()
    expect(resolveAppFile('app://console/a%00.js', root)).toBeNull()
    expect(resolveAppFile('app://other/index.html', root)).toBeNull()
    expect(resolveAppFile('file:///srv/renderer/index.html', root)).toBeNull()
  })

  it('picks a tray icon per readiness status', () => {
    expect(new Set(['pass', 'warn', 'fail', null].map((s) => trayIconName(s as 'pass' | 'warn' | 'fail' | null))).size).toBe(4)
  })
})
