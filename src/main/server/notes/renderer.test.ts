import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config'
import { createLogging } from '../logging'
import { createNoteRenderer } from './renderer'
import { ordinaryNote, pathologicalNotes } from './testing'

const project = resolve(__dirname, '../../../..')

describe('the render thread and the life of the process', () => {
  it('keeps a process alive while it renders (its start included), and lets it end when idle without close()', () => {
    const dir = mkdtempSync(join(tmpdir(), 'starpunk-render-'))
    try {
      // .mts: an ES module wherever the temp dir is (a .ts there is CommonJS unless a package.json says otherwise).
      const script = join(dir, 'render-once.mts')
      const module = (path: string) => JSON.stringify(pathToFileURL(join(project, path)).href)
      // A command-line use: one render awaited at top level, nothing else holding the event loop open.
      writeFileSync(
        script,
        `import { createNoteRenderer } from ${module('src/main/server/notes/renderer.ts')}
import { loadConfig } from ${module('src/main/server/config/index.ts')}
import { createLogging } from ${module('src/main/server/logging/index.ts')}
const { config } = loadConfig({ env: { STARPUNK_PORT: '0', STARPUNK_DATA_DIR: ${JSON.stringify(dir)} } })
const renderer = createNoteRenderer({ logger: createLogging(config, { write: () => {} }).logger })
process.stdout.write(await renderer.markdown('**once**'))
`,
      )
      const run = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: project, encoding: 'utf8', env: { ...process.env, TSX_TSCONFIG_PATH: join(project, 'tsconfig.node.json') } })
      // Exit code 13 is Node's "unfinished top-level await": the event loop emptied mid-render.
      expect({ status: run.status, stdout: run.stdout }, run.stderr).toEqual({ status: 0, stdout: '<p><strong>once</strong></p>\n' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the render thread gives back the heap large notes grew', () => {
  const logger = () => createLogging(loadConfig({ env: { STARPUNK_PORT: '0' } }).config, { write: () => {} }).logger

  it('a thread whose heap passed the bound is replaced before the next job, and the results stay right', async () => {
    const renderer = createNoteRenderer({ logger: logger(), retireAboveHeapBytes: 1 })
    try {
      for (const n of [1, 2, 3]) expect(await renderer.markdown(`**${n}**`)).toBe(`<p><strong>${n}</strong></p>\n`)
      // Each job's thread was replaced right after it: the next one was already there for the next job.
      expect(renderer.stats()).toMatchObject({ started: 4, rendered: 3 })
    } finally {
      await renderer.close()
    }
  })

  it('with the default bound, everyday notes keep one thread and notes at the cap retire it', async () => {
    const renderer = createNoteRenderer({ logger: logger() })
    try {
      for (let i = 0; i < 40; i++) await renderer.markdown(ordinaryNote(2_000))
      expect(renderer.stats().started).toBe(1)
      const shapes = Object.values(pathologicalNotes(256 * 1024))
      for (const source of [...shapes, ...shapes]) await renderer.markdown(source)
      expect(renderer.stats().started).toBeGreaterThan(1)
    } finally {
      await renderer.close()
    }
  })
})
