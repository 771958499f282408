// Pages and feeds: our home and note pages against a bare node:http server returning the same bytes, a
// conditional GET answered 304, and home-page cost with 1,000 vs 100,000 notes (seeded in one transaction).
import { createServer as createHttpServer, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, loadConfig, type StarpunkServer } from '../src/main/server'
import { openDb } from '../src/main/server/db'
import { createLogging } from '../src/main/server/logging'
import { createNoteRenderer } from '../src/main/server/notes'
import { renderListPage } from '../src/main/server/web/pages'
import { load, percentile, timePerOp, type BenchContext } from './lib'

const SAMPLE = `# A note worth reading\n\nSome **Markdown** with a [link](https://example.com) and a list:\n\n- one\n- two\n- three\n\n${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(6)}`

interface Site {
  dir: string
  server: StarpunkServer
  url: string
  close(): Promise<void>
}

function configFor(dir: string) {
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'warn' } })
  if (problems.length) throw new Error(problems.map((p) => p.message).join('; '))
  return config
}

/** A data dir holding `count` published notes (10 tags spread over them), written in one transaction. */
async function seed(count: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `starpunk-bench-${count}-`))
  const config = configFor(dir)
  const logging = createLogging(config, { write: () => {} })
  const db = await openDb({ path: config.databasePath, db: config.db, logger: logging.logger })
  const renderer = createNoteRenderer({ logger: logging.logger })
  const html = await renderer.markdown(SAMPLE)
  await renderer.close()
  await db.write((conn) => {
    const insertNote = conn.prepare(
      `INSERT INTO notes (slug, content, content_html, title, published, created_at, updated_at, properties) VALUES (?, ?, ?, ?, 1, ?, ?, '{}')`,
    )
    const insertTag = conn.prepare('INSERT INTO tags (name, display) VALUES (?, ?)')
    const link = conn.prepare('INSERT INTO note_tags (note_id, tag_id) VALUES (?, ?)')
    for (let t = 1; t <= 10; t++) insertTag.run(`tag${t}`, `Tag${t}`)
    const start = Date.parse('2020-01-01T00:00:00Z')
    for (let i = 1; i <= count; i++) {
      const at = new Date(start + i * 60_000).toISOString()
      const { lastInsertRowid } = insertNote.run(`note-${i}`, SAMPLE, html, 'A note worth reading', at, at)
      link.run(lastInsertRowid, (i % 10) + 1)
    }
  })
  await db.close()
  await logging.close()
  return dir
}

