// Ranking and paging a word that most notes contain, on a real SQLite file: the bounded FTS5 plan (top k on
// the FTS5 table, then the join) must give exactly the pages of the reference plan (FTS5's own sorter
// joined in one statement), hidden notes that outrank everything included; the LIKE fallback pages the
// same notes newest first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSearchService, type SearchServiceImpl } from './service'
import { openSearchFixture, requireNoFts5Binding, type SearchFixture } from './testing'
import type { SearchHit } from './types'

const FILLER = ['stone', 'bridge', 'willow', 'lantern', 'meadow', 'harbour', 'orchard', 'pebble']

interface Planned {
  content: string
  published: boolean
  deleted: boolean
  /** Contains the common word "river" (title or body). */
  matches: boolean
  titled: boolean
}

/**
 * 150 notes: "river" in four of five, once to three times, in bodies of three lengths (so many notes score
 * exactly alike); every 15th (of those) has it in its title too. Ten hidden notes (6 drafts, 4 in the trash) carry it
 * in the title and twice in a shorter body, so they outrank every visible note.
 */
function plannedNotes(): Planned[] {
  const notes: Planned[] = []
  for (let i = 0; i < 150; i++) {
    const hidden = i % 15 === 7 ? (notes.filter((n) => !n.published || n.deleted).length < 6 ? 'draft' : 'deleted') : null
    const length = hidden ? 8 : [12, 20, 28][i % 3]!
    const words = Array.from({ length }, (_, k) => FILLER[(i + k) % FILLER.length]!)
    const matches = hidden !== null || i % 5 !== 0
    const times = hidden ? 2 : 1 + (i % 3 === 0 ? 0 : i % 2)
    if (matches) for (let t = 0; t < times; t++) words[2 + t * 3] = 'river'
    const titled = hidden !== null || i % 15 === 3
    const content = `${titled ? `# River ${FILLER[i % FILLER.length]}\n\n` : ''}${words.join(' ')}.`
    notes.push({ content, published: hidden !== 'draft', deleted: hidden === 'deleted', matches: matches || titled, titled })
  }
  return notes
}

async function loadNotes(fx: SearchFixture): Promise<Map<string, { id: number; createdAt: string; planned: Planned }>> {
  const bySlug = new Map<string, { id: number; createdAt: string; planned: Planned }>()
  for (const [i, planned] of plannedNotes().entries()) {
    const createdAt = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString()
    const note = await fx.notes.create({ content: planned.content, published: planned.published, createdAt })
    if (planned.deleted) await fx.notes.remove(note.slug)
    bySlug.set(note.slug, { id: note.id, createdAt: note.createdAt, planned })
  }
  return bySlug
}

async function allPages(search: SearchServiceImpl, q: string, limit: number, includeDrafts: boolean): Promise<{ pages: SearchHit[][]; total: number }> {
  const pages: SearchHit[][] = []
  const first = await search.search({ q, limit, offset: 0, includeDrafts })
  pages.push(first.hits)
  for (let offset = limit; offset < first.total; offset += limit) {
    const page = await search.search({ q, limit, offset, includeDrafts })
    expect(page.total).toBe(first.total)
    pages.push(page.hits)
  }
  return { pages, total: first.total }
}

