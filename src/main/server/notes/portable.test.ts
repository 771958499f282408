import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportNotes, importNotes, parseNoteFile } from './portable'
import { openNotesFixture, type NotesFixture } from './testing'

let source: NotesFixture
let target: NotesFixture
let out: string

beforeEach(async () => {
  source = await openNotesFixture()
  target = await openNotesFixture()
  out = mkdtempSync(join(tmpdir(), 'starpunk-export-'))
})
afterEach(async () => {
  await source.close()
  await target.close()
  rmSync(out, { recursive: true, force: true })
})

async function seed(fx: NotesFixture) {
  await fx.notes.create({ content: '# Title line\n\nBody with *Markdown*\nand a trailing newline\n', tags: ['IndieWeb', 'Meta'], createdAt: '2023-05-06T07:08:09Z' })
  await fx.notes.create({ content: 'A draft ---\n---\nwith a rule inside', published: false, slug: 'my-draft' })
  await fx.notes.create({ content: 'Deleted but kept', tags: ['trash'] })
  await fx.notes.remove('deleted-but-kept')
  await fx.notes.create({ content: 'Ünïcödé 東京 note: "quotes" & colons: yes', properties: { name: ['Custom name'], 'mp-syndicate-to': ['https://x.example'], photo: [{ value: 'https://x.example/a.jpg', alt: 'A' }] } })
}

function snapshot(fx: NotesFixture) {
  return fx.db.writer
    .prepare('SELECT slug, content, content_html, title, published, created_at, updated_at, deleted_at, properties FROM notes ORDER BY slug')
    .all()
}

describe('export', () => {
  it('writes one Markdown file with front matter per note, drafts and deleted included', async () => {
    await seed(source)
    const result = await exportNotes(source.notes, out)
    expect(result.count).toBe(4)
    expect(readdirSync(out).sort()).toEqual(['deleted-but-kept.md', 'my-draft.md', 'title-line.md', 'ünïcödé-東京-note-quotes-colons-yes.md'].sort())
    const text = readFileSync(join(out, 'title-line.md'), 'utf8')
    expect(text.startsWith('---\nslug: title-line\n')).toBe(true)
    expect(text).toContain('created: 2023-05-06T07:08:09.000Z')
    expect(text).toMatch(/tags:\n\s+- IndieWeb\n\s+- Meta/)
    expect(text.endsWith('---\n# Title line\n\nBody with *Markdown*\nand a trailing newline\n')).toBe(true)
    expect(readFileSync(join(out, 'deleted-but-kept.md'), 'utf8')).toMatch(/deleted: \S+Z/)
    expect(readFileSync(join(out, 'my-draft.md'), 'utf8')).toContain('published: false')
  })
})

describe('round trip', () => {
  it('export → import into an empty database reproduces every note exactly, and re-export is identical', async () => {
    await seed(source)
    await exportNotes(source.notes, out)
    const result = await importNotes(target.notes, out)
    expect(result).toEqual({ created: 4, updated: 0, unchanged: 0, problems: [] })
    expect(snapshot(target)).toEqual(snapshot(source))
    for (const slug of ['title-line', 'my-draft', 'deleted-but-kept']) {
      const a = await source.notes.get(slug, { includeDrafts: true, includeDeleted: true })
      const b = await target.notes.get(slug, { includeDrafts: true, includeDeleted: true })
      expect({ ...b, id: 0 }).toEqual({ ...a, id: 0 })
    }
    const again = mkdtempSync(join(tmpdir(), 'starpunk-export2-'))
    await exportNotes(target.notes, again)
    for (const file of readdirSync(out)) expect(readFileSync(join(again, file), 'utf8')).toBe(readFileSync(join(out, file), 'utf8'))
    rmSync(again, { recursive: true, force: true })
  })

  it('is idempotent by slug: a second import changes nothing; an edited file updates its note only', async () => {
    await seed(source)
    await exportNotes(source.notes, out)
    await importNotes(target.notes, out)
    const version = target.db.version
    expect(await importNotes(target.notes, out)).toEqual({ created: 0, updated: 0, unchanged: 4, problems: [] })
    expect(target.db.version).toBe(version)
    const file = join(out, 'my-draft.md')
    writeFileSync(file, readFileSync(file, 'utf8').replace('published: false', 'published: true') + '\nmore')
    expect(await importNotes(target.notes, out)).toEqual({ created: 0, updated: 1, unchanged: 3, problems: [] })
    const note = await target.notes.get('my-draft')
    expect(note?.published).toBe(true)
    expect(note?.content.endsWith('\nmore')).toBe(true)
  })
})

