#!/usr/bin/env node
// Builds a second better-sqlite3 native binding whose SQLite really lacks FTS5, so the search fallback is
// proven on the real thing rather than on a pretend "FTS5 missing" switch.
//
// It compiles the installed better-sqlite3 package against its own bundled sqlite3.c, with the defines
// from its deps/defines.gypi minus SQLITE_ENABLE_FTS5 prepended to the amalgamation, via
// `node-gyp rebuild --sqlite3=<dir>`, at -O0 (tests only: ~25 s instead of ~75 s).
//
// Output: .vendor/sqlite-nofts5/better_sqlite3.node (+ build-info.json). Skipped when already present and
// built for the installed better-sqlite3 version and this Node ABI.
//
// Usage: `node scripts/build-sqlite-nofts5.mjs [--force]`; also the vitest globalSetup (default export).
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const OUTPUT_DIR = join(root, '.vendor', 'sqlite-nofts5')
export const BINDING_PATH = join(OUTPUT_DIR, 'better_sqlite3.node')
const INFO_PATH = join(OUTPUT_DIR, 'build-info.json')
const pkgDir = join(root, 'node_modules', 'better-sqlite3')

function installedVersion() {
  return JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version
}

function wanted() {
  return { betterSqlite3: installedVersion(), nodeAbi: process.versions.modules, platform: `${process.platform}-${process.arch}` }
}

/** True when the binding exists and was built for the installed better-sqlite3 and this Node ABI. */
export function isUpToDate() {
  if (!existsSync(BINDING_PATH) || !existsSync(INFO_PATH)) return false
  try {
    const info = JSON.parse(readFileSync(INFO_PATH, 'utf8'))
    const want = wanted()
    return info.betterSqlite3 === want.betterSqlite3 && info.nodeAbi === want.nodeAbi && info.platform === want.platform
  } catch {
    return false
  }
}

/** The defines better-sqlite3 builds SQLite with, read from its generated defines.gypi. */
function readDefines() {
  const text = readFileSync(join(pkgDir, 'deps', 'defines.gypi'), 'utf8')
  return [...text.matchAll(/'([A-Z0-9_]+(?:=[^']*)?)'/g)].map((m) => m[1])
}

