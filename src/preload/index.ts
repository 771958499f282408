/**
 * The one curated bridge: `window.starpunk`, built from the contract's call and event names. The page
 * never sees ipcRenderer; it can only invoke the calls and hear the events the contract lists.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { ipcChannel, isCallName, isEventName, type StarpunkApi } from '../shared/contract'

const api: StarpunkApi = {
  call(name, request) {
    if (!isCallName(name)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'BAD_REQUEST', message: 'There is no console call by that name.', suggestion: 'Use a call from the contract.', troubleshooting: [] },
      })
    }
    return ipcRenderer.invoke(ipcChannel.call(name), request)
  },
  on(name, listener) {
    if (!isEventName(name)) throw new Error(`Unknown console event: ${String(name)}`)
    const channel = ipcChannel.event(name)
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload as Parameters<typeof listener>[0])
    ipcRenderer.on(channel, wrapped)
    return () => {
      ipcRenderer.removeListener(channel, wrapped)
    }
  },
}

contextBridge.exposeInMainWorld('starpunk', Object.freeze(api))
