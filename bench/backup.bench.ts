// "Back up now" while serving: the longest event-loop stall during one backup. Ours: the whole backup
// (createBackup: the copy and the integrity check in a worker thread, gzip on libuv's pool). Baseline: only
// the database copy, through the server's writer connection on the main thread in 256-page steps with the
// event loop free between them (the first design; its last step writes out and syncs the copy in one go).
// The notes database is padded to 64 MiB (16 MiB with --quick) with a filler table. ABAB rounds in one
// process, medians; an idle interval of the same length gives the machine's own noise floor.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from '../src/main/server'
import { createBackup } from '../src/main/server/backup'
import { loadConfig } from '../src/main/server/config'
import { percentile, type BenchContext } from './lib'

const GROUP = 'Backup'

/** The longest gap between ticks of a 1 ms interval while `work` runs: how long the event loop was held. */
async function longestStall(work: () => Promise<unknown>): Promise<{ stallMs: number; ms: number }> {
  let last = performance.now()
  let worst = 0
  const timer = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last)
    last = now
  }, 1)
  const started = performance.now()
  await work()
  const ms = performance.now() - started
  clearInterval(timer)
  return { stallMs: Math.max(worst, performance.now() - last), ms }
}

export default async function backupBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-backup-'))
  const out = mkdtempSync(join(tmpdir(), 'starpunk-bench-backup-out-'))
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'WARNING', STARPUNK_FETCH_ENABLED: 'false' } })
  if (problems.length) throw new Error(problems.map((p) => p.message).join('; '))
  const server = await createServer(config, { logging: { write: () => {} } })
  try {
    const { db } = server.context
    const mib = ctx.quick ? 16 : 64
    await db.write((conn) => {
      conn.exec('CREATE TABLE bench_filler (x BLOB)')
      const insert = conn.prepare('INSERT INTO bench_filler (x) VALUES (randomblob(65536))')
      for (let i = 0; i < mib * 16; i++) insert.run()
    })
    const layout = { dataDir: config.dataDir, databasePath: config.databasePath, mediaDir: config.mediaDir, nativeBinding: null }
    let n = 0
    const ours = () => longestStall(() => createBackup({ layout, file: join(out, `b${n++}.tar.gz`), appVersion: 'bench' }))
    const stepped = () => longestStall(() => db.writer.backup(join(out, `s${n++}.db`), { progress: () => 256 }))
    const rounds = ctx.quick ? 2 : 4
    const a: Array<{ stallMs: number; ms: number }> = []
    const b: Array<{ stallMs: number; ms: number }> = []
    await ours() // warm up: page cache, JIT
    for (let i = 0; i < rounds; i++) {
      a.push(await ours())
      b.push(await stepped())
    }
    const idle = await longestStall(() => new Promise((r) => setTimeout(r, percentile(a.map((r) => r.ms), 50))))
    const median = (xs: number[]) => percentile(xs, 50)
    const note = `${mib} MiB database, ${rounds} ABAB rounds, medians; idle floor ${idle.stallMs.toFixed(0)} ms; whole backup ${median(a.map((r) => r.ms)).toFixed(0)} ms, stepped copy alone ${median(b.map((r) => r.ms)).toFixed(0)} ms`
    ctx.report({ group: GROUP, name: 'longest event-loop stall: whole backup (copy in a worker) vs copy alone through the writer in 256-page steps', ours: median(a.map((r) => r.stallMs)), baseline: median(b.map((r) => r.stallMs)), unit: 'ms', higherIsBetter: false, note })
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
    rmSync(out, { recursive: true, force: true })
  }
}
