import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../errors'
import { openNotesFixture, type NotesFixture } from './testing'
import type { NoteWriteEvent } from './types'

let fx: NotesFixture
beforeEach(async () => {
  fx = await openNotesFixture()
})
afterEach(async () => {
  await fx.close()
})

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected a rejection')
}

describe('NotesService create/get', () => {
  it('stores Markdown, renders sanitised HTML, derives title and slug', async () => {
    const note = await fx.notes.create({ content: '# Hello *World*\n\nSome **text** <script>alert(1)</script>', tags: ['IndieWeb', 'Notes'] })
    expect(note.slug).toBe('hello-world')
    expect(note.title).toBe('Hello World')
    expect(note.html).toContain('<strong>text</strong>')
    expect(note.html).not.toContain('<script')
    expect(note.published).toBe(true)
    expect(note.tags).toEqual(['IndieWeb', 'Notes'])
    expect(note.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    const again = await fx.notes.get('hello-world')
    expect(again).toEqual(note)
  })

  it('has no title for a note without a heading and slugs its first words', async () => {
    const note = await fx.notes.create({ content: 'Just a quick thought about the weather today, nothing more to say really.' })
    expect(note.title).toBeNull()
    expect(note.slug).toBe('just-a-quick-thought-about-the-weather-today')
  })

  it('makes slugs unique with -2, -3 and keeps a sanitised custom slug', async () => {
    const a = await fx.notes.create({ content: 'same words' })
    const b = await fx.notes.create({ content: 'same words' })
    const c = await fx.notes.create({ content: 'other', slug: 'Same Words!' })
    expect([a.slug, b.slug, c.slug]).toEqual(['same-words', 'same-words-2', 'same-words-3'])
    const custom = await fx.notes.create({ content: 'x', slug: '  My/Custom..Slug  ' })
    expect(custom.slug).toBe('my-custom-slug')
  })

  it('keeps letters of any script and avoids reserved words', async () => {
    const jp = await fx.notes.create({ content: '東京 の 天気' })
    expect(jp.slug).toBe('東京-の-天気')
    const fullWidth = await fx.notes.create({ content: 'x', slug: 'ＡＢＣ' })
    expect(fullWidth.slug).toBe('abc')
    const admin = await fx.notes.create({ content: 'x', slug: 'admin' })
    expect(admin.slug).toBe('admin-2')
    const emoji = await fx.notes.create({ content: '🎉🎉🎉' })
    expect(emoji.slug).toMatch(/^\d{14}$/)
  })

  it('uses a given created date and rejects a bad one without writing', async () => {
    const note = await fx.notes.create({ content: 'dated', createdAt: '2020-01-02T03:04:05+02:00' })
    expect(note.createdAt).toBe('2020-01-02T01:04:05.000Z')
    const before = fx.db.version
    const err = await errorOf(fx.notes.create({ content: 'bad', createdAt: 'yesterday-ish' }))
    expect(err.code).toBe('BAD_REQUEST')
    expect(fx.db.version).toBe(before)
  })

  it('rejects empty content, bad tags and bad properties with BAD_REQUEST', async () => {
    expect((await errorOf(fx.notes.create({ content: '   \n ' }))).code).toBe('BAD_REQUEST')
    expect((await errorOf(fx.notes.create({ content: 'x', tags: ['a/b'] }))).code).toBe('BAD_REQUEST')
    expect((await errorOf(fx.notes.create({ content: 'x', tags: ['t'.repeat(65)] }))).code).toBe('BAD_REQUEST')
    // @ts-expect-error: a property value that is not an array, as a careless client could send
    expect((await errorOf(fx.notes.create({ content: 'x', properties: { name: 'not-an-array' } }))).code).toBe('BAD_REQUEST')
    expect((await fx.notes.list({ limit: 10, offset: 0, includeDrafts: true, includeDeleted: true })).total).toBe(0)
  })
})

describe('NotesService drafts, update, delete, restore', () => {
  it('hides drafts unless asked', async () => {
    await fx.notes.create({ content: 'draft one', published: false })
    expect(await fx.notes.get('draft-one')).toBeNull()
    expect((await fx.notes.get('draft-one', { includeDrafts: true }))?.published).toBe(false)
    expect((await fx.notes.list({ limit: 10, offset: 0 })).total).toBe(0)
    expect((await fx.notes.list({ limit: 10, offset: 0, includeDrafts: true })).total).toBe(1)
  })

  it('updates content and tags, keeps the slug, moves updatedAt', async () => {
    const note = await fx.notes.create({ content: 'first version', tags: ['a'], createdAt: '2020-01-01T00:00:00Z' })
    const updated = await fx.notes.update(note.slug, { content: '# New title\n\nbody', tags: ['B', 'c'], published: false })
    expect(updated.slug).toBe('first-version')
    expect(updated.title).toBe('New title')
    expect(updated.tags).toEqual(['B', 'c'])
    expect(updated.published).toBe(false)
    expect(updated.createdAt).toBe('2020-01-01T00:00:00.000Z')
    expect(updated.updatedAt > note.updatedAt).toBe(true)
    expect((await errorOf(fx.notes.update('no-such-note', { content: 'x' }))).code).toBe('NOT_FOUND')
  })

  it('soft-deletes and restores', async () => {
    const note = await fx.notes.create({ content: 'to the trash' })
    const deleted = await fx.notes.remove(note.slug)
    expect(deleted.deletedAt).not.toBeNull()
    expect(await fx.notes.get(note.slug, { includeDrafts: true })).toBeNull()
    expect((await fx.notes.get(note.slug, { includeDeleted: true }))?.deletedAt).toBe(deleted.deletedAt)
    expect((await fx.notes.list({ limit: 10, offset: 0, onlyDeleted: true })).notes.map((n) => n.slug)).toEqual([note.slug])
    expect((await errorOf(fx.notes.update(note.slug, { content: 'x' }))).code).toBe('NOT_FOUND')
    const restored = await fx.notes.restore(note.slug)
    expect(restored.deletedAt).toBeNull()
    expect((await fx.notes.get(note.slug))?.content).toBe('to the trash')
    expect((await errorOf(fx.notes.remove('nope'))).code).toBe('NOT_FOUND')
  })
})

describe('NotesService tags and listing', () => {
  it('treats tags case-insensitively, keeps the display form, filters by tag', async () => {
    await fx.notes.create({ content: 'one', tags: ['JavaScript', 'javascript', '#Web'] })
    await fx.notes.create({ content: 'two', tags: ['JAVASCRIPT'] })
    await fx.notes.create({ content: 'three', tags: ['web'], published: false })
    // One display form per tag site-wide: the first one given.
    const one = await fx.notes.get('one')
    expect(one?.tags).toEqual(['JavaScript', 'Web'])
    expect((await fx.notes.get('two'))?.tags).toEqual(['JavaScript'])
    const byTag = await fx.notes.list({ limit: 10, offset: 0, tag: 'javaSCRIPT' })
    expect(byTag.notes.map((n) => n.slug).sort()).toEqual(['one', 'two'])
    expect(byTag.total).toBe(2)
    const tags = await fx.notes.tags()
    expect(tags).toEqual([
      { name: 'javascript', display: 'JavaScript', count: 2 },
      { name: 'web', display: 'Web', count: 1 },
    ])
    expect((await fx.notes.tags({ includeDrafts: true })).find((t) => t.name === 'web')?.count).toBe(2)
  })

  it('lists newest first with pagination and a total that follows writes', async () => {
    for (let i = 1; i <= 5; i++) await fx.notes.create({ content: `note ${i}`, createdAt: `2021-01-0${i}T00:00:00Z` })
    const page1 = await fx.notes.list({ limit: 2, offset: 0 })
    expect(page1.notes.map((n) => n.slug)).toEqual(['note-5', 'note-4'])
    expect(page1.total).toBe(5)
    const page3 = await fx.notes.list({ limit: 2, offset: 4 })
    expect(page3.notes.map((n) => n.slug)).toEqual(['note-1'])
    await fx.notes.remove('note-3')
    expect((await fx.notes.list({ limit: 2, offset: 0 })).total).toBe(4)
    expect((await errorOf(fx.notes.list({ limit: -1, offset: 0 }))).code).toBe('BAD_REQUEST')
  })
})

describe('NotesService write hooks', () => {
  it('calls every hook inside the transaction with the event', async () => {
    const events: NoteWriteEvent[] = []
    const off = fx.notes.onWrite((conn, event) => {
      // Inside the transaction the hook sees the row already written.
      const row = conn.prepare('SELECT deleted_at FROM notes WHERE slug = ?').get(event.type === 'purged' ? event.slug : event.note.slug)
      expect(row).toBeDefined()
      events.push(event)
    })
    await fx.notes.create({ content: 'hooked' })
    await fx.notes.update('hooked', { content: 'hooked again' })
    await fx.notes.remove('hooked')
    await fx.notes.restore('hooked')
    expect(events.map((e) => e.type)).toEqual(['created', 'updated', 'deleted', 'restored'])
    off()
    await fx.notes.create({ content: 'not hooked' })
    expect(events).toHaveLength(4)
  })

  it('rolls the whole write back when a hook throws', async () => {
    fx.notes.onWrite(() => {
      throw new Error('index is broken')
    })
    const before = fx.db.version
    await expect(fx.notes.create({ content: 'never stored', tags: ['ghost'] })).rejects.toThrow('index is broken')
    expect(fx.db.version).toBe(before)
    const counts = fx.db.writer.prepare('SELECT (SELECT COUNT(*) FROM notes) AS notes, (SELECT COUNT(*) FROM tags) AS tags').get()
    expect(counts).toEqual({ notes: 0, tags: 0 })
  })

  it('keeps an acknowledged write after the database is reopened', async () => {
    await fx.notes.create({ content: 'durable', tags: ['kept'] })
    await fx.db.close()
    const reopened = await openNotesFixture(fx.dir)
    fx = reopened
    expect((await reopened.notes.get('durable'))?.tags).toEqual(['kept'])
  })
})

describe('NotesService purge', () => {
  it('removes a trashed note for good, with its tag links, and tells the hooks', async () => {
    const events: NoteWriteEvent[] = []
    fx.notes.onWrite((_conn, event) => events.push(event))
    const note = await fx.notes.create({ content: 'short lived', tags: ['tmp'] })
    expect((await errorOf(fx.notes.purge(note.slug))).code).toBe('BAD_REQUEST')
    expect(await fx.notes.get(note.slug)).not.toBeNull()
    await fx.notes.remove(note.slug)
    await fx.notes.purge(note.slug)
    expect(await fx.notes.get(note.slug, { includeDeleted: true, includeDrafts: true })).toBeNull()
    expect(fx.db.writer.prepare('SELECT COUNT(*) AS n FROM note_tags').get()).toEqual({ n: 0 })
    expect(events.at(-1)).toEqual({ type: 'purged', id: note.id, slug: note.slug })
    expect((await errorOf(fx.notes.purge(note.slug))).code).toBe('NOT_FOUND')
  })
})
