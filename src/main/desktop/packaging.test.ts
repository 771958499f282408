import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative, resolve, sep } from 'node:path'
import { Worker } from 'node:worker_threads'
import Ajv from 'ajv'
import { minimatch } from 'minimatch'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'

/**
 * Packaging itself needs Electron and the network, so it runs only in .github/workflows/desktop.yml.
 * What can be checked here is checked: the electron-builder configuration against electron-builder's
 * own schema, that every file the reader threads load stays out of app.asar, the icon, and that
 * `npm run package` stops with a clear message where it cannot work.
 */
const project = resolve(__dirname, '../../..')
const require = createRequire(import.meta.url)
const config = parse(readFileSync(join(project, 'electron-builder.yml'), 'utf8')) as {
  files: string[]
  asarUnpack: string[]
  npmRebuild: boolean
  icon: string
  publish: unknown
  linux: { target: string[] }
  mac: { target: string[] }
  win: { target: string[] }
}
const scratch = mkdtempSync(join(tmpdir(), 'starpunk-packaging-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/**
 * The files the note render thread loads from node_modules: marked (an ES module, imported whole from one
 * file) and sanitize-html with everything it requires while sanitising.
 */
async function filesLoadedByRenderThread(): Promise<string[]> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
     const before = new Set(Object.keys(require.cache))
     const sanitizeHtml = require(workerData.sanitizeHtmlPath)
     sanitizeHtml('<p class="x">a <a href="https://example.com">b</a><img src="https://example.com/c.png"></p>', { allowedClasses: { p: ['x'] } })
     parentPort.postMessage(Object.keys(require.cache).filter((file) => !before.has(file)))`,
    { eval: true, workerData: { sanitizeHtmlPath: require.resolve('sanitize-html') } },
  )
  const loaded = await new Promise<string[]>((done, fail) => {
    worker.once('message', done)
    worker.once('error', fail)
  })
  await worker.terminate()
  return [require.resolve('marked'), ...loaded].map((file) => relative(project, file).split(sep).join('/'))
}

/**
 * The files the HEIC decoder thread loads from node_modules (heic-decode and libheif-js, by absolute path, as
 * images/heic-worker-source.ts does), found by decoding a real HEIC made with heif-enc.
 */
async function filesLoadedByHeicThread(): Promise<string[]> {
  const png = join(scratch, 'heic-source.png')
  const heic = join(scratch, 'thread.heic')
  const sharp = (await import('sharp')).default
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#c00' } }).png().toFile(png)
  const made = spawnSync('/usr/bin/heif-enc', ['-q', '50', '-o', heic, png])
  expect(made.status, String(made.stderr)).toBe(0)
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
     const { readFileSync } = require('node:fs')
     const before = new Set(Object.keys(require.cache))
     const decode = require(workerData.heicDecodePath)
     decode({ buffer: readFileSync(workerData.heic) }).then((image) => {
       parentPort.postMessage({ width: image.width, files: Object.keys(require.cache).filter((file) => !before.has(file)) })
     })`,
    { eval: true, workerData: { heicDecodePath: require.resolve('heic-decode'), heic } },
  )
  const result = await new Promise<{ width: number; files: string[] }>((done, fail) => {
    worker.once('message', done)
    worker.once('error', fail)
  })
  await worker.terminate()
  expect(result.width).toBe(16)
  return result.files.map((file) => relative(project, file).split(sep).join('/'))
}

/** The native files sharp loads (its binding; libvips comes with it from the same @img folder). */
async function nativeFilesLoadedBySharp(): Promise<string[]> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
     const sharp = require(workerData.sharpPath)
     sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } }).jpeg().toBuffer().then(() => {
       parentPort.postMessage(Object.keys(require.cache).filter((file) => file.endsWith('.node')))
     })`,
    { eval: true, workerData: { sharpPath: require.resolve('sharp') } },
  )
  const loaded = await new Promise<string[]>((done, fail) => {
    worker.once('message', done)
    worker.once('error', fail)
  })
  await worker.terminate()
  return loaded.map((file) => relative(project, file).split(sep).join('/'))
}

/** The files a reader thread loads from node_modules: the same require of better-sqlite3 and a real open. */
async function filesLoadedByReaderThread(): Promise<string[]> {
  const dbPath = join(scratch, 'reader.db')
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
     const before = new Set(Object.keys(require.cache))
     const Database = require(workerData.modulePath)
     const db = new Database(workerData.dbPath)
     db.prepare('select 1').get()
     db.close()
     parentPort.postMessage(Object.keys(require.cache).filter((file) => !before.has(file)))`,
    { eval: true, workerData: { modulePath: require.resolve('better-sqlite3'), dbPath } },
  )
  const loaded = await new Promise<string[]>((done, fail) => {
    worker.once('message', done)
    worker.once('error', fail)
  })
  await worker.terminate()
  return loaded.filter((file) => file.includes(`${sep}node_modules${sep}`)).map((file) => relative(project, file).split(sep).join('/'))
}

