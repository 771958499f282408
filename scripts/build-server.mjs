#!/usr/bin/env node
// Builds the server core into plain JavaScript (src/main → out/server) with esbuild when its output is
// missing or older than its sources, so `npm run serve` starts `node out/server/cli.mjs` instead of compiling
// TypeScript at run time with tsx. Packages stay in node_modules (better-sqlite3 and sharp are native; the
// worker threads require marked, sanitize-html and better-sqlite3 by absolute path resolved from the
// bundle's own location). Entries share chunks (code splitting), so a subsystem loaded on first use with
// import() stays out of the start-up parse.
//
// `node scripts/build-server.mjs` builds when stale; `--force` always; `--check` exits 1 when stale.
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { newest } from './build-console.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const SERVER_OUT_DIR = join(root, 'out/server')
/** Written last: its time says when the whole build finished. */
const marker = join(SERVER_OUT_DIR, '.built')
const sources = [join(root, 'src/main'), join(root, 'src/shared'), join(root, 'package.json'), join(root, 'tsconfig.node.json'), fileURLToPath(import.meta.url)]
/** The entries: the headless CLI and the supervisor the desktop app starts the server with. */
export const SERVER_ENTRIES = { cli: join(root, 'src/main/cli.ts'), supervisor: join(root, 'src/main/server/supervisor.ts') }

export function isServerStale() {
  if (!existsSync(marker)) return true
  return statSync(marker).mtimeMs < Math.max(...sources.map(newest))
}

async function withLock(fn) {
  // Several test workers (or a test and `npm run serve`) may ask at once: one builds, the others wait.
  const lock = join(root, 'out/.server-build.lock')
  mkdirSync(dirname(lock), { recursive: true })
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : 0
      if (age > 120_000) rmSync(lock, { recursive: true, force: true })
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

export async function ensureServerBuilt({ force = false } = {}) {
  if (!force && !isServerStale()) return false
  return withLock(async () => {
    if (!force && !isServerStale()) return false
    await buildServer()
    return true
  })
}

async function buildServer() {
  const { build } = await import('esbuild')
  // A fresh directory each time: stale chunks of an earlier build must not linger.
  const staging = `${SERVER_OUT_DIR}.tmp-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  await build({
    entryPoints: SERVER_ENTRIES,
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    tsconfig: join(root, 'tsconfig.node.json'),
    logLevel: 'warning',
    legalComments: 'none',
  })
  writeFileSync(join(staging, '.built'), new Date().toISOString() + '\n')
  // Swap in the new build; a server already running keeps the files it loaded.
  mkdirSync(dirname(SERVER_OUT_DIR), { recursive: true })
  rmSync(SERVER_OUT_DIR, { recursive: true, force: true })
  renameSync(staging, SERVER_OUT_DIR)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) process.exit(isServerStale() ? 1 : 0)
  ensureServerBuilt({ force: process.argv.includes('--force') }).then(
    (built) => {
      if (built) console.error('Server built into out/server.')
    },
    (err) => {
      console.error(`Building the server failed: ${err instanceof Error ? err.message : String(err)}`)
      process.exit(1)
    },
  )
}
