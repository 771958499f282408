// Webmention verification on the full stack: one real server (createServer) receives Webmentions whose
// sources are served by another process (a stand-in for other sites, on 200 host names that resolve to
// loopback), and wrk (its own process) loads a cached page meanwhile. Compared side by side, in ABAB
// rounds: the cached page's p99 while 200 queued Webmentions are verified vs with an idle queue; and the
// verification throughput. The server process runs on one CPU; wrk and the source site on the other.
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createServer } from '../src/main/server'
import { loadConfig } from '../src/main/server/config'
import { percentile, wrk, type BenchContext } from './lib'

const GROUP = 'Webmention'
const run = promisify(execFile)
const TASKSET = '/usr/bin/taskset'
const SERVER_CPU = '1'
const OTHER_CPU = '0'
const BATCH = 200

// The other sites: any path /p/<n>?t=<target> is an h-entry that likes the target.
const SOURCE_SITE = `
const http = require('node:http')
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x')
  const target = url.searchParams.get('t') || ''
  res.setHeader('content-type', 'text/html; charset=utf-8')
  res.end('<!doctype html><title>a post</title><article class="h-entry"><a class="p-author h-card" href="/">Someone ' +
    url.pathname + '</a> <a class="u-like-of" href="' + target + '">liked this</a> <p class="e-content">' + 'Lorem ipsum '.repeat(200) +
    '</p><a class="u-url" href="' + url.pathname + '">permalink</a></article>')
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n') })
`

export default async function webmentionBench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-bench-wm-'))
  const site = spawn(TASKSET, ['-c', OTHER_CPU, process.execPath, '-e', SOURCE_SITE], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    site.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
    site.once('exit', () => reject(new Error('the source site process exited')))
  })
  const { config, problems } = loadConfig({
    env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'WARNING', STARPUNK_FETCH_ENABLED: 'true', STARPUNK_FETCH_ALLOW_PRIVATE: 'true', STARPUNK_METRICS_ENABLED: 'false' },
  })
  if (problems.length) throw new Error(problems.map((p) => p.message).join('; '))
  // h<n>.bench.test → loopback: 200 source hosts, so the per-host rate limit (30 per 10 min) is not what is measured.
  const server = await createServer(config, {
    logging: { write: () => {} },
    outbound: { resolver: async (host) => (host.endsWith('.bench.test') ? [{ address: '127.0.0.1', family: 4 }] : []) },
  })
  const { stdout: affinity } = await run(TASKSET, ['-c', '-p', String(process.pid)])
  const cpusBefore = /list:\s*(\S+)/.exec(affinity)?.[1] ?? '0-1023'
  await run(TASKSET, ['-a', '-p', '-c', SERVER_CPU, String(process.pid)])
  try {
    const base = await server.listen()
    const { notes, webmention } = server.context
    for (let i = 1; i <= 5; i++) await notes.create({ content: `A note with some **Markdown**, number ${i}.` })
    const target = `${base}/notes/${(await notes.create({ content: 'The note everyone likes.' })).slug}`
    let generation = 0
    /** Queue BATCH Webmentions from BATCH hosts; each round's sources are new pages (new mentions). */
    const enqueue = async () => {
      generation++
      for (let n = 0; n < BATCH; n++) {
        await webmention.receiver.accept({ source: `http://h${n}.bench.test:${port}/p/${generation}-${n}?t=${encodeURIComponent(target)}`, target })
      }
    }
    const queued = async () => (await webmention.receiver.counts()).queued

    // Verification throughput with nothing else running (the background loop does the work).
    const drains: number[] = []
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
      await enqueue()
      const start = performance.now()
      while ((await queued()) > 0) await new Promise((resolve) => setTimeout(resolve, 5))
      drains.push((performance.now() - start) / 1000)
    }
    const drainSeconds = percentile(drains, 50)
    const approved = (await webmention.receiver.counts()).approved

    const page = `${base}/`
    const seconds = Math.max(2, Math.ceil(drainSeconds))
    await wrk(page, 2, { cpu: OTHER_CPU }) // warm up
    const pairs = ctx.quick ? 2 : 8
    const idle: number[] = []
    const busy: number[] = []
    const leftAtEnd: number[] = []
    let non2xx = 0
    for (let pair = 0; pair < pairs; pair++) {
      for (const loaded of pair % 2 === 0 ? [false, true] : [true, false]) {
        if (loaded) await enqueue()
        const result = await wrk(page, seconds, { cpu: OTHER_CPU })
        non2xx += result.non2xx
        if (loaded) {
          busy.push(result.p99)
          leftAtEnd.push(await queued())
          while ((await queued()) > 0) await new Promise((resolve) => setTimeout(resolve, 5))
        } else idle.push(result.p99)
      }
    }
    ctx.report({
      group: GROUP,
      name: `cached page p99 (/, full stack) while ${BATCH} queued Webmentions are verified vs idle queue`,
      ours: percentile(busy, 50),
      baseline: percentile(idle, 50),
      unit: 'ms',
      higherIsBetter: false,
      note:
        `${pairs} ABBA pairs of ${seconds} s, wrk -t1 -c10 on CPU ${OTHER_CPU} (with the source site), server on CPU ${SERVER_CPU}; median of per-round p99; ` +
        `busy p99 max ${Math.max(...busy).toFixed(2)} ms; still queued when wrk stopped: median ${percentile(leftAtEnd, 50)} of ${BATCH}; non-2xx ${non2xx}`,
    })
    ctx.report({
      group: GROUP,
      name: `verification throughput (${BATCH} Webmentions from ${BATCH} hosts, ~3 KB sources, one at a time) vs 1 per second`,
      ours: BATCH / drainSeconds,
      baseline: 1,
      unit: 'mentions/s',
      higherIsBetter: true,
      note: `median drain ${drainSeconds.toFixed(2)} s over ${drains.length} batches (${drains.map((d) => d.toFixed(2)).join(', ')} s); ${approved} likes stored`,
    })
  } finally {
    await server.close()
    site.kill()
    await run(TASKSET, ['-a', '-p', '-c', cpusBefore, String(process.pid)])
    rmSync(dir, { recursive: true, force: true })
  }
}
