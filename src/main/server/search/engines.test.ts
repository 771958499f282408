// Both engines on real SQLite: the standard better-sqlite3 (FTS5) and a build whose SQLite really lacks
// FTS5 (scripts/build-sqlite-nofts5.mjs), loaded through config.db.nativeBinding.
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../errors'
import { CORPUS, SAME_SET_QUERIES } from './fixtures/corpus'
import { openSearchFixture, requireNoFts5Binding, type SearchFixture } from './testing'
import type { SearchHit } from './types'

const noFts5 = requireNoFts5Binding()

async function loadCorpus(fx: SearchFixture): Promise<Map<string, string>> {
  const slugToKey = new Map<string, string>()
  for (const note of CORPUS) {
    const created = await fx.notes.create({ content: note.content, published: note.published ?? true, createdAt: note.createdAt })
    if (note.deleted) await fx.notes.remove(created.slug)
    slugToKey.set(created.slug, note.key)
  }
  return slugToKey
}

async function keysFor(fx: SearchFixture, slugToKey: Map<string, string>, q: string, includeDrafts = false): Promise<string[]> {
  const { hits, total } = await fx.search.search({ q, limit: 100, offset: 0, includeDrafts })
  expect(total).toBe(hits.length)
  return hits.map((h) => slugToKey.get(h.slug) ?? `?${h.slug}`).sort()
}

describe('the no-FTS5 SQLite build', () => {
  it('really lacks FTS5, while the standard build has it', () => {
    const plain = new Database(':memory:', { nativeBinding: noFts5 })
    expect(() => plain.exec('CREATE VIRTUAL TABLE t USING fts5(x)')).toThrow(/no such module: fts5/)
    expect(plain.pragma('compile_options', { simple: false })).not.toContainEqual({ compile_options: 'ENABLE_FTS5' })
    plain.close()
    const standard = new Database(':memory:')
    expect(() => standard.exec('CREATE VIRTUAL TABLE t USING fts5(x)')).not.toThrow()
    standard.close()
  })
})

const ENGINES = [
  { name: 'fts5', env: {} },
  { name: 'like', env: { STARPUNK_SQLITE_NATIVE_BINDING: noFts5 } },
] as const

describe.each(ENGINES)('$name engine on the fixture corpus', ({ name, env }) => {
  let fx: SearchFixture
  let slugToKey: Map<string, string>
  beforeAll(async () => {
    fx = await openSearchFixture(env)
    slugToKey = await loadCorpus(fx)
  })
  afterAll(async () => {
    await fx.close()
  })

  it(`is picked automatically (${name})`, () => {
    expect(fx.search.engine).toBe(name)
    expect(fx.search.status().fts5Available).toBe(name === 'fts5')
  })

  it.each(SAME_SET_QUERIES)('finds exactly the expected notes for $q', async ({ q, expect: expected }) => {
    expect(await keysFor(fx, slugToKey, q)).toEqual([...expected].sort())
  })

  it('hides drafts and deleted notes from visitors and shows them to the admin', async () => {
    expect(await keysFor(fx, slugToKey, 'fox')).toEqual(['phrase', 'phrase-scrambled'])
    expect(await keysFor(fx, slugToKey, 'fox', true)).toEqual(['deleted', 'draft', 'phrase', 'phrase-scrambled'])
    const { hits } = await fx.search.search({ q: 'fox', limit: 10, offset: 0, includeDrafts: true })
    const bySlug = new Map(hits.map((h) => [slugToKey.get(h.slug), h]))
    expect(bySlug.get('draft')?.published).toBe(false)
    expect(bySlug.get('deleted')?.deletedAt).not.toBeNull()
    expect(bySlug.get('phrase')?.deletedAt).toBeNull()
  })

  it('escapes note text in snippets and marks only the matches', async () => {
    const { hits } = await fx.search.search({ q: 'script', limit: 10, offset: 0 })
    expect(hits).toHaveLength(1)
    const snippet = hits[0]!.snippet
    expect(snippet).toContain('&lt;<mark>script</mark>&gt;alert(&quot;pwned&quot;)&lt;/<mark>script</mark>&gt;')
    expect(snippet).not.toMatch(/<(?!\/?mark>)/)
  })

  it('marks the matched words in snippets', async () => {
    const { hits } = await fx.search.search({ q: 'cafe', limit: 10, offset: 0 })
    const cafe = hits.find((h) => slugToKey.get(h.slug) === 'cafe')!
    expect(cafe.snippet).toContain('<mark>CAFÉ</mark>')
  })

  it('pages through results with a stable total', async () => {
    const all = await fx.search.search({ q: 'and', limit: 100, offset: 0 })
    const first = await fx.search.search({ q: 'and', limit: 2, offset: 0 })
    const second = await fx.search.search({ q: 'and', limit: 2, offset: 2 })
    const beyond = await fx.search.search({ q: 'and', limit: 2, offset: 50 })
    expect(first.total).toBe(all.total)
    expect([...first.hits, ...second.hits].map((h) => h.slug)).toEqual(all.hits.slice(0, 4).map((h) => h.slug))
    expect(beyond).toEqual({ hits: [], total: all.total })
  })

  it(name === 'fts5' ? 'ranks a title match above a body match (bm25, title weighted)' : 'orders newest first', async () => {
    const { hits } = await fx.search.search({ q: 'walrus', limit: 10, offset: 0 })
    const order = hits.map((h) => slugToKey.get(h.slug))
    // title-only is older than body-walrus: FTS5 must still put it first, LIKE must not.
    expect(order).toEqual(name === 'fts5' ? ['title-only', 'body-walrus'] : ['body-walrus', 'title-only'])
    if (name === 'fts5') expect(hits[0]!.rank).toBeLessThan(hits[1]!.rank)
    else expect(hits.every((h: SearchHit) => h.rank === 0)).toBe(true)
  })

  it('rejects bad limits and offsets with a 400', async () => {
    for (const bad of [{ limit: 0, offset: 0 }, { limit: 101, offset: 0 }, { limit: 5, offset: -1 }, { limit: 1.5, offset: 0 }]) {
      const err = await fx.search.search({ q: 'fox', ...bad }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).status).toBe(400)
    }
  })
})

