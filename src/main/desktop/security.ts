/**
 * Pure security rules of the desktop window (Electron security checklist), kept free of `electron` so
 * they are tested in plain Node. window.ts applies them.
 */
import { resolve, sep } from 'node:path'

export const APP_SCHEME = 'app'
export const APP_HOST = 'console'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

/** The desktop window's CSP: our files only, no inline script, no remote content. */
export const DESKTOP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Links leave the app only to the system browser, and only for http(s). */
export function isSafeExternalUrl(raw: string): boolean {
  try {
    const url = new URL(raw)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** The window may only ever show our own renderer. */
export function isAllowedNavigation(raw: string, devServerOrigin: string | null): boolean {
  try {
    const url = new URL(raw)
    if (url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST) return true
    return devServerOrigin !== null && url.origin === devServerOrigin
  } catch {
    return false
  }
}

/** Map an app:// URL to a file inside the renderer directory; null for anything outside it. */
export function resolveAppFile(rawUrl: string, rendererDir: string): string | null {
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    return null
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null
  let pathname: string
  try {
    pathname = decodeURIComponent(url.pathname)
  } catch {
    return null
  }
  if (pathname.includes('\0')) return null
  const root = resolve(rendererDir)
  const file = resolve(root, '.' + (pathname === '/' || pathname === '' ? '/index.html' : pathname))
  return file === root || file.startsWith(root + sep) ? file : null
}

/** Tray colour for a readiness status (null: server not running). */
export function trayIconName(status: 'pass' | 'warn' | 'fail' | null): string {
  return status === 'pass' ? 'tray-pass.png' : status === 'warn' ? 'tray-warn.png' : status === 'fail' ? 'tray-fail.png' : 'tray-off.png'
}
