import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import express from 'express'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AppError } from '../errors'
import { errorHandler } from '../errors'
import { createLogging } from '../logging'
import { ReaderQueryError } from './pool'
import { logFields, logMessage, openTestDb, type DbFixture } from './test-support/db-fixture'

let fixture: DbFixture | null = null
afterEach(async () => {
  await fixture?.close()
  fixture = null
})

async function open(overrides: Parameters<typeof openTestDb>[0] = {}): Promise<DbFixture> {
  fixture = await openTestDb(overrides)
  return fixture
}

function insertNote(slug: string, content = 'hello') {
  return (conn: Database.Database) =>
    conn
      .prepare('INSERT INTO notes (slug, content, content_html, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(slug, content, `<p>${content}</p>`, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z').lastInsertRowid
}

describe('db: writer and reader threads', () => {
  it('a large result comes back whole and in order (sent in parts); small ones and get() are unchanged', async () => {
    const { db } = await open({ poolSize: 1 })
    await db.write((conn) => {
      const insert = conn.prepare('INSERT INTO notes (slug, content, content_html, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      for (let i = 0; i < 60; i++) insert.run(`n${i}`, String(i).repeat(5_000), '<p></p>', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
    })
    const rows = await db.all<{ slug: string; content: string }>('SELECT slug, content FROM notes ORDER BY id')
    expect(rows.map((r) => r.slug)).toEqual(Array.from({ length: 60 }, (_, i) => `n${i}`))
    expect(rows.every((r, i) => r.content === String(i).repeat(5_000))).toBe(true)
    expect(await db.all('SELECT slug FROM notes WHERE slug = ?', ['n7'])).toEqual([{ slug: 'n7' }])
    expect(await db.all('SELECT slug FROM notes WHERE slug = ?', ['none'])).toEqual([])
    expect((await db.get<{ content: string }>('SELECT content FROM notes WHERE slug = ?', ['n59']))?.content).toBe('59'.repeat(5_000))
  })

  it('a reader thread whose heap grew past the bound is replaced between queries; small reads never renew', async () => {
    const { db } = await open({ poolSize: 1 })
    await db.write(insertNote('big', 'x'.repeat(4 * 1024 * 1024)))
    for (let i = 0; i < 100; i++) await db.get('SELECT slug FROM notes WHERE slug = ?', ['big'])
    expect(db.pool.stats.renewed).toBe(0)
    // Five copies of a 4 MiB text in one result: the thread's heap passes 16 MiB to hold them.
    const rows = await db.all<{ content: string }>('SELECT content FROM notes UNION ALL SELECT content FROM notes UNION ALL SELECT content FROM notes UNION ALL SELECT content FROM notes UNION ALL SELECT content FROM notes')
    expect(rows.map((r) => r.content.length)).toEqual(Array(5).fill(4 * 1024 * 1024))
    expect(db.pool.stats.renewed).toBe(1)
    // The fresh thread answers, and sees what was committed.
    await db.write(insertNote('after'))
    expect(await db.get<{ slug: string }>('SELECT slug FROM notes WHERE slug = ?', ['after'])).toEqual({ slug: 'after' })
    expect(db.pool.stats.renewed).toBe(1)
    expect(db.pool.snapshot()).toMatchObject({ active: 0, idle: 1 })
  })

  it('opens in WAL with foreign keys on and the documented synchronous level, and records migrations once', async () => {
    const { db } = await open()
    expect(db.writer.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.writer.pragma('foreign_keys', { simple: true })).toBe(1)
    // 1 = NORMAL (see WRITER_SYNCHRONOUS and docs/architecture.md).
    expect(db.writer.pragma('synchronous', { simple: true })).toBe(1)
    const rows = await db.all<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')
    expect(rows.map((r) => r.name)).toContain('001_initial')
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length)
  })

  it('enforces foreign keys on the writer', async () => {
    const { db } = await open()
    await expect(db.write((conn) => conn.prepare('INSERT INTO note_tags (note_id, tag_id) VALUES (999, 999)').run())).rejects.toThrow(/FOREIGN KEY/)
  })

  it('reads in worker threads see committed writes; version and onChange follow each commit', async () => {
    const { db } = await open()
    const seen: number[] = []
    const off = db.onChange(() => seen.push(db.version))
    expect(db.version).toBe(0)
    expect(await db.get('SELECT slug FROM notes WHERE slug = ?', ['first'])).toBeUndefined()
    await db.write(insertNote('first'))
    expect(await db.get<{ slug: string }>('SELECT slug FROM notes WHERE slug = ?', ['first'])).toEqual({ slug: 'first' })
    await db.write(insertNote('second'))
    off()
    await db.write(insertNote('third'))
    expect(seen).toEqual([1, 2])
    expect(db.version).toBe(3)
    const count = await db.get<{ n: number }>('SELECT count(*) AS n FROM notes')
    expect(count?.n).toBe(3)
  })

  it('rolls back everything when the write function throws, and does not bump the version', async () => {
    const { db } = await open()
    await expect(
      db.write((conn) => {
        insertNote('doomed')(conn)
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(db.version).toBe(0)
    expect(await db.get('SELECT 1 FROM notes WHERE slug = ?', ['doomed'])).toBeUndefined()
    // The writer is usable afterwards.
    await db.write(insertNote('fine'))
    expect(db.version).toBe(1)
  })

  it('rejects an async write function instead of committing half of it', async () => {
    const { db } = await open()
    await expect(db.write((async () => 1) as unknown as () => number)).rejects.toThrow(/synchronous/)
    expect(db.writer.inTransaction).toBe(false)
  })

  it('takes named and positional parameters and returns blobs as Buffers', async () => {
    const { db } = await open()
    await db.write((conn) => conn.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)'))
    await db.write((conn) => conn.prepare('INSERT INTO blobs (id, data) VALUES (?, ?)').run(1, Buffer.from([1, 2, 3])))
    const row = await db.get<{ data: Buffer }>('SELECT data FROM blobs WHERE id = :id', { id: 1 })
    expect(Buffer.isBuffer(row?.data)).toBe(true)
    expect([...(row?.data ?? [])]).toEqual([1, 2, 3])
    const byBlob = await db.get<{ id: number }>('SELECT id FROM blobs WHERE data = ?', [Buffer.from([1, 2, 3])])
    expect(byBlob?.id).toBe(1)
  })

  it('refuses writes through a reader connection', async () => {
    const { db } = await open()
    await expect(db.all("INSERT INTO tags (name, display) VALUES ('x', 'x') RETURNING id")).rejects.toThrow(/readonly|read-only|query_only/i)
    expect(await db.get('SELECT 1 FROM tags')).toBeUndefined()
  })

  it('passes SQLite errors from the threads through with their code (and no crash)', async () => {
    const { db } = await open()
    const err = await db.all('SELECT * FROM no_such_table').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReaderQueryError)
    expect((err as ReaderQueryError).code).toBe('SQLITE_ERROR')
    expect((err as Error).message).toMatch(/no such table/)
    expect((await db.get<{ one: number }>('SELECT 1 AS one'))?.one).toBe(1)
  })

  it('holds one connection across several reads with withReader and counts it as one acquisition', async () => {
    const { db } = await open()
    await db.write(insertNote('a'))
    const before = db.stats()
    const result = await db.withReader(async (reader) => {
      const inside = db.stats()
      const a = await reader.get<{ slug: string }>('SELECT slug FROM notes')
      const n = await reader.all('SELECT * FROM notes')
      return { active: inside.active, slug: a?.slug, n: n.length }
    })
    expect(result).toEqual({ active: 1, slug: 'a', n: 1 })
    const after = db.stats()
    expect(after.acquired - before.acquired).toBe(1)
    expect(after.released - before.released).toBe(1)
    expect(after.active).toBe(0)
  })

  it('refuses a reader used after its withReader callback finished', async () => {
    const { db } = await open()
    let leaked: { get: (sql: string) => Promise<unknown> } | null = null
    await db.withReader(async (reader) => {
      leaked = reader
    })
    await expect(leaked!.get('SELECT 1')).rejects.toThrow(/after withReader/)
  })
})

describe('db: the pool under load (the spec load test)', () => {
  it('20 concurrent workers × 100 acquisitions: acquired == released == 2000, nothing leaks', async () => {
    const { db } = await open({ poolSize: 4 })
    await db.write(insertNote('load'))
    const before = db.stats()
    let rowsSeen = 0
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 100; i++) {
          await db.withReader(async (reader) => {
            const row = await reader.get<{ slug: string }>('SELECT slug FROM notes WHERE slug = ?', ['load'])
            if (row?.slug === 'load') rowsSeen++
          })
        }
      }),
    )
    const stats = db.stats()
    expect(rowsSeen).toBe(2000)
    expect(stats.acquired - before.acquired).toBe(2000)
    expect(stats.released - before.released).toBe(2000)
    expect(stats.active).toBe(0)
    expect(stats.idle).toBe(4)
    expect(stats.waiting).toBe(0)
    expect(stats.timeouts).toBe(0)
    expect(stats.created).toBe(4)
    // 20 callers on 4 connections: some had to wait, and the wait was accounted for.
    expect(stats.maxWaitMs).toBeGreaterThan(0)
    expect(stats.meanWaitMs).toBeCloseTo(stats.totalWaitMs / stats.acquired, 2)
  })

  it('releases the connection when a query inside withReader throws, and when the callback throws', async () => {
    const { db } = await open({ poolSize: 2 })
    for (let i = 0; i < 10; i++) {
      await expect(db.withReader((reader) => reader.all('SELECT * FROM missing_table'))).rejects.toThrow(/no such table/)
      await expect(
        db.withReader(async () => {
          throw new Error('callback failed')
        }),
      ).rejects.toThrow('callback failed')
    }
    const stats = db.stats()
    expect(stats.acquired).toBe(stats.released)
    expect(stats.active).toBe(0)
    expect(stats.idle).toBe(2)
    // The connections still work.
    expect((await db.get<{ one: number }>('SELECT 1 AS one'))?.one).toBe(1)
  })

  it('exhaustion: with every connection held, the next acquire fails POOL_EXHAUSTED after the timeout, then recovers', async () => {
    const f = await open({ poolSize: 2, poolTimeoutMs: 200 })
    const { db } = f
    let releaseAll!: () => void
    const hold = new Promise<void>((resolve) => (releaseAll = resolve))
    const holders = [db.withReader(() => hold), db.withReader(() => hold)]
    await new Promise((r) => setImmediate(r))
    expect(db.stats().active).toBe(2)
    const err = (await db.get('SELECT 1').catch((e: unknown) => e)) as AppError
    expect(err).toBeInstanceOf(AppError)
    expect(err.code).toBe('POOL_EXHAUSTED')
    expect(err.status).toBe(503)
    expect(err.headers['Retry-After']).toBe('1')
    expect(err.info.troubleshooting.length).toBeGreaterThan(0)
    expect(db.stats().timeouts).toBe(1)
    expect(db.stats().waiting).toBe(0)
    // The timed-out wait counts: a pool whose waiters only ever time out must not report 0 ms of waiting.
    const afterTimeout = db.stats()
    expect(afterTimeout.maxWaitMs).toBeGreaterThanOrEqual(150)
    expect(afterTimeout.totalWaitMs).toBe(afterTimeout.maxWaitMs)
    expect(afterTimeout.meanWaitMs).toBeCloseTo(afterTimeout.totalWaitMs / (afterTimeout.acquired + afterTimeout.timeouts), 2)
    const exhaustionLog = f.logs().find((l) => logMessage(l) === 'database pool exhausted')
    expect(exhaustionLog?.level).toBe('WARNING')
    expect(logFields(exhaustionLog!).size).toBe(2)
    releaseAll()
    await Promise.all(holders)
    expect((await db.get<{ one: number }>('SELECT 1 AS one'))?.one).toBe(1)
    const stats = db.stats()
    expect(stats.active).toBe(0)
    expect(stats.acquired).toBe(stats.released)
  })

  it('a waiter gets the connection as soon as one is released (FIFO), without timing out', async () => {
    const { db } = await open({ poolSize: 1, poolTimeoutMs: 10_000 })
    const order: string[] = []
    let releaseFirst!: () => void
    const first = db.withReader(() => new Promise<void>((resolve) => (releaseFirst = resolve)).then(() => void order.push('first')))
    const second = db.withReader(async () => void order.push('second'))
    const third = db.withReader(async () => void order.push('third'))
    await new Promise((r) => setImmediate(r))
    expect(db.stats().waiting).toBe(2)
    releaseFirst()
    await Promise.all([first, second, third])
    expect(order).toEqual(['first', 'second', 'third'])
    expect(db.stats().timeouts).toBe(0)
  })

  it('POOL_EXHAUSTED answers HTTP with 503, Retry-After, troubleshooting and the request ID', async () => {
    const f = await open({ poolSize: 1, poolTimeoutMs: 100 })
    const logging = createLogging({ logLevel: 'ERROR', logFormat: 'json', logDir: f.dir }, { write: () => {} })
    const app = express()
    app.use((_req, res, next) => {
      res.locals.requestId = 'req-exhausted-1'
      next()
    })
    app.get('/read', async (_req, res) => {
      res.json(await f.db.get('SELECT 1 AS one'))
    })
    app.use(errorHandler({ logger: logging.logger, renderErrorPage: () => '<p>error</p>' }))
    const server = app.listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const port = (server.address() as { port: number }).port
    let release!: () => void
    const holder = f.db.withReader(() => new Promise<void>((r) => (release = r)))
    try {
      const res = await fetch(`http://127.0.0.1:${port}/read`, { headers: { accept: 'application/json' } })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('1')
      const body = (await res.json()) as { error: { code: string; troubleshooting: string[]; request_id: string } }
      expect(body.error.code).toBe('POOL_EXHAUSTED')
      expect(body.error.troubleshooting.length).toBeGreaterThan(0)
      expect(body.error.request_id).toBe('req-exhausted-1')
      release()
      await holder
      const ok = await fetch(`http://127.0.0.1:${port}/read`, { headers: { accept: 'application/json' } })
      expect(ok.status).toBe(200)
      expect(await ok.json()).toEqual({ one: 1 })
    } finally {
      release?.()
      await new Promise((r) => server.close(r))
      await logging.close()
    }
  })
})

