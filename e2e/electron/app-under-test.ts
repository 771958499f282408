import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const project = resolve(__dirname, '../..')

export interface AppUnderTest {
  /** What is launched. */
  executablePath: string
  /** Arguments (the project directory when running the unpacked app with a plain Electron). */
  args: string[]
  description: string
}

/** The packaged app electron-builder left in dist/ for this platform (linux-unpacked, mac*, win-unpacked). */
function packagedApp(): string | null {
  const dist = join(project, 'dist')
  if (!existsSync(dist)) return null
  const candidates: string[] = []
  if (process.platform === 'linux') candidates.push(join(dist, 'linux-unpacked', 'starpunk'))
  else if (process.platform === 'win32') candidates.push(join(dist, 'win-unpacked', 'StarPunk.exe'))
  else if (process.platform === 'darwin') {
    for (const dir of readdirSync(dist)) if (dir.startsWith('mac')) candidates.push(join(dist, dir, 'StarPunk.app', 'Contents', 'MacOS', 'StarPunk'))
  }
  return candidates.find((file) => existsSync(file)) ?? null
}

/** A plain Electron binary from node_modules/electron, to run the built but unpackaged app. */
function electronBinary(): string | null {
  const pkg = join(project, 'node_modules', 'electron')
  const pathFile = join(pkg, 'path.txt')
  if (!existsSync(pathFile)) return null
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(binary) ? binary : null
}

/**
 * STARPUNK_ELECTRON_APP (an executable) wins; then the packaged app in dist/; then the unpacked app under
 * the installed Electron. Null when none exists, as on a machine without Electron's binary.
 */
export function findAppUnderTest(): AppUnderTest | null {
  const explicit = process.env.STARPUNK_ELECTRON_APP
  if (explicit) return { executablePath: explicit, args: [], description: `STARPUNK_ELECTRON_APP=${explicit}` }
  const packaged = packagedApp()
  if (packaged) return { executablePath: packaged, args: [], description: `packaged app ${packaged}` }
  const electron = electronBinary()
  if (electron && existsSync(join(project, 'out', 'main', 'index.js'))) return { executablePath: electron, args: [project], description: `unpacked app under ${electron}` }
  return null
}