describe('electron-builder configuration', () => {
  it("is valid against electron-builder's own schema", () => {
    const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object
    const ajv = new Ajv({ allErrors: true, strict: false })
    const valid = ajv.validate(schema, config)
    expect(ajv.errors ?? []).toEqual([])
    expect(valid).toBe(true)
  })

  it('builds AppImage and deb, dmg and NSIS, rebuilds native modules for Electron and publishes nothing', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.mac.target).toEqual(['dmg'])
    expect(config.win.target).toEqual(['nsis'])
    expect(config.npmRebuild).toBe(true)
    expect(config.publish).toBeNull()
  })

  it('keeps every file a reader thread loads, native binding included, out of app.asar and in the package', async () => {
    const loaded = await filesLoadedByReaderThread()
    expect(loaded).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node')
    const excluded = config.files.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1))
    const notUnpacked = loaded.filter((file) => !config.asarUnpack.some((glob) => minimatch(file, glob, { dot: true })))
    const leftOut = loaded.filter((file) => excluded.some((glob) => minimatch(file, glob, { dot: true })))
    expect(notUnpacked).toEqual([])
    expect(leftOut).toEqual([])
  })

  it('keeps every file the render thread loads (marked, sanitize-html and what it requires) out of app.asar', async () => {
    const loaded = await filesLoadedByRenderThread()
    expect(loaded).toContain('node_modules/marked/lib/marked.esm.js')
    expect(loaded).toContain('node_modules/sanitize-html/index.js')
    const notUnpacked = loaded.filter((file) => !config.asarUnpack.some((glob) => minimatch(file, glob, { dot: true })))
    expect(notUnpacked).toEqual([])
  })

  it('keeps every file the HEIC decoder thread loads (heic-decode, libheif-js) out of app.asar', async () => {
    const loaded = await filesLoadedByHeicThread()
    expect(loaded.some((file) => file.startsWith('node_modules/heic-decode/'))).toBe(true)
    expect(loaded.some((file) => file.startsWith('node_modules/libheif-js/'))).toBe(true)
    const notUnpacked = loaded.filter((file) => !config.asarUnpack.some((glob) => minimatch(file, glob, { dot: true })))
    expect(notUnpacked).toEqual([])
  })

  it("keeps sharp's native binding and its libvips (dlopen cannot read an archive) out of app.asar", async () => {
    const loaded = await nativeFilesLoadedBySharp()
    expect(loaded.length).toBeGreaterThan(0)
    const notUnpacked = loaded.filter((file) => !config.asarUnpack.some((glob) => minimatch(file, glob, { dot: true })))
    expect(notUnpacked).toEqual([])
    // libvips is a shared library beside the binding, loaded by the dynamic linker: it must be unpacked too.
    const libraries = readdirSync(join(project, 'node_modules/@img'))
      .filter((name) => name.startsWith('sharp-libvips-'))
      .flatMap((name) => readdirSync(join(project, 'node_modules/@img', name, 'lib')).map((file) => `node_modules/@img/${name}/lib/${file}`))
    expect(libraries.some((file) => file.includes('libvips'))).toBe(true)
    expect(libraries.filter((file) => !config.asarUnpack.some((glob) => minimatch(file, glob, { dot: true })))).toEqual([])
  })

  it('has an app icon electron-builder can turn into every platform format (square PNG, at least 512 px)', () => {
    const png = readFileSync(join(project, config.icon))
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    const width = png.readUInt32BE(16)
    const height = png.readUInt32BE(20)
    expect(width).toBe(height)
    expect(width).toBeGreaterThanOrEqual(512)
  })
})

describe('desktop workflow', () => {
  const workflow = parse(readFileSync(join(project, '.github', 'workflows', 'desktop.yml'), 'utf8')) as {
    jobs: { package: { strategy: { matrix: { os: string[] } }; steps: Array<{ name?: string; if?: unknown; run?: string; env?: Record<string, string> }> } }
  }
  const job = workflow.jobs.package
  const steps = job.steps

  it('packages and runs the Electron smoke test on Linux, macOS and Windows, requiring the app to exist', () => {
    expect(job.strategy.matrix.os).toEqual(['ubuntu-latest', 'macos-latest', 'windows-latest'])
    expect(steps.some((step) => step.run?.startsWith('npm run package') && step.if === undefined)).toBe(true)
    const smoke = steps.filter((step) => step.run?.includes('npm run test:electron'))
    expect(smoke.length).toBeGreaterThan(0)
    for (const step of smoke) expect(step.env?.STARPUNK_REQUIRE_ELECTRON).toBe('1')
  })

  it('keeps signing and publishing as disabled steps that never run', () => {
    const secretSteps = steps.filter((step) => JSON.stringify(step).includes('secrets.'))
    expect(secretSteps.map((step) => step.name)).toEqual([
      "Package signed (disabled; needs the maintainers' certificates)",
      'Publish release for electron-updater (disabled; needs signing, an updater and a release token)',
    ])
    for (const step of secretSteps) expect(step.if).toBe(false)
  })
})

describe('npm run package where Electron is missing', () => {
  it('stops before building anything, says what it needs, and exits non-zero', () => {
    // An Electron directory without the binary in it: what this machine has, whatever machine runs the test.
    const result = spawnSync(process.execPath, [join(project, 'scripts', 'package-desktop.mjs')], {
      cwd: project,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(scratch, 'no-electron-here') },
      encoding: 'utf8',
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('Cannot package StarPunk desktop on this machine')
    expect(result.stderr).toMatch(/Electron \S+ binary is not installed/)
    expect(result.stderr).toContain('network access')
    expect(result.stderr).toContain('.github/workflows/desktop.yml')
    expect(result.stdout).not.toContain('== ')
  })
})
