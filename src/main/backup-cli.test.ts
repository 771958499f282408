import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { startTestServer } from '../../test/helpers/server'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../..')
const TSX = join(ROOT, 'node_modules/.bin/tsx')
const work = mkdtempSync(join(tmpdir(), 'starpunk-backup-cli-'))

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['--tsconfig', 'tsconfig.node.json', 'src/main/backup-cli.ts', ...args], { cwd: ROOT, env: { ...process.env, STARPUNK_FETCH_ENABLED: 'false', ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('npm run backup / npm run restore', () => {
  it('backs up a running server, restores into a new dir, and refuses with the catalog words and exit 1, never a stack', { timeout: 120_000 }, async () => {
    const ts = await startTestServer()
    try {
      await ts.server.context.micropub.create('entry', { content: ['Backed up from the command line'] }, {})
      const file = join(work, 'blog.tar.gz')
      const made = await cli(['backup', file], { STARPUNK_DATA_DIR: ts.dataDir })
      expect(made).toMatchObject({ code: 0, stderr: '' })
      expect(made.stdout).toContain(`to ${file}`)
      expect(statSync(file).mode & 0o777).toBe(0o600)

      const again = await cli(['backup', file], { STARPUNK_DATA_DIR: ts.dataDir })
      expect(again.code).toBe(1)
      expect(again.stderr).toContain('[BACKUP_FILE_EXISTS]')

      const target = join(work, 'restored')
      const restored = await cli(['restore', file, target])
      expect(restored.code).toBe(0)
      expect(restored.stdout).toContain(`into ${target}`)
      expect(readdirSync(target)).toContain('starpunk.db')

      const busy = await cli(['restore', file, target])
      expect(busy.code).toBe(1)
      expect(busy.stderr).toContain('[RESTORE_TARGET_NOT_EMPTY]')
      expect(busy.stderr).toContain('--replace')

      writeFileSync(join(work, 'junk.tar.gz'), 'not an archive')
      const junk = await cli(['restore', join(work, 'junk.tar.gz'), join(work, 'junk-target')])
      expect(junk.code).toBe(1)
      expect(junk.stderr).toContain('[BACKUP_NOT_AN_ARCHIVE]')
      const missing = await cli(['restore', join(work, 'missing.tar.gz'), join(work, 'missing-target')])
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain('[BACKUP_NOT_FOUND]')
      for (const out of [again, busy, junk, missing]) expect(out.stderr).not.toMatch(/\n\s+at /)

      const usage = await cli(['restore', file])
      expect(usage.code).toBe(2)
      expect(usage.stderr).toContain('Usage:')

      // Without FILE: into <data dir>/backups, keeping STARPUNK_BACKUP_KEEP.
      const kept = await cli(['backup'], { STARPUNK_DATA_DIR: ts.dataDir, STARPUNK_BACKUP_KEEP: '1' })
      expect(kept.code).toBe(0)
      expect(readdirSync(join(ts.dataDir, 'backups'))).toHaveLength(1)
    } finally {
      await ts.close()
    }
  })
})
