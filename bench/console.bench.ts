// Desktop console: what watching the server costs it, and how quickly a console call is answered while
// the blog is under load (the in-process design's cost: IPC replies wait for the same event loop).
// One supervised server in this process; the load is wrk on loopback, in its own process (load() in lib.ts).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSupervisor } from '../src/main/server/supervisor'
import { load, percentile, type BenchContext } from './lib'

const GROUP = 'Desktop console'

async function callLatencies(call: () => Promise<unknown>, until: Promise<unknown>): Promise<number[]> {
  const samples: number[] = []
  let done = false
  void until.then(() => (done = true))
  while (!done) {
    const start = performance.now()
    await call()
    samples.push(performance.now() - start)
    await new Promise((r) => setTimeout(r, 20))
  }
  return samples
}

export default async function consoleBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-console-'))
  const seconds = ctx.quick ? 2 : 6
  const supervisor = createSupervisor({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_FILES: 'false' }, server: { logging: { write: () => {} } } })
  try {
    const status = await supervisor.start()
    if (!status.url) throw new Error('server did not start')
    const target = `${status.url}/api/search?q=note`
    await load(target, { seconds: 1 })

    const without = await load(target, { seconds })
    // A live console: pool stats every second, health polls, every access line batched and pushed.
    let events = 0
    const off = supervisor.console.subscribe(() => events++)
    const watched = await load(target, { seconds })
    off()
    ctx.report({ group: GROUP, name: 'GET /api/search req/s: with a live console subscribed vs none', ours: watched.reqPerSec, baseline: without.reqPerSec, unit: 'req/s', higherIsBetter: true, note: `${events} events pushed` })

    for (let i = 0; i < 200; i++) await supervisor.console.call('server:snapshot', undefined)
    const idle = await callLatencies(() => supervisor.console.call('server:snapshot', undefined), new Promise((r) => setTimeout(r, seconds * 1000)))
    const busy = await callLatencies(() => supervisor.console.call('server:snapshot', undefined), load(target, { seconds }))
    ctx.report({ group: GROUP, name: 'server:snapshot p99 during load vs idle (in-process reply delay)', ours: percentile(busy, 99), baseline: percentile(idle, 99), unit: 'ms', higherIsBetter: false, note: `${busy.length} calls; load client in the same process` })
  } finally {
    await supervisor.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
