// "Back up now" while serving: the longest event-loop stall during one backup of the notes database through
// the writer connection, in steps of 256 pages (what the server does) vs one step (the CLI's way, which in
// a server would hold the event loop for the whole copy). The database is padded to 64 MiB (16 MiB with
// --quick) with a filler table. ABAB rounds in one process, the median of each side; the total time of a
// backup is reported too (steps cost a little throughput for the short stalls).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createServer } from '../src/main/server'
import { createBackup } from '../src/main/server/backup'
import { loadConfig } from '../src/main/server/config'
import { percentile, type BenchContext } from './lib'

const GROUP = 'Backup'

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
    const once = async (pagesPerStep: number) => {
      const histogram = monitorEventLoopDelay({ resolution: 1 })
      histogram.enable()
      const started = performance.now()
      await createBackup({ layout, file: join(out, `b${n++}.tar.gz`), appVersion: 'bench', notesConnection: db.writer, pagesPerStep })
      const ms = performance.now() - started
      histogram.disable()
      return { stallMs: histogram.max / 1e6, ms }
    }
    const rounds = ctx.quick ? 2 : 4
    const stepped: Array<{ stallMs: number; ms: number }> = []
    const whole: Array<{ stallMs: number; ms: number }> = []
    await once(256) // warm up: page cache, JIT
    for (let i = 0; i < rounds; i++) {
      stepped.push(await once(256))
      whole.push(await once(0x7fffffff))
    }
    const median = (xs: number[]) => percentile(xs, 50)
    const note = `${mib} MiB database, ${rounds} ABAB rounds, medians`
    ctx.report({ group: GROUP, name: 'longest event-loop stall during a backup: 256-page steps vs one step', ours: median(stepped.map((r) => r.stallMs)), baseline: median(whole.map((r) => r.stallMs)), unit: 'ms', higherIsBetter: false, note })
    ctx.report({ group: GROUP, name: 'time for one whole backup: 256-page steps vs one step', ours: median(stepped.map((r) => r.ms)), baseline: median(whole.map((r) => r.ms)), unit: 'ms', higherIsBetter: false, note })
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
    rmSync(out, { recursive: true, force: true })
  }
}
