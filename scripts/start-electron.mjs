#!/usr/bin/env node
// `npm start`: build main, preload and renderer, then launch Electron. Where the Electron binary is not
// installed (CI, servers, this sandbox), say so and point at the headless mode instead of crashing.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

function electronBinary() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const candidate = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron')
    return existsSync(candidate) ? candidate : null
  }
  let pkgDir
  try {
    pkgDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
  // Do not `require('electron')`: without the binary it tries to download it.
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile)) return null
  const binary = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(binary) ? binary : null
}

const binary = electronBinary()
if (!binary) {
  console.error(
    [
      'StarPunk desktop cannot start: the Electron binary is not installed on this machine.',
      '',
      'Run the blog headless instead, and use the same console in your browser:',
      '  npm run serve        then open http://127.0.0.1:8080/admin/console/ (sign in with the one-time link it prints)',
      '',
      'To get the desktop app, install Electron\'s binary (needs internet): npx install-electron --no',
    ].join('\n'),
  )
  process.exit(1)
}

const build = spawnSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) {
  console.error('Building the desktop app failed (see above).')
  process.exit(build.status ?? 1)
}
const child = spawn(binary, [root], { cwd: root, stdio: 'inherit' })
child.on('exit', (code) => process.exit(code ?? 0))
