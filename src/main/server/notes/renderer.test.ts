import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'

const project = resolve(__dirname, '../../../..')

describe('the render thread and the life of the process', () => {
  it('keeps a process alive while it renders (its start included), and lets it end when idle without close()', () => {
    const dir = mkdtempSync(join(tmpdir(), 'starpunk-render-'))
    try {
      const script = join(dir, 'render-once.ts')
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