describe('FTS5 ranking of a word in most notes (bounded plan vs FTS5 sorter)', () => {
  let fx: SearchFixture
  let sorted: SearchServiceImpl
  let bySlug: Map<string, { id: number; createdAt: string; planned: Planned }>
  beforeAll(async () => {
    fx = await openSearchFixture()
    bySlug = await loadNotes(fx)
    // A second service on the same file, ranking the old way: the reference for every page.
    sorted = createSearchService({ db: fx.db, notes: fx.notes, config: fx.config, logger: fx.logger, ftsRankPlan: 'sorted' })
  })
  afterAll(async () => {
    sorted.dispose()
    await fx.close()
  })

  it('uses FTS5 and the corpus has many equal scores', async () => {
    expect(fx.search.engine).toBe('fts5')
    const { hits } = await fx.search.search({ q: 'river', limit: 100, offset: 0 })
    const ranks = hits.map((h) => h.rank)
    expect(new Set(ranks).size).toBeLessThan(ranks.length / 4)
  })

  it.each([
    { who: 'visitor', includeDrafts: false },
    { who: 'admin', includeDrafts: true },
  ])('gives the same pages as the FTS5 sorter, in rank then note id order ($who)', async ({ includeDrafts }) => {
    const expected = [...bySlug.values()].filter((n) => n.planned.matches && (includeDrafts || (n.planned.published && !n.planned.deleted)))
    for (const limit of [1, 7, 20, 100]) {
      const bounded = await allPages(fx.search, 'river', limit, includeDrafts)
      const reference = await allPages(sorted, 'river', limit, includeDrafts)
      expect(bounded.total).toBe(expected.length)
      expect(reference.total).toBe(expected.length)
      expect(bounded.pages).toEqual(reference.pages)
      const hits = bounded.pages.flat()
      expect(hits).toHaveLength(expected.length)
      expect(new Set(hits.map((h) => h.slug)).size).toBe(expected.length)
      for (const page of bounded.pages.slice(0, -1)) expect(page).toHaveLength(limit)
      for (let i = 1; i < hits.length; i++) {
        const [before, after] = [hits[i - 1]!, hits[i]!]
        expect(after.rank).toBeGreaterThanOrEqual(before.rank)
        if (after.rank === before.rank) expect(bySlug.get(after.slug)!.id).toBeGreaterThan(bySlug.get(before.slug)!.id)
      }
    }
  })

  it('shows visitors only published notes, a full first page although ten hidden notes outrank them all', async () => {
    const admin = await fx.search.search({ q: 'river', limit: 10, offset: 0, includeDrafts: true })
    expect(admin.hits.map((h) => bySlug.get(h.slug)!.planned).every((p) => !p.published || p.deleted)).toBe(true)
    const visitor = await fx.search.search({ q: 'river', limit: 10, offset: 0 })
    expect(visitor.hits).toHaveLength(10)
    for (const hit of visitor.hits) {
      expect(hit.published).toBe(true)
      expect(hit.deletedAt).toBeNull()
    }
    // Title matches count ten times a body match: every titled visible note comes before the untitled ones.
    const titledVisible = [...bySlug.values()].filter((n) => n.planned.titled && n.planned.published && !n.planned.deleted).length
    expect(titledVisible).toBeGreaterThan(3)
    const { hits } = await fx.search.search({ q: 'river', limit: 100, offset: 0 })
    const titledFlags = hits.map((h) => bySlug.get(h.slug)!.planned.titled)
    expect(titledFlags.slice(0, titledVisible).every(Boolean)).toBe(true)
    expect(titledFlags.slice(titledVisible).some(Boolean)).toBe(false)
  })

  it('answers an offset past the last visible hit with no hits and the visible total', async () => {
    const visible = [...bySlug.values()].filter((n) => n.planned.matches && n.planned.published && !n.planned.deleted).length
    const past = await fx.search.search({ q: 'river', limit: 20, offset: visible })
    expect(past).toEqual({ hits: [], total: visible })
    const last = await fx.search.search({ q: 'river', limit: 20, offset: visible - 1 })
    expect(last.hits).toHaveLength(1)
    expect(last.hits).toEqual((await sorted.search({ q: 'river', limit: 20, offset: visible - 1 })).hits)
  })
})

describe('LIKE fallback paging a word in most notes (SQLite without FTS5)', () => {
  let fx: SearchFixture
  let bySlug: Map<string, { id: number; createdAt: string; planned: Planned }>
  beforeAll(async () => {
    fx = await openSearchFixture({ STARPUNK_SQLITE_NATIVE_BINDING: requireNoFts5Binding() })
    bySlug = await loadNotes(fx)
  })
  afterAll(async () => {
    await fx.close()
  })

  it.each([
    { who: 'visitor', includeDrafts: false },
    { who: 'admin', includeDrafts: true },
  ])('pages every matching note once, newest first ($who)', async ({ includeDrafts }) => {
    expect(fx.search.engine).toBe('like')
    const expected = [...bySlug.entries()]
      .filter(([, n]) => n.planned.matches && (includeDrafts || (n.planned.published && !n.planned.deleted)))
      .sort(([, a], [, b]) => (a.createdAt < b.createdAt ? 1 : -1))
      .map(([slug]) => slug)
    const { pages, total } = await allPages(fx.search, 'river', 7, includeDrafts)
    expect(total).toBe(expected.length)
    expect(pages.flat().map((h) => h.slug)).toEqual(expected)
  })
})
