#!/usr/bin/env node
// `npm run package`: build the desktop app and package it with electron-builder (electron-builder.yml)
// for this platform: AppImage + deb on Linux, dmg on macOS, NSIS installer on Windows. Extra arguments go
// to electron-builder (`npm run package -- --linux deb`).
//
// Packaging needs things this script cannot make: the Electron binary (to pack, and to rebuild
// better-sqlite3 against), network access (Electron's headers for the native rebuild, electron-builder's
// packaging tools) and Node >= 22.12 (@electron/rebuild). It checks what it can first and stops with a
// clear message and a non-zero exit, instead of failing half-way.
import { spawnSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { electronVersion, findElectron } from './electron-binary.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const passThrough = process.argv.slice(2)

const electron = findElectron()
const problems = []
if (!electron) {
  problems.push(
    `The Electron ${electronVersion() ?? ''} binary is not installed (node_modules/electron has no dist/). Fetch it on a machine with internet: node node_modules/electron/install.js (or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron).`,
  )
}
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 12)) problems.push(`Node ${process.versions.node} is too old for the native rebuild (@electron/rebuild needs Node >= 22.12).`)

if (problems.length > 0) {
  console.error(
    [
      'Cannot package StarPunk desktop on this machine:',
      ...problems.map((p) => `  - ${p}`),
      '',
      'Packaging also downloads, so it needs network access: Electron headers to rebuild better-sqlite3 for',
      "Electron's ABI, and electron-builder's tools (AppImage, fpm for deb, NSIS, dmg). The GitHub Actions",
      'workflow .github/workflows/desktop.yml does all of this on Linux, macOS and Windows runners.',
      '',
      'Without Electron, run the blog headless: npm run serve',
    ].join('\n'),
  )
  process.exit(1)
}

function step(title, command, args) {
  console.log(`\n== ${title}`)
  const result = spawnSync(process.execPath, [command, ...args], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`\nPackaging stopped: "${title}" failed (exit ${result.status ?? result.signal}). See the output above; a download error means this machine cannot reach the network.`)
    process.exit(result.status || 1)
  }
}

const builderCli = join(root, 'node_modules/electron-builder/cli.js')
step('Build main, preload and renderer', join(root, 'node_modules/electron-vite/bin/electron-vite.js'), ['build'])
// The server core the app starts: the same esbuild bundle `npm run serve` runs (out/server, packed by out/**).
step('Build the server core', join(root, 'scripts/build-server.mjs'), ['--force'])
// Rebuild native modules (better-sqlite3) in node_modules for Electron's ABI; electron-builder checks
// again while packaging (npmRebuild), which finds them current.
step(`Rebuild native modules for Electron ${electronVersion()}`, builderCli, ['install-app-deps'])
// With no platform flags, package for this platform from the Electron already installed here instead
// of downloading another copy.
const crossBuild = passThrough.some((arg) => ['--linux', '--mac', '--macos', '--win', '--windows', '-l', '-m', '-w'].includes(arg))
const electronDist = crossBuild || !electron ? [] : [`-c.electronDist=${electron.distDir}`]
step('Package with electron-builder', builderCli, ['--publish', 'never', ...electronDist, ...passThrough])

console.log(
  [
    '',
    'Packages are in dist/.',
    'node_modules/better-sqlite3 is now built for Electron; before `npm test` (plain Node) run: npm rebuild better-sqlite3',
  ].join('\n'),
)