describe.each(ENGINES)('$name index stays in step with note writes', ({ name, env }) => {
  let fx: SearchFixture
  beforeAll(async () => {
    fx = await openSearchFixture(env)
  })
  afterAll(async () => {
    await fx.close()
  })

  const slugs = async (q: string, includeDrafts = false) => (await fx.search.search({ q, limit: 100, offset: 0, includeDrafts })).hits.map((h) => h.slug)

  it(`follows create, update, publish, delete and restore (${name})`, async () => {
    const note = await fx.notes.create({ content: 'An aardvark appears.', published: false })
    expect(await slugs('aardvark')).toEqual([])
    expect(await slugs('aardvark', true)).toEqual([note.slug])
    await fx.notes.update(note.slug, { published: true })
    expect(await slugs('aardvark')).toEqual([note.slug])
    await fx.notes.update(note.slug, { content: 'Now it is a pangolin.' })
    expect(await slugs('aardvark', true)).toEqual([])
    expect(await slugs('pangolin')).toEqual([note.slug])
    await fx.notes.remove(note.slug)
    expect(await slugs('pangolin')).toEqual([])
    expect(await slugs('pangolin', true)).toEqual([note.slug])
    await fx.notes.restore(note.slug)
    expect(await slugs('pangolin')).toEqual([note.slug])
  })

  it('rolls the index back with a failed note write (same transaction)', async () => {
    const note = await fx.notes.create({ content: 'The ocelot sleeps.' })
    const unhook = fx.notes.onWrite(() => {
      throw new Error('simulated failure after the search hook')
    })
    await expect(fx.notes.update(note.slug, { content: 'The jaguar wakes.' })).rejects.toThrow()
    unhook()
    expect(await slugs('ocelot')).toEqual([note.slug])
    expect(await slugs('jaguar')).toEqual([])
  })

  it('reports the engine and index in the detailed health output', async () => {
    const report = await fx.health.readiness(true)
    const engineCheck = report.checks?.['search:engine']?.[0]
    expect(engineCheck?.observedValue).toBe(name)
    expect(engineCheck?.status).toBe(name === 'fts5' ? 'pass' : 'warn')
    const index = report.checks?.['search:index']?.[0]
    expect(index?.observedValue).toBe(2)
    expect(index?.output).toMatch(/2 of 2 notes indexed/)
  })
})