function findNodeGyp() {
  const require = createRequire(import.meta.url)
  try {
    return require.resolve('node-gyp/bin/node-gyp.js')
  } catch {
    // npm bundles node-gyp next to itself.
    const npmCli = process.env.npm_execpath
    const candidates = [
      npmCli ? join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js') : null,
      join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
      '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
      '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ].filter(Boolean)
    const found = candidates.find((c) => existsSync(c))
    if (!found) throw new Error('node-gyp not found: install it with `npm install -g node-gyp`')
    return found
  }
}

/** Node headers installed with the system Node (Debian/NodeSource put them in <prefix>/include/node). */
function nodeDirArgs() {
  const prefix = resolve(dirname(process.execPath), '..')
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : []
}

/** Proves the result: it loads, and SQLite says it has no fts5 module. */
function verify(bindingPath) {
  const require = createRequire(import.meta.url)
  const Database = require(join(pkgDir))
  const db = new Database(':memory:', { nativeBinding: bindingPath })
  try {
    const options = db.pragma('compile_options', { simple: false }).map((r) => r.compile_options)
    if (options.includes('ENABLE_FTS5')) throw new Error('the built SQLite still reports ENABLE_FTS5')
    try {
      db.exec('CREATE VIRTUAL TABLE probe USING fts5(body)')
    } catch (err) {
      if (/no such module: fts5/.test(String(err))) return db.prepare('SELECT sqlite_version() AS v').get().v
      throw err
    }
    throw new Error('fts5 tables can still be created with the built SQLite')
  } finally {
    db.close()
  }
}

export function build({ force = false, log = console.log } = {}) {
  if (!force && isUpToDate()) {
    log(`[sqlite-nofts5] up to date: ${BINDING_PATH}`)
    return BINDING_PATH
  }
  const started = Date.now()
  mkdirSync(OUTPUT_DIR, { recursive: true })
  // A private work dir per build: concurrent test runs never see a half-written binding (rename is atomic).
  const work = mkdtempSync(join(OUTPUT_DIR, 'work-'))
  try {
    const src = join(work, 'better-sqlite3')
    mkdirSync(join(src, 'deps'), { recursive: true })
    for (const entry of ['package.json', 'binding.gyp', 'src']) cpSync(join(pkgDir, entry), join(src, entry), { recursive: true })
    for (const entry of ['common.gypi', 'defines.gypi', 'sqlite3.gyp', 'copy.js', 'test_extension.c']) {
      cpSync(join(pkgDir, 'deps', entry), join(src, 'deps', entry))
    }
    const amalgamation = join(work, 'amalgamation')
    mkdirSync(amalgamation)
    const defines = readDefines().filter((d) => d !== 'SQLITE_ENABLE_FTS5')
    if (readDefines().length === defines.length) throw new Error('SQLITE_ENABLE_FTS5 not found in defines.gypi: the package layout changed')
    // `-DNAME` means NAME=1 to the compiler; a bare `#define NAME` would be empty and break `#if NAME`.
    const header = defines.map((d) => `#define ${d.includes('=') ? d.replace('=', ' ') : `${d} 1`}`).join('\n')
    const sqliteC = readFileSync(join(pkgDir, 'deps', 'sqlite3', 'sqlite3.c'), 'utf8')
    writeFileSync(join(amalgamation, 'sqlite3.c'), `/* StarPunk test build: better-sqlite3 defines minus SQLITE_ENABLE_FTS5 */\n${header}\n${sqliteC}`)
    cpSync(join(pkgDir, 'deps', 'sqlite3', 'sqlite3.h'), join(amalgamation, 'sqlite3.h'))
    log(`[sqlite-nofts5] building better-sqlite3 ${installedVersion()} without FTS5 (about 25-80 s)...`)
    const result = spawnSync(
      process.execPath,
      [findNodeGyp(), 'rebuild', `--sqlite3=${amalgamation}`, '--jobs=max', ...nodeDirArgs()],
      { cwd: src, env: { ...process.env, CFLAGS: '-O0', CXXFLAGS: '-O0' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    )
    if (result.status !== 0) {
      const tail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.split('\n').slice(-30).join('\n')
      throw new Error(`node-gyp failed (exit ${result.status}):\n${tail}`)
    }
    const built = join(src, 'build', 'Release', 'better_sqlite3.node')
    const sqliteVersion = verify(built)
    const tmpBinding = join(work, 'better_sqlite3.node')
    cpSync(built, tmpBinding)
    renameSync(tmpBinding, BINDING_PATH)
    writeFileSync(INFO_PATH, JSON.stringify({ ...wanted(), sqliteVersion, fts5: false, builtAt: new Date().toISOString() }, null, 2) + '\n')
    log(`[sqlite-nofts5] built SQLite ${sqliteVersion} without FTS5 in ${Math.round((Date.now() - started) / 1000)} s: ${BINDING_PATH}`)
    return BINDING_PATH
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/**
 * vitest globalSetup: make sure the binding exists before any test file runs. A failed build does not
 * stop other engineers' suites; the search tests that need the binding then fail with the reason.
 */
export default function setup() {
  try {
    build()
  } catch (err) {
    console.warn(`[sqlite-nofts5] WARNING: could not build the no-FTS5 SQLite binding: ${err instanceof Error ? err.message : String(err)}`)
    console.warn('[sqlite-nofts5] Fallback-search tests will fail until `node scripts/build-sqlite-nofts5.mjs` succeeds (needs python3, make, a C/C++ compiler and Node headers).')
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    build({ force: process.argv.includes('--force') })
  } catch (err) {
    console.error(`[sqlite-nofts5] ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  }
}
