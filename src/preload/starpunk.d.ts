import type { StarpunkApi } from '../shared/contract'

declare global {
  interface Window {
    /** Present inside the desktop app (preload bridge); absent in a browser, where the HTTP client is used. */
    starpunk?: StarpunkApi
  }
}

export {}