async function startSite(dir: string): Promise<Site> {
  const server = await createServer(configFor(dir), { logging: { write: () => {} } })
  const url = await server.listen()
  await settle(server)
  return {
    dir,
    server,
    url,
    async close() {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Wait until no write has landed for a second: startup work by other capabilities (e.g. the search index
 * catching up on notes seeded behind its back) bumps db.version, which empties the page cache.
 */
async function settle(server: StarpunkServer): Promise<void> {
  const deadline = Date.now() + 120_000
  let last = server.context.db.version
  let stableSince = Date.now()
  while (Date.now() < deadline && Date.now() - stableSince < 1000) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    if (server.context.db.version !== last) {
      last = server.context.db.version
      stableSince = Date.now()
    }
  }
}

/** The baseline: bare node:http answering each path with the bytes and headers we captured from ours. */
async function bareServer(pages: Map<string, { body: Buffer; type: string; etag: string }>): Promise<{ url: string; server: Server }> {
  const server = createHttpServer((req, res) => {
    const page = pages.get(req.url ?? '/')
    if (!page) {
      res.statusCode = 404
      return res.end()
    }
    if (req.headers['if-none-match'] === page.etag) {
      res.statusCode = 304
      return res.end()
    }
    res.setHeader('Content-Type', page.type)
    res.setHeader('ETag', page.etag)
    res.end(page.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` }
}

async function capture(url: string) {
  const res = await fetch(url)
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`)
  return { body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type')!, etag: res.headers.get('etag')! }
}

/** Median wall time of sequential requests (one connection): the latency one visitor sees. */
async function sequentialLatency(url: string, n: number): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    const res = await fetch(url)
    await res.arrayBuffer()
    times.push(performance.now() - start)
  }
  return percentile(times, 50)
}

/** Uncached cost of building the home page (what the first visitor after a write pays). */
async function homeBuildMs(site: Site, ops: number): Promise<number> {
  const { config, notes } = site.server.context
  return timePerOp(ops, async () => {
    const { notes: items, hasMore } = await notes.list({ limit: config.notesPerPage, offset: 0, withTotal: false })
    renderListPage({ config, session: null, notes: items, page: 1, hasNext: hasMore === true, basePath: '/', heading: config.siteName, title: config.siteName, emptyMessage: '' })
  })
}

export default async function pagesBench(ctx: BenchContext): Promise<void> {
  const seconds = ctx.quick ? 2 : 5
  const group = 'Pages and feeds'
  const small = await startSite(await seed(1_000))
  const pages = new Map([
    ['/', await capture(`${small.url}/`)],
    ['/notes/note-500', await capture(`${small.url}/notes/note-500`)],
    ['/feed.rss', await capture(`${small.url}/feed.rss`)],
  ])
  const bare = await bareServer(pages)
  try {
    for (const [path, label] of [
      ['/', 'home page'],
      ['/notes/note-500', 'note page'],
      ['/feed.rss', 'RSS feed'],
    ] as const) {
      // Warm the JIT on both sides first so the first comparison is not penalised.
      await load(`${small.url}${path}`, { seconds: 1 })
      await load(`${bare.url}${path}`, { seconds: 1 })
      const ours = await load(`${small.url}${path}`, { seconds })
      const base = await load(`${bare.url}${path}`, { seconds })
      if (ours.non2xx || ours.errors) throw new Error(`${path}: ${ours.non2xx} non-2xx, ${ours.errors} errors`)
      ctx.report({
        group,
        name: `${label} req/s: ours vs bare node:http (same ${pages.get(path)!.body.length} bytes)`,
        ours: ours.reqPerSec,
        baseline: base.reqPerSec,
        unit: 'req/s',
        higherIsBetter: true,
        note: `p99 ${ours.p99} ms vs ${base.p99} ms`,
      })
    }
    const etag = pages.get('/')!.etag
    const ours304 = await load(`${small.url}/`, { seconds, headers: { 'if-none-match': etag } })
    const bare304 = await load(`${bare.url}/`, { seconds, headers: { 'if-none-match': etag } })
    // autocannon counts 304 as non-2xx: every response must be one.
    const probe = await fetch(`${small.url}/`, { headers: { 'if-none-match': etag } })
    ctx.report({
      group,
      name: 'conditional GET of home answered 304: ours vs bare node:http 304',
      ours: ours304.reqPerSec,
      baseline: bare304.reqPerSec,
      unit: 'req/s',
      higherIsBetter: true,
      note: `status ${probe.status}; ${ours304.non2xx} of ours were non-2xx (304s), errors ${ours304.errors}`,
    })
  } finally {
    await new Promise((resolve) => bare.server.close(resolve))
  }

  const big = await startSite(await seed(100_000))
  try {
    const n = ctx.quick ? 200 : 1000
    await sequentialLatency(`${small.url}/`, 50) // warm both
    await sequentialLatency(`${big.url}/`, 50)
    const smallLatency = await sequentialLatency(`${small.url}/`, n)
    const bigLatency = await sequentialLatency(`${big.url}/`, n)
    ctx.report({
      group,
      name: 'home page latency (p50, cached), 100,000 notes vs 1,000 notes',
      ours: bigLatency,
      baseline: smallLatency,
      unit: 'ms',
      higherIsBetter: false,
      note: `${n} sequential requests each`,
    })
    const ops = ctx.quick ? 200 : 1000
    await homeBuildMs(small, 50)
    await homeBuildMs(big, 50)
    const smallBuild = await homeBuildMs(small, ops)
    const bigBuild = await homeBuildMs(big, ops)
    ctx.report({
      group,
      name: 'home page build uncached (indexed list + render), 100,000 vs 1,000 notes',
      ours: bigBuild,
      baseline: smallBuild,
      unit: 'ms',
      higherIsBetter: false,
      note: 'what the first visitor after a write pays',
    })
    const smallThroughput = await load(`${small.url}/?page=40`, { seconds })
    const bigThroughput = await load(`${big.url}/?page=40`, { seconds })
    ctx.report({
      group,
      name: 'home page 40 req/s, 100,000 vs 1,000 notes',
      ours: bigThroughput.reqPerSec,
      baseline: smallThroughput.reqPerSec,
      unit: 'req/s',
      higherIsBetter: true,
    })
    const countMs = async (site: Site) =>
      timePerOp(ctx.quick ? 20 : 100, () => site.server.context.db.writer.prepare('SELECT COUNT(*) FROM notes WHERE deleted_at IS NULL AND published = 1').get())
    const smallCount = await countMs(small)
    const bigCount = await countMs(big)
    ctx.report({
      group,
      name: 'COUNT(*) of visible notes, 100,000 vs 1,000 (why pages do not count)',
      ours: bigCount,
      baseline: smallCount,
      unit: 'ms',
      higherIsBetter: false,
      note: 'grows with notes; list pages fetch limit+1 instead',
    })
  } finally {
    await big.close()
    await small.close()
  }
}
