#!/usr/bin/env node
// Builds the console renderer (src/renderer → out/renderer) when its output is missing or older than its
// sources, so `npm run serve` on a fresh clone serves a working /admin/console/. Renderer only, so it
// takes a second or two; `npm run build` (electron-vite) builds main, preload and renderer together.
// The options match the renderer section of electron.vite.config.ts.
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, 'out/renderer')
const marker = join(outDir, 'index.html')
const sources = [join(root, 'src/renderer'), join(root, 'src/shared'), join(root, 'electron.vite.config.ts'), join(root, 'package.json')]

/** The newest modification time under a path (0 when it does not exist). */
export function newest(path) {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let max = stat.mtimeMs
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)))
  return max
}

export function isStale() {
  if (!existsSync(marker)) return true
  return newest(marker) < Math.max(...sources.map(newest))
}

async function withLock(fn) {
  // Several test workers may ask at once: one builds, the others wait for it.
  const lock = join(root, 'out/.console-build.lock')
  mkdirSync(dirname(lock), { recursive: true })
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(lock)
      break
    } catch {
      const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : 0
      if (age > 120_000) rmdirSync(lock, { recursive: true })
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  try {
    return await fn()
  } finally {
    rmdirSync(lock)
  }
}

export async function ensureConsoleBuilt({ force = false } = {}) {
  if (!force && !isStale()) return false
  return withLock(async () => {
    if (!force && !isStale()) return false
    // A production React build, whatever NODE_ENV the caller runs under (vitest sets it to "test").
    process.env.NODE_ENV = 'production'
    const { build } = await import('vite')
    const { default: react } = await import('@vitejs/plugin-react')
    await build({
      configFile: false,
      mode: 'production',
      root: join(root, 'src/renderer'),
      base: './',
      logLevel: 'warn',
      plugins: [react()],
      build: { outDir, emptyOutDir: true, rollupOptions: { input: { index: join(root, 'src/renderer/index.html') } } },
    })
    return true
  })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force')
  ensureConsoleBuilt({ force }).then(
    (built) => {
      if (built) console.error('Admin console built into out/renderer.')
    },
    (err) => {
      console.error(`Building the admin console failed: ${err instanceof Error ? err.message : String(err)}`)
      console.error('The blog still works; /admin/console/ will say the console is not built. Run `npm run build:console` to see the full error.')
      // Not fatal for serving the blog.
      process.exit(0)
    },
  )
}
