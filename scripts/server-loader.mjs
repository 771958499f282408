// Copied into out/server/load.mjs by build-server.mjs: runs out/server/server.cjs, the server bundled into one
// CommonJS file, through a V8 code cache. Start-up was spent mostly resolving, reading and compiling modules
// (docs/performance.md, "Start-up"); one file removes the resolving, and the cache (V8's own serialised
// bytecode of what the last start compiled) removes most of the compiling. A cache V8 rejects (another node
// or Electron, another bundle) is simply rewritten; where out/server is read-only the server runs without one.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'

const here = dirname(fileURLToPath(import.meta.url))
const bundleFile = join(here, 'server.cjs')
// One cache per V8: the desktop app's Electron and the node that runs `npm run serve` differ.
const cacheFile = join(here, `server.cjs.${process.versions.v8.replace(/[^0-9a-z.-]/gi, '_')}.cache`)

function readCache() {
  try {
    return readFileSync(cacheFile)
  } catch {
    return undefined
  }
}

/** The bundle's exports, and saveCodeCache() to call once the server has started (what it compiled by then is kept). */
export function loadServerBundle() {
  // The bundle is already the module wrapper `(function (exports, require, ...) {...})`, and ASCII (the build
  // checks): read as latin1, node hands V8 the bytes as an external string, outside the JavaScript heap.
  const cachedData = readCache()
  const script = new Script(readFileSync(bundleFile, 'latin1'), { filename: bundleFile, cachedData })
  const module = { exports: {}, filename: bundleFile, id: bundleFile, loaded: false }
  script.runInThisContext()(module.exports, createRequire(bundleFile), module, bundleFile, here)
  module.loaded = true
  let saved = cachedData !== undefined && !script.cachedDataRejected
  return {
    exports: module.exports,
    saveCodeCache() {
      if (saved) return
      saved = true
      const temp = `${cacheFile}.${process.pid}.tmp`
      try {
        writeFileSync(temp, script.createCachedData())
        renameSync(temp, cacheFile)
      } catch {
        // Read-only install or full disk: the next start compiles again, nothing else changes.
        rmSync(temp, { force: true })
      }
    },
  }
}
