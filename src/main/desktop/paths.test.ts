import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveDesktopPaths } from './paths'

const project = resolve(__dirname, '../../..')

describe('desktop paths', () => {
  it('finds the built files of an unpacked run from the bundled main file, in this very checkout', () => {
    const paths = resolveDesktopPaths({ isPackaged: false, appPath: project, mainDir: join(project, 'out', 'main'), userDataDir: '/home/u/.config/StarPunk', cwd: '/work/here' })
    expect(paths).toEqual({
      rendererDir: join(project, 'out', 'renderer'),
      preloadFile: join(project, 'out', 'preload', 'index.cjs'),
      iconsDir: join(project, 'resources'),
      serverModule: join(project, 'out', 'server', 'supervisor.mjs'),
      serverCwd: '/work/here',
    })
    // The icons are in the repository; the renderer and preload exist once `electron-vite build` ran.
    expect(existsSync(join(paths.iconsDir, 'icon.png'))).toBe(true)
    expect(existsSync(join(paths.iconsDir, 'tray-off.png'))).toBe(true)
  })

  it('looks inside app.asar when packaged, and keeps the data out of the launch directory', () => {
    const appPath = '/opt/StarPunk/resources/app.asar'
    const paths = resolveDesktopPaths({ isPackaged: true, appPath, mainDir: `${appPath}/out/main`, userDataDir: '/home/u/.config/StarPunk', cwd: '/' })
    expect(paths).toEqual({
      rendererDir: join(appPath, 'out', 'renderer'),
      preloadFile: join(appPath, 'out', 'preload', 'index.cjs'),
      iconsDir: join(appPath, 'resources'),
      serverModule: join(appPath, 'out', 'server', 'supervisor.mjs'),
      serverCwd: '/home/u/.config/StarPunk',
    })
  })

  it('packaged paths do not depend on the working directory or the main file location', () => {
    const base = { isPackaged: true, appPath: 'C:\\Program Files\\StarPunk\\resources\\app.asar', userDataDir: 'C:\\Users\\u\\AppData\\Roaming\\StarPunk' }
    const a = resolveDesktopPaths({ ...base, mainDir: '/somewhere', cwd: '/tmp' })
    const b = resolveDesktopPaths({ ...base, mainDir: '/elsewhere', cwd: '/' })
    expect(a).toEqual(b)
  })
})