describe('import of bad files', () => {
  it('reports each bad file with a reason, imports the good ones, and never crashes', async () => {
    writeFileSync(join(out, 'good.md'), '---\nslug: good-one\ncreated: 2020-01-01\ntags: [a, B]\n---\nFine *note*')
    writeFileSync(join(out, 'no-front-matter.md'), 'Just text')
    writeFileSync(join(out, 'bad-yaml.md'), '---\nslug: [unclosed\n---\nx')
    writeFileSync(join(out, 'bad-date.md'), '---\nslug: bad-date\ncreated: not a date\n---\nx')
    writeFileSync(join(out, 'bad-slug.md'), '---\nslug: Not A Slug!\ncreated: 2020-01-01\n---\nx')
    writeFileSync(join(out, 'reserved.md'), '---\nslug: admin\ncreated: 2020-01-01\n---\nx')
    writeFileSync(join(out, 'empty-body.md'), '---\nslug: empty-body\ncreated: 2020-01-01\n---\n   ')
    writeFileSync(join(out, 'bad-tags.md'), '---\nslug: bad-tags\ncreated: 2020-01-01\ntags: nope\n---\nx')
    writeFileSync(join(out, 'ignored.txt'), 'not markdown')
    mkdirSync(join(out, 'sub'))
    writeFileSync(join(out, 'sub', 'nested.md'), '---\nslug: nested\ncreated: 2021-01-01T00:00:00Z\npublished: false\n---\nNested')
    const result = await importNotes(target.notes, out)
    expect(result.created).toBe(2)
    expect(result.problems.map((p) => p.file).sort()).toEqual(
      ['bad-date.md', 'bad-slug.md', 'bad-tags.md', 'bad-yaml.md', 'empty-body.md', 'no-front-matter.md', 'reserved.md'].sort(),
    )
    for (const problem of result.problems) expect(problem.message.length).toBeGreaterThan(10)
    expect(result.problems.find((p) => p.file === 'bad-date.md')?.message).toContain('created')
    expect((await target.notes.get('good-one'))?.tags).toEqual(['a', 'B'])
    expect((await target.notes.get('nested', { includeDrafts: true }))?.published).toBe(false)
    expect(target.db.writer.prepare('SELECT COUNT(*) AS n FROM notes').get()).toEqual({ n: 2 })
  })

  it('says clearly when the folder does not exist', async () => {
    await expect(importNotes(target.notes, join(out, 'missing'))).rejects.toThrow(/cannot read the folder/)
  })

  it('parses front matter with CRLF line endings and a BOM', () => {
    const record = parseNoteFile('\uFEFF---\r\nslug: crlf\r\ncreated: 2020-01-01\r\n---\r\nBody')
    expect(record.slug).toBe('crlf')
    expect(record.content).toBe('Body')
    expect(record.updatedAt).toBe('2020-01-01T00:00:00.000Z')
  })
})

describe('post types', () => {
  it('carry their properties through export and import: a like without text, an article, an RSVP, a reply with a private location', async () => {
    const cite = { type: ['h-cite'], properties: { url: ['https://x.example/post'], name: ['Their post'] } }
    await source.notes.create({ content: '', properties: { 'like-of': [cite] }, slug: 'a-like' })
    await source.notes.create({ content: 'The long text.', properties: { name: ['An article'], summary: ['In short'] } })
    await source.notes.create({ content: '', properties: { 'in-reply-to': ['https://x.example/event'], rsvp: ['maybe'] }, slug: 'an-rsvp' })
    const geo = { type: ['h-geo'], properties: { latitude: ['52.5'], longitude: ['13.4'] } }
    await source.notes.create({
      content: 'Me too',
      properties: { 'in-reply-to': ['https://x.example/q'], location: [geo], 'starpunk-location': ['private'] },
      slug: 'a-reply',
    })
    await exportNotes(source.notes, out)
    const likeFile = readFileSync(join(out, 'a-like.md'), 'utf8')
    expect(likeFile).toContain('like-of:')
    expect(likeFile.endsWith('---\n')).toBe(true)
    expect(await importNotes(target.notes, out)).toEqual({ created: 4, updated: 0, unchanged: 0, problems: [] })
    expect(snapshot(target)).toEqual(snapshot(source))
    const types = target.db.writer.prepare('SELECT slug, post_type FROM notes ORDER BY slug').all()
    expect(types).toEqual([
      { slug: 'a-like', post_type: 'like' },
      { slug: 'a-reply', post_type: 'reply' },
      { slug: 'an-article', post_type: 'article' },
      { slug: 'an-rsvp', post_type: 'rsvp' },
    ])
    const reply = (await target.notes.get('a-reply'))!
    expect(reply.properties.location).toEqual([geo])
    expect(reply.properties['starpunk-location']).toEqual(['private'])
    expect((await target.notes.get('a-like'))!.properties['like-of']).toEqual([cite])
    // Importing the same folder again writes nothing.
    expect(await importNotes(target.notes, out)).toEqual({ created: 0, updated: 0, unchanged: 4, problems: [] })
  })

  it('an empty body is refused for a note that is not a like, repost, bookmark or RSVP', async () => {
    writeFileSync(join(out, 'empty.md'), '---\nslug: empty\npublished: true\ncreated: 2024-01-01T00:00:00Z\nupdated: 2024-01-01T00:00:00Z\n---\n')
    const result = await importNotes(target.notes, out)
    expect(result.created).toBe(0)
    expect(result.problems).toHaveLength(1)
    expect(result.problems[0]!.message).toMatch(/empty/)
  })
})
