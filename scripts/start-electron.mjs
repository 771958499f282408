#!/usr/bin/env node
// `npm start`: build main, preload and renderer, then launch Electron. Where the Electron binary is not
// installed (CI, servers, this sandbox), say so and point at the headless mode instead of crashing.
import { spawn, spawnSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findElectron } from './electron-binary.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const binary = findElectron()?.binary ?? null
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
// The app starts the server from the same compiled bundle as `npm run serve` (out/server).
const server = spawnSync(process.execPath, [join(root, 'scripts/build-server.mjs')], { cwd: root, stdio: 'inherit' })
if (server.status !== 0) {
  console.error('Building the server failed (see above).')
  process.exit(server.status ?? 1)
}
const child = spawn(binary, [root], { cwd: root, stdio: 'inherit' })
child.on('exit', (code) => process.exit(code ?? 0))