describe('db: SQLITE_BUSY from a real second connection', () => {
  it('a write waits without blocking the event loop, then fails DATABASE_LOCKED (503, Retry-After)', async () => {
    const f = await open({ busyTimeoutMs: 400 })
    const other = new Database(f.path)
    other.exec('BEGIN IMMEDIATE')
    let ticks = 0
    const ticker = setInterval(() => ticks++, 5)
    try {
      const err = (await f.db.write(insertNote('blocked')).catch((e: unknown) => e)) as AppError
      expect(err).toBeInstanceOf(AppError)
      expect(err.code).toBe('DATABASE_LOCKED')
      expect(err.status).toBe(503)
      expect(err.headers['Retry-After']).toBe('1')
      // The event loop kept turning while the write waited for the lock.
      expect(ticks).toBeGreaterThan(3)
      expect(f.db.writer.inTransaction).toBe(false)
      expect(f.db.version).toBe(0)
    } finally {
      clearInterval(ticker)
      other.exec('ROLLBACK')
      other.close()
    }
    // Lock gone: writes work again.
    await f.db.write(insertNote('after'))
    expect(f.db.version).toBe(1)
  })

  it('a write waiting on the lock succeeds once the other connection commits', async () => {
    const f = await open({ busyTimeoutMs: 10_000 })
    const other = new Database(f.path)
    other.exec('BEGIN IMMEDIATE')
    other.prepare("INSERT INTO tags (name, display) VALUES ('other', 'Other')").run()
    // Count the writer's attempts that meet the other connection's lock, to wait for real retries.
    let busyAttempts = 0
    const exec = f.db.writer.exec.bind(f.db.writer)
    f.db.writer.exec = (sql: string) => {
      try {
        return exec(sql)
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) busyAttempts++
        throw err
      }
    }
    const pending = f.db.write(insertNote('waited'))
    let settled = false
    void pending.finally(() => (settled = true))
    await vi.waitFor(() => expect(busyAttempts).toBeGreaterThanOrEqual(3))
    expect(settled).toBe(false)
    other.exec('COMMIT')
    other.close()
    await pending
    expect(await f.db.get('SELECT slug FROM notes WHERE slug = ?', ['waited'])).toEqual({ slug: 'waited' })
    expect(await f.db.get('SELECT name FROM tags')).toEqual({ name: 'other' })
  })

  it('readers are not blocked by another connection holding the write lock (WAL)', async () => {
    const f = await open({ busyTimeoutMs: 10_000 })
    await f.db.write(insertNote('visible'))
    const other = new Database(f.path)
    other.exec('BEGIN IMMEDIATE')
    other.prepare("DELETE FROM notes WHERE slug = 'visible'").run()
    try {
      // Uncommitted delete is invisible, and the read does not wait for the lock.
      expect(await f.db.get('SELECT slug FROM notes')).toEqual({ slug: 'visible' })
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
  })

  it('writes queue behind each other and commit in call order', async () => {
    const { db } = await open()
    await Promise.all(Array.from({ length: 50 }, (_, i) => db.write(insertNote(`n${i}`))))
    expect(db.version).toBe(50)
    const rows = await db.all<{ slug: string }>('SELECT slug FROM notes ORDER BY id')
    expect(rows.map((r) => r.slug)).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}`))
  })
})

describe('db: failures', () => {
  it('replaces a reader thread that dies, logs it, and keeps answering', async () => {
    const f = await open({ poolSize: 2 })
    const { db } = f
    expect(db.stats().created).toBe(2)
    await db.pool.killWorker(0)
    // Every connection answers afterwards (the dead slot got a new thread).
    for (let i = 0; i < 10; i++) {
      const rows = await Promise.all([db.get<{ one: number }>('SELECT 1 AS one'), db.get<{ one: number }>('SELECT 1 AS one')])
      expect(rows).toEqual([{ one: 1 }, { one: 1 }])
    }
    expect(db.stats().created).toBe(3)
    expect(db.stats().active).toBe(0)
    const line = f.logs().find((l) => logMessage(l) === 'database reader thread died; replacing it')
    expect(line?.level).toBe('ERROR')
  })

  it('a query in flight when its thread dies fails DATABASE_UNAVAILABLE and releases', async () => {
    const f = await open({ poolSize: 1 })
    const { db } = f
    // A query slow enough to still be running when the thread is killed.
    const slow = db.get("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000000) SELECT count(*) FROM c")
    await vi.waitFor(() => expect(db.stats().active).toBe(1))
    await db.pool.killWorker(0)
    const err = (await slow.catch((e: unknown) => e)) as AppError
    expect(err).toBeInstanceOf(AppError)
    expect(err.code).toBe('DATABASE_UNAVAILABLE')
    expect(db.stats().active).toBe(0)
    expect((await db.get<{ one: number }>('SELECT 1 AS one'))?.one).toBe(1)
  })

  it('logs slow queries with the SQL text but never the parameter values', async () => {
    const f = await open({ slowQueryMs: 0 })
    await f.db.get('SELECT ? AS secret_value', ['hunter2-parameter'])
    const slow = f.logs().filter((l) => logMessage(l) === 'slow query')
    expect(slow.length).toBeGreaterThan(0)
    expect(logFields(slow[0]!).sql).toBe('SELECT ? AS secret_value')
    expect(JSON.stringify(f.logs())).not.toContain('hunter2-parameter')
  })

  it('after close, reads and writes fail DATABASE_UNAVAILABLE instead of hanging', async () => {
    const f = await open()
    await f.db.close()
    await expect(f.db.get('SELECT 1')).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' })
    await expect(f.db.write(() => 1)).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' })
  })

  it('reports whether the configured path still leads to the opened file', async () => {
    const f = await open()
    expect(f.db.fileIntact()).toBe(true)
    renameSync(f.path, `${f.path}.moved`)
    expect(f.db.fileIntact()).toBe(false)
    renameSync(`${f.path}.moved`, f.path)
    expect(f.db.fileIntact()).toBe(true)
  })

  it('refuses to start on a file that is not a database, with DATABASE_CORRUPT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'starpunk-db-bad-'))
    const path = join(dir, 'starpunk.db')
    writeFileSync(path, 'this is not a sqlite database, just text that is long enough to have a header'.repeat(20))
    const logging = createLogging({ logLevel: 'ERROR', logFormat: 'json', logDir: dir }, { write: () => {} })
    const { openDb } = await import('./open')
    try {
      await expect(
        openDb({ path, db: { poolSize: 1, poolTimeoutMs: 100, busyTimeoutMs: 100, slowQueryMs: 100, nativeBinding: null }, logger: logging.logger }),
      ).rejects.toMatchObject({ code: 'DATABASE_CORRUPT' })
    } finally {
      await logging.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('db: reader threads that cannot start', () => {
  it('a pool whose threads cannot load better-sqlite3 fails ready() with DATABASE_UNAVAILABLE and does not respawn in a loop', async () => {
    const { ReaderPool } = await import('./pool')
    const lines: string[] = []
    const logging = createLogging({ logLevel: 'ERROR', logFormat: 'json', logDir: '/nonexistent' }, { write: (l) => lines.push(l) })
    const pool = new ReaderPool({
      path: '/nonexistent/starpunk.db',
      modulePath: '/nonexistent/better-sqlite3',
      nativeBinding: null,
      size: 2,
      acquireTimeoutMs: 100,
      busyTimeoutMs: 100,
      slowQueryMs: 100,
      logger: logging.logger,
    })
    try {
      await expect(pool.ready()).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' })
      await vi.waitFor(() => expect(pool.snapshot().created).toBe(2))
      // Closed after the failed start: further reads fail fast, no hang, and no thread is started again.
      await expect(pool.withReader((r) => r.get('SELECT 1'))).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' })
      expect(pool.snapshot().created).toBe(2)
    } finally {
      await pool.close()
      await logging.close()
    }
  })
})

describe('db: an alternative SQLite build in every connection', () => {
  it('config.db.nativeBinding reaches the writer and every reader thread (an SQLite without FTS5)', async () => {
    const binding = join(process.cwd(), '.vendor', 'sqlite-nofts5', 'better_sqlite3.node')
    if (!existsSync(binding)) throw new Error(`missing ${binding}: run \`node scripts/build-sqlite-nofts5.mjs\` (vitest's globalSetup does it)`)
    const FTS5_OPTION = "SELECT count(*) AS n FROM pragma_compile_options WHERE compile_options = 'ENABLE_FTS5'"
    const standard = await open({ poolSize: 2 })
    expect((await standard.db.get<{ n: number }>(FTS5_OPTION))?.n).toBe(1)
    await standard.close()
    fixture = null
    const { db } = await open({ poolSize: 2, nativeBinding: binding })
    expect((db.writer.prepare(FTS5_OPTION).get() as { n: number }).n).toBe(0)
    // Both reader threads, held at once so each answers: neither lets go until both have answered.
    let answered = 0
    let bothAnswered!: () => void
    const barrier = new Promise<void>((resolve) => (bothAnswered = resolve))
    const counts = await Promise.all([0, 1].map(() => db.withReader(async (r) => {
      const row = await r.get<{ n: number }>(FTS5_OPTION)
      if (++answered === 2) bothAnswered()
      await barrier
      return row?.n
    })))
    expect(counts).toEqual([0, 0])
    await expect(db.all('CREATE VIRTUAL TABLE x USING fts5(a)')).rejects.toThrow()
    await expect(db.write((conn) => conn.exec('CREATE VIRTUAL TABLE x USING fts5(a)'))).rejects.toThrow(/no such module: fts5/)
  })
})

