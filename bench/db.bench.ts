// Database pool: what the worker-thread reader pool costs and buys, measured side by side in one run.
//  - pooled point query vs opening a connection per request (the spec's "pooling cuts 20–30%")
//  - pooled (worker) reads vs main-thread reads, for a point lookup and for an FTS5 query, with
//    several requests in flight (how a server sees them)
//  - how long the event loop stays blocked while slow queries run, pooled vs main thread
//  - a commit at synchronous=NORMAL (our choice) vs FULL
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openDb, type PooledDb } from '../src/main/server/db'
import { createLogging } from '../src/main/server/logging'
import { createServer as createHttpServer } from 'node:http'
import { load, timePerOp, type BenchContext } from './lib'

const GROUP = 'Database pool'
const WORDS = ['indieweb', 'micropub', 'sqlite', 'garden', 'bicycle', 'coffee', 'river', 'lantern', 'violet', 'harbor', 'meadow', 'pixel', 'static', 'thread', 'worker', 'signal']

function noteText(i: number): string {
  let text = ''
  let x = i * 2654435761
  while (text.length < 500) {
    x = (x * 1103515245 + 12345) >>> 0
    text += `${WORDS[x % WORDS.length]} `
  }
  return text
}

async function seed(db: PooledDb, notes: number): Promise<void> {
  await db.write((conn) => {
    conn.exec('CREATE VIRTUAL TABLE bench_fts USING fts5(content)')
    const insert = conn.prepare('INSERT INTO notes (slug, content, content_html, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
    const fts = conn.prepare('INSERT INTO bench_fts (rowid, content) VALUES (?, ?)')
    for (let i = 0; i < notes; i++) {
      const text = noteText(i)
      const id = insert.run(`note-${i}`, text, `<p>${text}</p>`, new Date(1_700_000_000_000 + i * 60_000).toISOString(), new Date().toISOString()).lastInsertRowid
      fts.run(id, text)
    }
  })
}

const POINT = 'SELECT id, slug, content_html, created_at FROM notes WHERE slug = ?'
const FTS = "SELECT rowid, snippet(bench_fts, 0, '<mark>', '</mark>', '…', 12) AS s FROM bench_fts WHERE bench_fts MATCH ? ORDER BY bm25(bench_fts) LIMIT 20"
const FTS_TERMS = ['lantern AND violet', 'harbor', 'pixel OR signal', 'river NOT coffee', 'meadow thread']
// The LIKE fallback's shape: a scan of every note (the term matches nowhere, the worst and common case).
const LIKE = 'SELECT id, slug FROM notes WHERE deleted_at IS NULL AND (content LIKE ? OR title LIKE ?) ORDER BY created_at DESC LIMIT 20'
const LIKE_TERMS = ['%zeppelin%', '%quasar%', '%nebula%']

/** Run `total` operations with `inFlight` of them outstanding at once; returns ops/s. */
async function throughput(total: number, inFlight: number, op: (i: number) => unknown): Promise<number> {
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await op(next++)
    }),
  )
  return total / ((performance.now() - start) / 1000)
}

/** The longest gap between ticks of a 1 ms interval timer while `work` runs: how long the event loop was blocked. */
async function maxEventLoopGap(work: () => Promise<unknown>): Promise<number> {
  const gaps: number[] = []
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    gaps.push(now - last)
    last = now
  }, 1)
  await work()
  clearInterval(timer)
  gaps.push(performance.now() - last)
  return Math.max(...gaps)
}

