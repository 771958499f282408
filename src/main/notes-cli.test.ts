import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { openNotesFixture } from './server/notes/testing'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../..')
const TSX = join(ROOT, 'node_modules/.bin/tsx')
const work = mkdtempSync(join(tmpdir(), 'starpunk-cli-'))

async function cli(args: string[], dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['--tsconfig', 'tsconfig.node.json', 'src/main/notes-cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, STARPUNK_DATA_DIR: dataDir, STARPUNK_PORT: '0', STARPUNK_FETCH_ENABLED: 'false' },
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('export-notes / import-notes commands', () => {
  it('export from one data dir and import into another round-trips; bad files make exit code 1', { timeout: 60_000 }, async () => {
    const sourceDir = join(work, 'source')
    const fx = await openNotesFixture(sourceDir)
    await fx.notes.create({ content: '# CLI note\n\nbody', tags: ['cli'] })
    await fx.notes.create({ content: 'draft', published: false })
    await fx.db.close()

    const folder = join(work, 'export')
    const exported = await cli(['export', folder], sourceDir)
    expect(exported.code).toBe(0)
    expect(exported.stdout).toContain('Exported 2 note(s)')
    expect(readdirSync(folder).sort()).toEqual(['cli-note.md', 'draft.md'])

    const targetDir = join(work, 'target')
    const imported = await cli(['import', folder], targetDir)
    expect(imported.code).toBe(0)
    expect(imported.stdout).toContain('2 created, 0 updated, 0 unchanged')

    writeFileSync(join(folder, 'broken.md'), 'no front matter here')
    const again = await cli(['import', folder], targetDir)
    expect(again.code).toBe(1)
    expect(again.stdout).toContain('0 created, 0 updated, 2 unchanged')
    expect(again.stderr).toContain('Skipped broken.md: no front matter')

    const check = await openNotesFixture(targetDir)
    expect((await check.notes.get('cli-note'))?.tags).toEqual(['cli'])
    // Imported notes were indexed for search in the same transactions (the CLI wires the search hooks too).
    expect(check.db.writer.prepare('SELECT COUNT(*) AS n FROM search_documents').get()).toEqual({ n: 2 })
    await check.close()
    rmSync(sourceDir, { recursive: true, force: true })
  })

  it('prints usage with exit code 2 when the folder is missing', { timeout: 30_000 }, async () => {
    const result = await cli(['export'], join(work, 'unused'))
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Usage')
  })
})