describe('db: a lazy pool (what the server runs)', () => {
  async function lazyPool(idleRetireMs?: number) {
    const f = await open({ poolSize: 1 })
    const { ReaderPool } = await import('./pool')
    const { createRequire } = await import('node:module')
    const logging = createLogging({ logLevel: 'ERROR', logFormat: 'json', logDir: '/nonexistent' }, { write: () => {} })
    const pool = new ReaderPool({
      path: f.path,
      modulePath: createRequire(import.meta.url).resolve('better-sqlite3'),
      nativeBinding: null,
      size: 3,
      acquireTimeoutMs: 5_000,
      busyTimeoutMs: 1_000,
      slowQueryMs: 10_000,
      logger: logging.logger,
      lazy: true,
      ...(idleRetireMs !== undefined ? { idleRetireMs } : {}),
    })
    return { pool, close: async () => (await pool.close(), await logging.close()) }
  }
  const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) AS n FROM c'

  it('starts one thread at ready(), more only while reads overlap, and keeps size and stats as an eager pool', async () => {
    const { pool, close } = await lazyPool()
    try {
      await pool.ready()
      expect(pool.runningThreads()).toBe(1)
      expect(pool.snapshot()).toMatchObject({ size: 3, idle: 3, active: 0, created: 1 })
      // One read at a time reuses the running thread.
      for (let i = 0; i < 5; i++) expect(await pool.withReader((r) => r.get<{ one: number }>('SELECT 1 AS one'))).toEqual({ one: 1 })
      expect(pool.runningThreads()).toBe(1)
      // Three overlapping reads: every slot gets a thread, each counted once in created.
      const rows = await Promise.all([1, 2, 3].map(() => pool.withReader((r) => r.get<{ n: number }>(slow))))
      expect(rows).toEqual([{ n: 300000 }, { n: 300000 }, { n: 300000 }])
      expect(pool.runningThreads()).toBe(3)
      expect(pool.snapshot()).toMatchObject({ size: 3, idle: 3, active: 0, acquired: 8, released: 8, created: 3, timeouts: 0 })
    } finally {
      await close()
    }
  })

  it('stops threads left idle, all but one, and starts them again when reads overlap', async () => {
    const { pool, close } = await lazyPool(50)
    try {
      await pool.ready()
      await Promise.all([1, 2, 3].map(() => pool.withReader((r) => r.get(slow))))
      expect(pool.snapshot().created).toBe(3)
      await vi.waitFor(() => expect(pool.runningThreads()).toBe(1), { timeout: 10_000 })
      expect(await pool.withReader((r) => r.get<{ one: number }>('SELECT 1 AS one'))).toEqual({ one: 1 })
      await Promise.all([1, 2].map(() => pool.withReader((r) => r.get(slow))))
      expect(pool.snapshot().created).toBeGreaterThanOrEqual(4)
      expect(pool.snapshot()).toMatchObject({ size: 3, active: 0, idle: 3 })
    } finally {
      await close()
    }
  })
})
