import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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

  it('received Webmentions travel with their notes; import sends nothing unless asked', { timeout: 90_000 }, async () => {
    const sourceDir = join(work, 'wm-source')
    const fx = await openNotesFixture(sourceDir)
    const note = await fx.notes.create({ content: 'Replying to [a post](https://elsewhere.example/post).' })
    const at = Date.parse('2026-11-01T10:00:00Z')
    fx.db.writer
      .prepare(
        `INSERT INTO webmentions (note_id, source, target, source_host, type, moderation, url, author_name, author_photo, author_url, content_html, content_text, rsvp, published, created_at, updated_at)
         VALUES (?, 'https://alice.example/reply', 'http://127.0.0.1:8080/notes/x', 'alice.example', 'reply', 'approved', 'https://alice.example/reply', 'Alice', NULL, 'https://alice.example/', '<p>Nice <script>x</script>post</p>', 'Nice post', NULL, '2026-11-01T09:00:00.000Z', ?, ?)`,
      )
      .run(note.id, at, at)
    await fx.db.close()

    const folder = join(work, 'wm-export')
    expect((await cli(['export', folder], sourceDir)).code).toBe(0)
    const file = readFileSync(join(folder, readdirSync(folder)[0]!), 'utf8')
    expect(file).toContain('webmentions:')
    expect(file).toContain('https://alice.example/reply')

    const outbox = (dir: string) => {
      const count = async () => {
        const check = await openNotesFixture(dir)
        const row = check.db.writer.prepare('SELECT (SELECT COUNT(*) FROM webmention_outbox) AS sent, (SELECT COUNT(*) FROM webmentions) AS received').get()
        const html = check.db.writer.prepare('SELECT content_html FROM webmentions').pluck().get()
        await check.db.close()
        return { ...(row as { sent: number; received: number }), html }
      }
      return count()
    }
    const quiet = join(work, 'wm-quiet')
    const imported = await cli(['import', folder], quiet)
    expect(imported.code).toBe(0)
    expect(imported.stdout).toContain('1 received Webmention(s)')
    const quietCounts = await outbox(quiet)
    expect(quietCounts).toMatchObject({ sent: 0, received: 1 })
    // Sanitised again on the way in: a hand-edited file cannot bring a script.
    expect(quietCounts.html).not.toContain('<script')
    // Importing twice changes nothing.
    expect((await cli(['import', folder], quiet)).stdout).toContain('1 unchanged')
    expect(await outbox(quiet)).toMatchObject({ sent: 0, received: 1 })

    const loud = join(work, 'wm-loud')
    const asked = await cli(['import', folder, '--send-webmentions'], loud)
    expect(asked.code).toBe(0)
    expect(asked.stdout).toContain('Webmentions queued')
    expect(await outbox(loud)).toMatchObject({ sent: 1, received: 1 })
  })
})
