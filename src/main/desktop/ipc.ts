/**
 * The IPC transport of the console contract, generated from CALL_NAMES / EVENT_NAMES. Takes ipcMain,
 * the window's send function and the shell's openExternal as parameters, so the table, the sender check
 * and the link opener are tested in plain Node (with the stand-in electron module).
 */
import { CALL_NAMES, EVENT_NAMES, ipcChannel, parseCallRequest, type LinkTarget, type Result } from '../../shared/contract'
import type { ErrorInfo } from '../../shared/errors'
import type { ConsoleService } from '../server/console'

/** The part of Electron's IpcMainInvokeEvent we rely on. */
export interface InvokeEventLike {
  senderFrame: { url: string } | null
}

/** The part of Electron's ipcMain we use. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void
  removeHandler(channel: string): void
}

/** Where our own renderer is loaded from: the app:// protocol, or the dev server during `electron-vite dev`. */
export interface TrustedOrigins {
  /** e.g. 'app://console' */
  appOrigin: string
  /** e.g. 'http://localhost:5173' in development; null in a packaged app. */
  devServerOrigin: string | null
}

export const REJECTED_SENDER: ErrorInfo = {
  code: 'FORBIDDEN',
  message: 'This window is not allowed to use the StarPunk console.',
  suggestion: 'Use the StarPunk app window; other pages cannot talk to the server core.',
  troubleshooting: ['Only pages loaded from the app itself may call the console API.'],
}

/** True only for a frame showing our own renderer (exact origin match; no prefix tricks). */
export function isTrustedSender(frameUrl: string | null | undefined, trusted: TrustedOrigins): boolean {
  if (!frameUrl) return false
  let origin: string
  try {
    const url = new URL(frameUrl)
    // Custom schemes have an opaque origin ("null"): compare protocol + host instead.
    origin = url.origin !== 'null' ? url.origin : `${url.protocol}//${url.host}`
  } catch {
    return false
  }
  return origin === trusted.appOrigin || (trusted.devServerOrigin !== null && origin === trusted.devServerOrigin)
}

export const LINK_REFUSED: ErrorInfo = {
  code: 'FORBIDDEN',
  message: "StarPunk opens only the blog's own pages in the browser.",
  suggestion: 'Check STARPUNK_SITE_URL in the Config panel: it must be the http(s) address of this blog.',
  troubleshooting: ['The link to open did not point at the address the blog listens on or its site URL, so it was not opened.'],
}

export const OPEN_FAILED: ErrorInfo = {
  code: 'INTERNAL_ERROR',
  message: 'The system browser could not be opened.',
  suggestion: 'Open the blog by its address, shown in the Overview panel.',
  troubleshooting: ['Check that a default web browser is set for this account.'],
}

/** True for an http(s) URL on one of the blog's own origins (exact match, no prefix tricks). */
export function isBlogUrl(url: string, blogOrigins: readonly string[]): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false
  return blogOrigins.includes(parsed.origin)
}

export type LinkOpener = (target: LinkTarget) => Promise<Result<{ url: string }>>

/**
 * "Open blog" / "Open admin" in the system browser. The admin's one-time sign-in link is minted here,
 * at the moment it is opened, and never leaves the main process; only the blog's own origins are opened.
 */
export function createLinkOpener(service: Pick<ConsoleService, 'call' | 'issueLoginLink' | 'blogOrigins'>, openExternal: (url: string) => Promise<void>): LinkOpener {
  return async (target) => {
    const page = await service.call('link:open', { target })
    if (!page.ok) return page
    let url = page.data.url
    if (target === 'admin') {
      const link = await service.issueLoginLink()
      if (!link.ok) return link
      url = link.data.url
    }
    if (!isBlogUrl(url, service.blogOrigins())) return { ok: false, error: LINK_REFUSED }
    try {
      await openExternal(url)
    } catch {
      return { ok: false, error: OPEN_FAILED }
    }
    return { ok: true, data: { url: page.data.url } }
  }
}

export interface IpcEffects {
  trusted: TrustedOrigins
  /** Electron's shell.openExternal: opening a link is the desktop transport's effect of `link:open`. */
  openExternal: (url: string) => Promise<void>
}

/** Register one handler per contract call; every call first checks who sent it. Returns the unregister function. */
export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  service: Pick<ConsoleService, 'call' | 'dispatch' | 'issueLoginLink' | 'blogOrigins'>,
  { trusted, openExternal }: IpcEffects,
): () => void {
  const openLink = createLinkOpener(service, openExternal)
  const channels = CALL_NAMES.map((name) => {
    const channel = ipcChannel.call(name)
    ipcMain.handle(channel, async (event, request): Promise<Result<unknown>> => {
      if (!isTrustedSender(event.senderFrame?.url, trusted)) return { ok: false, error: REJECTED_SENDER }
      if (name === 'link:open') {
        const parsed = parseCallRequest('link:open', request)
        if (parsed.ok) return openLink(parsed.data.target)
      }
      return service.dispatch(name, request)
    })
    return channel
  })
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel)
  }
}

/** Forward every pushed event to the window, on its contract channel. Returns the unsubscribe function. */
export function forwardEvents(service: Pick<ConsoleService, 'subscribe'>, send: (channel: string, payload: unknown) => void): () => void {
  const known = new Set<string>(EVENT_NAMES)
  return service.subscribe((event) => {
    if (known.has(event.name)) send(ipcChannel.event(event.name), event.payload)
  })
}