describe('startup detection, warning and configuration', () => {
  it('logs a WARNING saying what is lost and how to get FTS5 when the SQLite lacks it', async () => {
    const fx = await openSearchFixture({ STARPUNK_SQLITE_NATIVE_BINDING: noFts5 })
    try {
      const warning = fx.logLines.map((l) => JSON.parse(l) as { level: string; msg: string }).find((l) => l.level === 'WARNING' && /FTS5/.test(l.msg))
      expect(warning?.msg).toMatch(/not ranked by relevance/)
      expect(warning?.msg).toMatch(/slows down/)
      expect(warning?.msg).toMatch(/SQLITE_ENABLE_FTS5/)
      expect(fx.search.status()).toMatchObject({ engine: 'like', fts5Available: false, configured: 'auto' })
    } finally {
      await fx.close()
    }
  })

  it('does not warn when FTS5 is in use', async () => {
    const fx = await openSearchFixture()
    try {
      expect(fx.logLines.some((l) => l.includes('"WARNING"'))).toBe(false)
    } finally {
      await fx.close()
    }
  })

  it('refuses STARPUNK_SEARCH_ENGINE=fts5 on a SQLite without FTS5 with a clear configuration error', async () => {
    const err = await openSearchFixture({ STARPUNK_SQLITE_NATIVE_BINDING: noFts5, STARPUNK_SEARCH_ENGINE: 'fts5' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('CONFIG_INVALID')
    expect((err as AppError).message).toMatch(/STARPUNK_SEARCH_ENGINE=fts5.*without the FTS5 module/)
  })

  it('uses LIKE when configured to, even where FTS5 exists', async () => {
    const fx = await openSearchFixture({ STARPUNK_SEARCH_ENGINE: 'like' })
    try {
      expect(fx.search.engine).toBe('like')
      await fx.notes.create({ content: 'Configured fallback works.' })
      expect((await fx.search.search({ q: 'fallback', limit: 5, offset: 0 })).total).toBe(1)
    } finally {
      await fx.close()
    }
  })

  it('turns search off with STARPUNK_SEARCH_ENABLED=false', async () => {
    const fx = await openSearchFixture({ STARPUNK_SEARCH_ENABLED: 'false' })
    try {
      expect(fx.search.engine).toBeNull()
      expect(fx.search.status().engine).toBe('disabled')
      const err = await fx.search.search({ q: 'x', limit: 5, offset: 0 }).catch((e: unknown) => e)
      expect((err as AppError).code).toBe('SEARCH_DISABLED')
    } finally {
      await fx.close()
    }
  })
})

describe('index repair at startup', () => {
  it('builds the FTS5 index for notes written while search was off or on a build without FTS5', async () => {
    const first = await openSearchFixture({ STARPUNK_SEARCH_ENABLED: 'false' })
    await first.notes.create({ content: 'Written while search was off: narwhal.' })
    await first.closeDb()
    const second = await openSearchFixture({ STARPUNK_SQLITE_NATIVE_BINDING: noFts5 }, first.dir)
    expect(second.search.status().indexState).toMatch(/1 note reindexed/)
    await second.notes.create({ content: 'Written on the LIKE engine: manatee.' })
    await second.closeDb()
    const third = await openSearchFixture({}, first.dir)
    try {
      expect(third.search.engine).toBe('fts5')
      expect(third.search.status().indexState).toMatch(/^built/)
      expect((await third.search.search({ q: 'narwhal', limit: 5, offset: 0 })).total).toBe(1)
      expect((await third.search.search({ q: 'manatee', limit: 5, offset: 0 })).total).toBe(1)
    } finally {
      await third.close()
    }
  })

  it('detects an FTS5 index that drifted from the notes and rebuilds it', async () => {
    const first = await openSearchFixture()
    await first.notes.create({ content: 'The original text mentions a capybara.' })
    await first.closeDb()
    // Written by a LIKE-engine run (FTS5 table left untouched): the index now disagrees with the documents.
    const likeRun = await openSearchFixture({ STARPUNK_SEARCH_ENGINE: 'like' }, first.dir)
    const [note] = (await likeRun.notes.list({ limit: 1, offset: 0 })).notes
    await likeRun.notes.update(note!.slug, { content: 'Edited text mentions a tapir instead.' })
    await likeRun.closeDb()
    const again = await openSearchFixture({}, first.dir)
    try {
      expect(again.search.status().indexState).toMatch(/^rebuilt: the LIKE engine ran/)
      expect(again.logLines.some((l) => l.includes('search index inconsistent'))).toBe(true)
      expect((await again.search.search({ q: 'tapir', limit: 5, offset: 0 })).total).toBe(1)
      expect((await again.search.search({ q: 'capybara', limit: 5, offset: 0 })).total).toBe(0)
    } finally {
      await again.close()
    }
  })

  it('finds text edited behind its back with the integrity-check and rebuilds', async () => {
    const first = await openSearchFixture()
    await first.notes.create({ content: 'An okapi in the forest.' })
    // Changed outside the index's knowledge (e.g. a hand edit): the FTS5 entry still says "okapi".
    first.db.writer.exec("UPDATE search_documents SET body = 'A gerenuk in the forest.'")
    await first.closeDb()
    const again = await openSearchFixture({}, first.dir)
    try {
      expect(again.search.status().indexState).toMatch(/^rebuilt: the FTS5 index did not match the notes/)
      expect((await again.search.search({ q: 'gerenuk', limit: 5, offset: 0 })).total).toBe(1)
      expect((await again.search.search({ q: 'okapi', limit: 5, offset: 0 })).total).toBe(0)
    } finally {
      await again.close()
    }
  })

  it('rebuilds when the FTS5 index lost entries (row counts differ)', async () => {
    const first = await openSearchFixture()
    const kept = await first.notes.create({ content: 'A dugong swims.' })
    await first.notes.create({ content: 'A dugong dives.' })
    // The index forgets one entry while the document stays (shadow tables themselves are write-protected).
    first.db.writer.prepare("INSERT INTO search_fts(search_fts, rowid, title, body) SELECT 'delete', note_id, title, body FROM search_documents WHERE note_id = ?").run(kept.id)
    await first.closeDb()
    const again = await openSearchFixture({}, first.dir)
    try {
      expect(again.search.status().indexState).toBe('rebuilt: the FTS5 index has 1 entries for 2 notes')
      expect((await again.search.search({ q: 'dugong', limit: 5, offset: 0 })).total).toBe(2)
    } finally {
      await again.close()
    }
  })

  it('on large blogs trusts flags and row counts, and still catches notes written while search was off', async () => {
    const large = { fullCheckMaxDocuments: 1 } // pretend 2 notes is "large" instead of writing 10,000
    const first = await openSearchFixture({}, undefined, large)
    await first.notes.create({ content: 'A tapir.' })
    const edited = await first.notes.create({ content: 'A serval.' })
    await first.closeDb()
    const intact = await openSearchFixture({}, first.dir, large)
    expect(intact.search.status().indexState).toBe('in sync (row counts match; full integrity-check skipped above 1 notes)')
    await intact.closeDb()
    const off = await openSearchFixture({ STARPUNK_SEARCH_ENABLED: 'false' }, first.dir, large)
    await off.notes.update(edited.slug, { content: 'A caracal.' })
    await off.closeDb()
    const back = await openSearchFixture({}, first.dir, large)
    try {
      expect(back.search.status().indexState).toMatch(/^rebuilt: notes changed while the FTS5 index was not maintained \(1 note reindexed\)/)
      expect((await back.search.search({ q: 'caracal', limit: 5, offset: 0 })).total).toBe(1)
      expect((await back.search.search({ q: 'serval', limit: 5, offset: 0 })).total).toBe(0)
    } finally {
      await back.close()
    }
  })

  it('rebuilds a missing FTS5 table and reports an intact one as in sync', async () => {
    const first = await openSearchFixture()
    await first.notes.create({ content: 'A quokka smiles.' })
    await first.closeDb()
    const intact = await openSearchFixture({}, first.dir)
    expect(intact.search.status().indexState).toBe('in sync')
    intact.db.writer.exec('DROP TABLE search_fts')
    await intact.closeDb()
    const repaired = await openSearchFixture({}, first.dir)
    try {
      expect(repaired.search.status().indexState).toMatch(/^built: the FTS5 index did not exist/)
      expect((await repaired.search.search({ q: 'quokka', limit: 5, offset: 0 })).total).toBe(1)
    } finally {
      await repaired.close()
    }
  })
})
