import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { AppError } from '../errors'
import { createLogging } from '../logging'
import { migrate, runMigrations } from './migrate'
import { MIGRATIONS } from './migrations'
import type { Migration } from './types'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../../../..')
const CHILD = join(here, 'test-support', 'migrate-child.ts')

interface ChildResult {
  code: number | null
  report: { applied?: string[]; error?: string }
  stderr: string
}

function startChild(dbPath: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dbPath], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const ready = new Promise<void>((resolveReady, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (stdout.startsWith('ready\n')) resolveReady()
    })
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before ready: ${stderr}`)))
  })
  const done = new Promise<ChildResult>((resolveDone) => {
    child.once('exit', (code) => {
      const last = stdout.trim().split('\n').pop() ?? ''
      let report: ChildResult['report']
      try {
        report = JSON.parse(last) as ChildResult['report']
      } catch {
        report = { error: `no report: ${last}` }
      }
      resolveDone({ code, report, stderr })
    })
  })
  return { child, ready, done }
}

function quietLogger() {
  return createLogging({ logLevel: 'ERROR', logFormat: 'json', logDir: '/nonexistent' }, { write: () => {} })
}

describe('migrations', () => {
  it('two real processes migrating one new file at the same instant apply each migration exactly once (many rounds)', async () => {
    const rounds = 6
    const expected = [...MIGRATIONS.map((m) => m.name), '999_race_probe'].sort()
    for (let round = 0; round < rounds; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'starpunk-migrate-race-'))
      const dbPath = join(dir, 'starpunk.db')
      try {
        const a = startChild(dbPath)
        const b = startChild(dbPath)
        await Promise.all([a.ready, b.ready])
        a.child.stdin.end('go\n')
        b.child.stdin.end('go\n')
        const [ra, rb] = await Promise.all([a.done, b.done])
        expect(ra.report, ra.stderr).not.toHaveProperty('error')
        expect(rb.report, rb.stderr).not.toHaveProperty('error')
        expect([ra.code, rb.code]).toEqual([0, 0])
        // Between them they applied everything, and no migration was applied by both.
        const appliedA = ra.report.applied ?? []
        const appliedB = rb.report.applied ?? []
        expect([...appliedA, ...appliedB].sort()).toEqual(expected)

        const check = new Database(dbPath, { readonly: true })
        try {
          const names = check.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all()
          expect(names).toEqual(expected)
          expect(check.prepare('SELECT count(*) FROM race_probe').pluck().get()).toBe(1)
          expect(check.pragma('integrity_check', { simple: true })).toBe('ok')
          expect(check.pragma('journal_mode', { simple: true })).toBe('wal')
          const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()
          for (const table of ['notes', 'tags', 'note_tags', 'sessions', 'tokens', 'media', 'schema_migrations']) expect(tables).toContain(table)
        } finally {
          check.close()
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }, 240_000)

  it('a failing migration rolls back every migration of that start and reports MIGRATION_FAILED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'starpunk-migrate-fail-'))
    const conn = new Database(join(dir, 'starpunk.db'))
    const logging = quietLogger()
    const broken: Migration = { name: '998_broken', up: (c) => c.exec('CREATE TABLE half (x); THIS IS NOT SQL') }
    try {
      const err = (await migrate(conn, logging.logger, { busyTimeoutMs: 1000, migrations: [...MIGRATIONS, broken] }).catch((e: unknown) => e)) as AppError
      expect(err).toBeInstanceOf(AppError)
      expect(err.code).toBe('MIGRATION_FAILED')
      expect(err.info.message).toContain('998_broken')
      expect(conn.inTransaction).toBe(false)
      // Nothing of that start remains: not 001's tables, not the half-made table, no tracking rows.
      const tables = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()
      expect(tables).not.toContain('notes')
      expect(tables).not.toContain('half')
      // Fixing the migration and starting again applies everything.
      const fixed: Migration = { name: '998_broken', up: (c) => c.exec('CREATE TABLE half (x)') }
      const applied = await migrate(conn, logging.logger, { busyTimeoutMs: 1000, migrations: [...MIGRATIONS, fixed] })
      expect(applied).toEqual([...MIGRATIONS.map((m) => m.name), '998_broken'])
    } finally {
      conn.close()
      await logging.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('applies only what is pending on a later start, and logs start and finish', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'starpunk-migrate-later-'))
    const conn = new Database(join(dir, 'starpunk.db'))
    const lines: string[] = []
    const logging = createLogging({ logLevel: 'DEBUG', logFormat: 'json', logDir: dir }, { write: (l) => lines.push(l) })
    const extra: Migration = { name: '997_extra', up: (c) => c.exec('CREATE TABLE extra (x)') }
    try {
      expect(runMigrations(conn, logging.logger)).toEqual(MIGRATIONS.map((m) => m.name))
      expect(await migrate(conn, logging.logger, { busyTimeoutMs: 1000 })).toEqual([])
      expect(await migrate(conn, logging.logger, { busyTimeoutMs: 1000, migrations: [...MIGRATIONS, extra] })).toEqual(['997_extra'])
      const messages = lines.map((l) => (JSON.parse(l) as { msg?: string; message?: string }).msg ?? (JSON.parse(l) as { message?: string }).message)
      expect(messages.filter((m) => m === 'migrations starting')).toHaveLength(2)
      expect(messages.filter((m) => m === 'migrations finished')).toHaveLength(2)
      expect(messages.filter((m) => m === 'migration applied')).toHaveLength(MIGRATIONS.length + 1)
    } finally {
      conn.close()
      await logging.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('waits for another process holding the write lock, then gives up with DATABASE_LOCKED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'starpunk-migrate-locked-'))
    const path = join(dir, 'starpunk.db')
    const holder = new Database(path)
    holder.exec('CREATE TABLE unrelated (x)')
    holder.exec('BEGIN IMMEDIATE')
    const conn = new Database(path)
    conn.pragma('busy_timeout = 5')
    const logging = quietLogger()
    try {
      await expect(migrate(conn, logging.logger, { busyTimeoutMs: 300 })).rejects.toMatchObject({ code: 'DATABASE_LOCKED' })
      holder.exec('COMMIT')
      expect(await migrate(conn, logging.logger, { busyTimeoutMs: 300 })).toEqual(MIGRATIONS.map((m) => m.name))
    } finally {
      holder.close()
      conn.close()
      await logging.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a migration list out of order', () => {
    const conn = new Database(':memory:')
    const logging = quietLogger()
    const out: Migration = { name: '000_too_early', up: () => {} }
    expect(() => runMigrations(conn, logging.logger, [...MIGRATIONS, out])).toThrow(/in order/)
    conn.close()
  })
})
