// Pages and feeds: our home, note and RSS pages and a conditional GET (304) against a bare node:http server
// sending the same bytes and headers, each server in its own process on one CPU and wrk on the other
// (bench/lib.ts, the HTTP harness); then what the number of notes costs: cached home at 100,000 vs 1,000
// notes (both servers as processes), the uncached build of the home page, and COUNT(*).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, loadConfig, type StarpunkServer } from '../src/main/server'
import { openDb } from '../src/main/server/db'
import { createLogging } from '../src/main/server/logging'
import { createNoteRenderer } from '../src/main/server/notes'
import { renderListPage } from '../src/main/server/web/pages'
import { abNote, captureResponse, compareAb, loadAverage, startBare, startStarpunk, timePerOp, type BenchContext, type ServerProcess } from './lib'

const SAMPLE = `# A note worth reading\n\nSome **Markdown** with a [link](https://example.com) and a list:\n\n- one\n- two\n- three\n\n${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(6)}`

function configFor(dir: string) {
  const { config, problems } = loadConfig({ env: { STARPUNK_DATA_DIR: dir, STARPUNK_PORT: '0', STARPUNK_LOG_LEVEL: 'warn' } })
  if (problems.length) throw new Error(problems.map((p) => p.message).join('; '))
  return config
}

/** A data dir holding `count` published notes (10 tags spread over them), written in one transaction. */
export async function seed(count: number): Promise<string> {
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

/**
 * Wait until the home page's ETag has held for a second: startup work by other capabilities (e.g. the search
 * index catching up on notes seeded behind its back) bumps db.version, which empties the page cache.
 */
export async function settle(url: string): Promise<void> {
  const deadline = Date.now() + 120_000
  let last = ''
  let stableSince = Date.now()
  while (Date.now() < deadline && Date.now() - stableSince < 1000) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const etag = (await fetch(`${url}/`)).headers.get('etag') ?? ''
    if (etag !== last) {
      last = etag
      stableSince = Date.now()
    }
  }
}

/** Uncached cost of building the home page (what the first visitor after a write pays). */
async function homeBuildMs(server: StarpunkServer, ops: number): Promise<number> {
  const { config, notes } = server.context
  return timePerOp(ops, async () => {
    const { notes: items, hasMore } = await notes.list({ limit: config.notesPerPage, offset: 0, withTotal: false })
    renderListPage({ config, session: null, notes: items, page: 1, hasNext: hasMore === true, basePath: '/', heading: config.siteName, title: config.siteName, emptyMessage: '' })
  })
}

