/**
 * The IPC transport of the console contract, generated from CALL_NAMES / EVENT_NAMES. Takes ipcMain and
 * the window's send function as parameters, so the table and the sender check are tested in plain Node.
 */
import { CALL_NAMES, EVENT_NAMES, ipcChannel, type Result } from '../../shared/contract'
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

/** Register one handler per contract call; every call first checks who sent it. Returns the unregister function. */
export function registerIpcHandlers(ipcMain: IpcMainLike, service: Pick<ConsoleService, 'call'>, trusted: TrustedOrigins): () => void {
  const channels = CALL_NAMES.map((name) => {
    const channel = ipcChannel.call(name)
    ipcMain.handle(channel, async (event, request): Promise<Result<unknown>> => {
      if (!isTrustedSender(event.senderFrame?.url, trusted)) return { ok: false, error: REJECTED_SENDER }
      return service.call(name, request)
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
