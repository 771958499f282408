/**
 * The Electron runtime cannot exist here: this module stands in for `electron` (the one allowed double),
 * with `vi.mock('electron', () => import('…/electron-stand-in'))`. It behaves like the real modules as far
 * as the bridge and the IPC handlers can tell: ipcRenderer.invoke reaches the handler ipcMain.handle
 * registered (with the sender frame of the app's own window unless told otherwise), ipcRenderer.on hears
 * what a test sends on a channel, and shell.openExternal records what would have opened in the browser.
 */
type Handler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown

export const standIn = {
  /** What the preload exposed with contextBridge.exposeInMainWorld. */
  exposed: {} as Record<string, unknown>,
  /** Every ipcRenderer.invoke, in order. */
  invoked: [] as Array<[string, unknown]>,
  handlers: new Map<string, Handler>(),
  listeners: new Map<string, Set<(...args: unknown[]) => void>>(),
  /** URLs shell.openExternal was asked to open. */
  opened: [] as string[],
  /** The URL of the frame that sends IPC calls (the app window's, by default). */
  senderUrl: 'app://console/index.html',
  /** What invoke answers on a channel nobody handles (a preload tested on its own). */
  unhandled: (channel: string): unknown => ({ ok: true, data: { channel } }),
  /** Deliver `payload` on an event channel, the way webContents.send would. */
  send(channel: string, payload: unknown): void {
    for (const listener of this.listeners.get(channel) ?? []) listener({ sender: 'ipc-event-object' }, payload)
  },
}

export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    standIn.exposed[key] = api
  },
}

export const ipcRenderer = {
  async invoke(channel: string, payload: unknown): Promise<unknown> {
    standIn.invoked.push([channel, payload])
    const handler = standIn.handlers.get(channel)
    if (!handler) return standIn.unhandled(channel)
    // Electron copies arguments with the structured clone algorithm.
    return handler({ senderFrame: { url: standIn.senderUrl } }, payload === undefined ? undefined : structuredClone(payload))
  },
  on(channel: string, listener: (...args: unknown[]) => void): void {
    const set = standIn.listeners.get(channel) ?? new Set()
    set.add(listener)
    standIn.listeners.set(channel, set)
  },
  removeListener(channel: string, listener: (...args: unknown[]) => void): void {
    standIn.listeners.get(channel)?.delete(listener)
  },
}

export const ipcMain = {
  handle(channel: string, handler: Handler): void {
    if (standIn.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    standIn.handlers.set(channel, handler)
  },
  removeHandler(channel: string): void {
    standIn.handlers.delete(channel)
  },
}

export const shell = {
  async openExternal(url: string): Promise<void> {
    standIn.opened.push(url)
  },
}