export default async function pagesBench(ctx: BenchContext): Promise<void> {
  const seconds = ctx.quick ? 2 : 5
  const pairs = ctx.quick ? 2 : 4
  const group = 'Pages and feeds'
  const smallDir = await seed(1_000)
  const bigDir = await seed(100_000)
  const logDir = mkdtempSync(join(tmpdir(), 'starpunk-bench-pages-logs-'))
  const started: ServerProcess[] = []
  try {
    // The full stack (the fast path in front of it has its own bench, fastpath.bench.ts).
    const small = await startStarpunk({ dataDir: smallDir, name: 'small', env: { STARPUNK_FAST_PATH: 'false' } })
    started.push(small)
    await settle(small.url)
    const routes = [
      ['/', 'home page'],
      ['/notes/note-500', 'note page'],
      ['/feed.rss', 'RSS feed'],
    ] as const
    const captured = await Promise.all(routes.map(([path]) => captureResponse(small.url, path)))
    const etag = captured[0]!.headers.find(([name]) => name.toLowerCase() === 'etag')?.[1] ?? ''
    const notModified = await captureResponse(small.url, '/', { 'if-none-match': etag })
    if (notModified.status !== 304) throw new Error(`If-None-Match on / answered ${notModified.status}`)
    const bare = await startBare([...captured, notModified], { logDir, readyPath: '/' })
    started.push(bare)
    for (const [i, [path, label]] of routes.entries()) {
      const result = await compareAb(`${small.url}${path}`, `${bare.url}${path}`, { seconds, pairs })
      if (result.non2xx.a) throw new Error(`${path}: ${result.non2xx.a} responses >= 400`)
      ctx.report({
        group,
        name: `${label} req/s: full stack vs bare node:http (same ${Buffer.from(captured[i]!.body, 'base64').length} bytes and headers)`,
        ours: result.a,
        baseline: result.b,
        unit: 'req/s',
        higherIsBetter: true,
        note: `${abNote(result)}; load ${loadAverage()}`,
      })
    }
    const result304 = await compareAb(`${small.url}/`, `${bare.url}/`, { seconds, pairs, headers: { 'if-none-match': etag } })
    ctx.report({
      group,
      name: 'conditional GET of home answered 304: full stack vs bare node:http 304',
      ours: result304.a,
      baseline: result304.b,
      unit: 'req/s',
      higherIsBetter: true,
      note: `${abNote(result304)}; load ${loadAverage()}`,
    })
    await bare.stop()

    const big = await startStarpunk({ dataDir: bigDir, name: 'big', readyTimeoutMs: 600_000, env: { STARPUNK_FAST_PATH: 'false' } })
    started.push(big)
    await settle(big.url)
    for (const path of ['/', '/?page=5']) {
      const scale = await compareAb(`${big.url}${path}`, `${small.url}${path}`, { seconds, pairs })
      ctx.report({
        group,
        name: `${path} req/s (cached), 100,000 notes vs 1,000 notes`,
        ours: scale.a,
        baseline: scale.b,
        unit: 'req/s',
        higherIsBetter: true,
        note: abNote(scale),
      })
    }
  } finally {
    for (const server of started) await server.stop()
    rmSync(logDir, { recursive: true, force: true })
  }

  // Not HTTP: the database and render work behind a cache miss, in this process.
  const smallServer = await createServer(configFor(smallDir), { logging: { write: () => {} } })
  const bigServer = await createServer(configFor(bigDir), { logging: { write: () => {} } })
  try {
    const ops = ctx.quick ? 200 : 1000
    await homeBuildMs(smallServer, 50)
    await homeBuildMs(bigServer, 50)
    const smallBuild = await homeBuildMs(smallServer, ops)
    const bigBuild = await homeBuildMs(bigServer, ops)
    ctx.report({
      group,
      name: 'home page build uncached (indexed list + render), 100,000 vs 1,000 notes',
      ours: bigBuild,
      baseline: smallBuild,
      unit: 'ms',
      higherIsBetter: false,
      note: 'what the first visitor after a write pays',
    })
    // Deep pages: the list query + render behind a cache miss of page 1 vs page 4,000 (100,000 notes) and vs
    // the last page (1,000 notes), by cursor (what the Older links use) and by OFFSET (what ?page=N did).
    const listMs = (server: StarpunkServer, options: { offset: number; before?: { createdAt: string; id: number } }, n: number) => {
      const { config, notes } = server.context
      return timePerOp(n, async () => {
        const { notes: items, hasMore } = await notes.list({ limit: config.notesPerPage, withTotal: false, excerptAboveHtmlBytes: config.excerptAboveBytes, ...options })
        if (items.length === 0) throw new Error('empty page')
        renderListPage({ config, session: null, notes: items, page: 2, hasNext: hasMore === true, basePath: '/', heading: config.siteName, title: config.siteName, emptyMessage: '' })
      })
    }
    const cursorBefore = async (server: StarpunkServer, page: number) => {
      const perPage = server.context.config.notesPerPage
      const { notes: [last] } = await server.context.notes.list({ limit: 1, offset: (page - 1) * perPage - 1, withTotal: false })
      return { createdAt: last!.createdAt, id: last!.id }
    }
    const deepOps = ctx.quick ? 50 : 300
    for (const [server, label, deep] of [
      [bigServer, '100,000 notes', 4_000],
      [smallServer, '1,000 notes', 50],
    ] as const) {
      const perPage = server.context.config.notesPerPage
      const cursor = await cursorBefore(server, deep)
      await listMs(server, { offset: 0 }, 20)
      await listMs(server, { offset: 0, before: cursor }, 20)
      // Interleaved halves, so drift falls on both sides.
      let first = 0
      let keyset = 0
      let offset = 0
      for (let half = 0; half < 2; half++) {
        first += await listMs(server, { offset: 0 }, deepOps / 2)
        keyset += await listMs(server, { offset: 0, before: cursor }, deepOps / 2)
        offset += await listMs(server, { offset: (deep - 1) * perPage }, Math.max(5, deepOps / 20))
      }
      ctx.report({ group, name: `page ${deep.toLocaleString('en')} by cursor (?before=) vs page 1, ${label}, uncached list + render`, ours: keyset / 2, baseline: first / 2, unit: 'ms', higherIsBetter: false, note: `${deepOps} builds each; target ratio ≈ 1 (the deep page costs the same)` })
      ctx.report({ group, name: `page ${deep.toLocaleString('en')} by OFFSET (what ?page=${deep} cost before) vs page 1, ${label}`, ours: offset / 2, baseline: first / 2, unit: 'ms', higherIsBetter: false, note: 'deep ?page=N now redirects to the cursor (one OFFSET lookup of a single row)' })
    }

    const countMs = async (server: StarpunkServer) =>
      timePerOp(ctx.quick ? 20 : 100, () => server.context.db.writer.prepare('SELECT COUNT(*) FROM notes WHERE deleted_at IS NULL AND published = 1').get())
    const smallCount = await countMs(smallServer)
    const bigCount = await countMs(bigServer)
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
    await bigServer.close()
    await smallServer.close()
    rmSync(smallDir, { recursive: true, force: true })
    rmSync(bigDir, { recursive: true, force: true })
  }
}
