// Finds the installed Electron binary without `require('electron')`, which would try to download it
// where it is missing. Shared by `npm start`, `npm run package` and the Electron smoke test.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/** Executable name inside an Electron dist directory, per platform. */
export function executableIn(distDir, platform = process.platform) {
  return join(distDir, platform === 'win32' ? 'electron.exe' : platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron')
}

/** { binary, distDir } of the installed Electron, or null when its binary is not on this machine. */
export function findElectron() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const binary = executableIn(process.env.ELECTRON_OVERRIDE_DIST_PATH)
    return existsSync(binary) ? { binary, distDir: process.env.ELECTRON_OVERRIDE_DIST_PATH } : null
  }
  let pkgDir
  try {
    pkgDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile)) return null
  const distDir = join(pkgDir, 'dist')
  const binary = join(distDir, readFileSync(pathFile, 'utf8').trim())
  return existsSync(binary) ? { binary, distDir } : null
}

/** The version of the installed electron package (what native modules must be rebuilt for). */
export function electronVersion() {
  try {
    return JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
  } catch {
    return null
  }
}