export default async function dbBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-db-'))
  const path = join(dir, 'starpunk.db')
  const logging = createLogging({ logLevel: 'ERROR', logFormat: 'json', logDir: dir }, { write: () => {} })
  const notes = ctx.quick ? 2_000 : 10_000
  const ops = ctx.quick ? 500 : 3_000
  const db = await openDb({
    path,
    db: { poolSize: 2, poolTimeoutMs: 30_000, busyTimeoutMs: 5_000, slowQueryMs: 60_000, nativeBinding: null },
    logger: logging.logger,
  })
  try {
    await seed(db, notes)
    const slug = (i: number) => `note-${(i * 7919) % notes}`
    const main = db.writer
    const mainPoint = main.prepare(POINT)
    const mainFts = main.prepare(FTS)

    // 1. Pooled query vs a connection opened (with the same pragmas) for every request, one at a time.
    const perRequest = await timePerOp(ctx.quick ? 100 : 500, () => {
      const conn = new Database(path, { fileMustExist: true })
      conn.pragma('busy_timeout = 5000')
      conn.pragma('query_only = ON')
      conn.prepare(POINT).get(slug(1))
      conn.close()
    })
    let k = 0
    const pooled = await timePerOp(ops, () => db.get(POINT, [slug(k++)]))
    ctx.report({ group: GROUP, name: 'point query latency: pooled (worker) vs open-per-request', ours: pooled, baseline: perRequest, unit: 'ms', higherIsBetter: false, note: 'sequential, one in flight' })
    const mainReuse = await timePerOp(ops, () => mainPoint.get(slug(3)))
    ctx.report({ group: GROUP, name: 'point query latency: main-thread reused vs open-per-request', ours: mainReuse, baseline: perRequest, unit: 'ms', higherIsBetter: false, note: 'what reuse alone buys' })

    // 2. Worker reads vs main-thread reads with requests in flight (as a server has them).
    for (const inFlight of [2, 32]) {
      const workerPoint = await throughput(ops * 2, inFlight, (i) => db.get(POINT, [slug(i)]))
      const mainPointOps = await throughput(ops * 2, inFlight, async (i) => mainPoint.get(slug(i)))
      ctx.report({ group: GROUP, name: `point lookup throughput, ${inFlight} in flight: 2 worker readers vs main thread`, ours: workerPoint, baseline: mainPointOps, unit: 'ops/s', higherIsBetter: true })
    }
    const ftsOps = ctx.quick ? 200 : 1_000
    const workerFts = await throughput(ftsOps, 8, (i) => db.all(FTS, [FTS_TERMS[i % FTS_TERMS.length]]))
    const mainFtsOps = await throughput(ftsOps, 8, async (i) => mainFts.all(FTS_TERMS[i % FTS_TERMS.length]))
    ctx.report({ group: GROUP, name: `FTS5 query throughput (${notes} notes), 8 in flight: 2 worker readers vs main thread`, ours: workerFts, baseline: mainFtsOps, unit: 'ops/s', higherIsBetter: true })

    const mainLike = main.prepare(LIKE)
    const fastP99: Record<'worker' | 'main', number> = { worker: NaN, main: NaN }
    const likeOps = ctx.quick ? 60 : 300
    const workerLike = await throughput(likeOps, 8, (i) => db.all(LIKE, [LIKE_TERMS[i % 3], LIKE_TERMS[i % 3]]))
    const mainLikeOps = await throughput(likeOps, 8, async (i) => mainLike.all(LIKE_TERMS[i % 3], LIKE_TERMS[i % 3]))
    ctx.report({ group: GROUP, name: `LIKE scan throughput (${notes} notes), 8 in flight: 2 worker readers vs main thread`, ours: workerLike, baseline: mainLikeOps, unit: 'ops/s', higherIsBetter: true })

    // 3. What the event loop suffers while slow queries run: the longest stall, pooled vs main thread.
    const stallWorker = await maxEventLoopGap(() => throughput(likeOps / 2, 8, (i) => db.all(LIKE, [LIKE_TERMS[i % 3], LIKE_TERMS[i % 3]])))
    const stallMain = await maxEventLoopGap(() =>
      throughput(likeOps / 2, 8, async (i) => {
        mainLike.all(LIKE_TERMS[i % 3], LIKE_TERMS[i % 3])
        // Yield like a request handler awaiting I/O would, so the timer gets its chances.
        await new Promise((r) => setImmediate(r))
      }),
    )
    ctx.report({ group: GROUP, name: 'longest event-loop stall during LIKE-scan load: worker readers vs main thread', ours: stallWorker, baseline: stallMain, unit: 'ms', higherIsBetter: false })

    // Mean latency of one query with one in flight: the message-passing cost, cheap and slow query.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const w: number[] = []
    const m: number[] = []
    const wl: number[] = []
    const ml: number[] = []
    for (let i = 0; i < (ctx.quick ? 50 : 200); i++) {
      const term = FTS_TERMS[i % FTS_TERMS.length]
      let t = performance.now()
      await db.all(FTS, [term])
      w.push(performance.now() - t)
      t = performance.now()
      mainFts.all(term)
      m.push(performance.now() - t)
      const like = LIKE_TERMS[i % 3]
      t = performance.now()
      await db.all(LIKE, [like, like])
      wl.push(performance.now() - t)
      t = performance.now()
      mainLike.all(like, like)
      ml.push(performance.now() - t)
    }
    ctx.report({ group: GROUP, name: 'FTS5 query mean latency, one in flight: worker vs main thread', ours: mean(w), baseline: mean(m), unit: 'ms', higherIsBetter: false, note: 'message passing cost' })
    ctx.report({ group: GROUP, name: 'LIKE scan mean latency, one in flight: worker vs main thread', ours: mean(wl), baseline: mean(ml), unit: 'ms', higherIsBetter: false })

    // End to end: p99 of a cheap request while slow searches run on the same server, with the slow
    // query in the reader pool vs on the main thread. This is what the worker threads are for.
    for (const mode of ['worker', 'main'] as const) {
      const server = createHttpServer((req, res) => {
        if (req.url?.startsWith('/slow')) {
          const term = LIKE_TERMS[Math.floor(Math.random() * 3)]
          const rows = mode === 'worker' ? db.all(LIKE, [term, term]) : Promise.resolve(mainLike.all(term, term))
          void rows.then((r) => res.end(JSON.stringify(r)))
        } else {
          res.end('ok')
        }
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
      const seconds = ctx.quick ? 2 : 5
      const [fast] = await Promise.all([load(`${base}/fast`, { seconds, connections: 4 }), load(`${base}/slow`, { seconds, connections: 2 })])
      await new Promise((resolve) => server.close(resolve))
      fastP99[mode] = fast.p99
    }
    ctx.report({ group: GROUP, name: 'p99 of a cheap request while LIKE scans run: slow query in worker vs on main thread', ours: fastP99.worker, baseline: fastP99.main, unit: 'ms', higherIsBetter: false, note: 'bare node:http, 4 + 2 connections' })

    // 4. Commit cost: synchronous=NORMAL (ours) vs FULL, one small note per transaction.
    const commits = ctx.quick ? 100 : 400
    const commitCost = (level: 'NORMAL' | 'FULL') => {
      const conn = new Database(join(dir, `sync-${level}.db`))
      conn.pragma('journal_mode = WAL')
      conn.pragma(`synchronous = ${level}`)
      conn.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)')
      const insert = conn.prepare('INSERT INTO t (body) VALUES (?)')
      const start = performance.now()
      for (let i = 0; i < commits; i++) conn.transaction(() => insert.run(noteText(i)))()
      conn.close()
      return (performance.now() - start) / commits
    }
    ctx.report({ group: GROUP, name: 'commit of one note: synchronous=NORMAL (ours) vs FULL', ours: commitCost('NORMAL'), baseline: commitCost('FULL'), unit: 'ms', higherIsBetter: false, note: 'blocks the event loop either way' })
  } finally {
    await db.close()
    await logging.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
