/**
 * Where the shell finds its files, for packaged and unpackaged runs; pure, so both layouts are tested
 * in plain Node. Packaged (electron-builder): everything lives in <resources>/app.asar, which is
 * app.getAppPath(). Unpacked (`npm start`): the bundle is in <project>/out and the icons in
 * <project>/resources, found from the bundled main file's own directory.
 */
import { join, resolve } from 'node:path'

export interface DesktopPathInputs {
  isPackaged: boolean
  /** app.getAppPath(): the app.asar file when packaged, the project directory when unpacked. */
  appPath: string
  /** Directory of the bundled main file (out/main). */
  mainDir: string
  /** app.getPath('userData'): per-user, writable, and the key of Electron's single-instance lock. */
  userDataDir: string
  /** The process's working directory. */
  cwd: string
}

export interface DesktopPaths {
  /** The console's built files (index.html and assets), served at app://console. */
  rendererDir: string
  /** The sandboxed preload script (CommonJS). */
  preloadFile: string
  /** App and tray icons. */
  iconsDir: string
  /**
   * The server core's supervisor as `npm run serve` runs it: the esbuild bundle in out/server, so the app
   * and the headless server start the same compiled code.
   */
  serverModule: string
  /**
   * The directory a relative STARPUNK_DATA_DIR (default ./data) is resolved against. A packaged app is
   * started from wherever the desktop launched it (often "/", read-only), so its data goes under the
   * user-data directory; an unpacked run keeps the working directory, like the CLI.
   */
  serverCwd: string
}

export function resolveDesktopPaths(inputs: DesktopPathInputs): DesktopPaths {
  if (inputs.isPackaged) {
    return {
      rendererDir: join(inputs.appPath, 'out', 'renderer'),
      preloadFile: join(inputs.appPath, 'out', 'preload', 'index.cjs'),
      iconsDir: join(inputs.appPath, 'resources'),
      serverModule: join(inputs.appPath, 'out', 'server', 'supervisor.mjs'),
      serverCwd: inputs.userDataDir,
    }
  }
  return {
    rendererDir: resolve(inputs.mainDir, '..', 'renderer'),
    preloadFile: resolve(inputs.mainDir, '..', 'preload', 'index.cjs'),
    iconsDir: resolve(inputs.mainDir, '..', '..', 'resources'),
    serverModule: resolve(inputs.mainDir, '..', 'server', 'supervisor.mjs'),
    serverCwd: inputs.cwd,
  }
}
