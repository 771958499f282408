import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../errors'
import { parseDateOrDateTime, parseRfc3339 } from './dates'
import { importNotes } from './portable'
import { openNotesFixture, type NotesFixture } from './testing'

const iso = (date: Date | null) => date?.toISOString() ?? null

describe('parseRfc3339', () => {
  it.each([
    ['2024-05-01T09:30:00Z', '2024-05-01T09:30:00.000Z'],
    ['2024-05-01t09:30:00z', '2024-05-01T09:30:00.000Z'],
    ['2024-05-01 09:30:00Z', '2024-05-01T09:30:00.000Z'],
    ['2024-05-01T11:30:00+02:00', '2024-05-01T09:30:00.000Z'],
    ['2024-05-01T00:30:00-01:30', '2024-05-01T02:00:00.000Z'],
    ['2024-12-31T23:30:00-01:00', '2025-01-01T00:30:00.000Z'],
    ['2024-05-01T09:30:00.25Z', '2024-05-01T09:30:00.250Z'],
    ['2024-05-01T09:30:00.123456789Z', '2024-05-01T09:30:00.123Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['0050-03-01T00:00:00Z', '0050-03-01T00:00:00.000Z'],
  ])('reads %s', (text, expected) => {
    expect(iso(parseRfc3339(text))).toBe(expected)
  })

  it.each([
    ['1'],
    ['2024'],
    ['2024-05-01'],
    ['2024-05-01T09:30Z'],
    ['2024-05-01T09:30:00'],
    ['2024-02-30T00:00:00Z'],
    ['2023-02-29T00:00:00Z'],
    ['2024-04-31T00:00:00Z'],
    ['2024-13-01T00:00:00Z'],
    ['2024-00-10T00:00:00Z'],
    ['2024-05-00T00:00:00Z'],
    ['2024-05-01T24:00:00Z'],
    ['2024-05-01T09:60:00Z'],
    ['2024-05-01T23:59:60Z'],
    ['2024-05-01T09:30:00+24:00'],
    ['2024-05-01T09:30:00+02:60'],
    ['2024-05-01T09:30:00+0200'],
    ['May 1, 2024 09:30 UTC'],
    ['Wed, 01 May 2024 09:30:00 GMT'],
    [' 2024-05-01T09:30:00Z'],
    ['2024-05-01T09:30:00Z\n'],
    ['+002024-05-01T09:30:00Z'],
  ])('refuses %j', (text) => {
    expect(parseRfc3339(text)).toBeNull()
  })
})

describe('parseDateOrDateTime', () => {
  it('reads a date-only value as midnight UTC, and a full date-time', () => {
    expect(iso(parseDateOrDateTime('2024-01-05'))).toBe('2024-01-05T00:00:00.000Z')
    expect(iso(parseDateOrDateTime('2024-02-29'))).toBe('2024-02-29T00:00:00.000Z')
    expect(iso(parseDateOrDateTime('2024-01-05T10:00:00+01:00'))).toBe('2024-01-05T09:00:00.000Z')
  })

  it.each([['1'], ['2024-02-30'], ['2023-02-29'], ['2024-06-31'], ['2024-1-5'], ['20240105'], ['yesterday']])('refuses %j', (text) => {
    expect(parseDateOrDateTime(text)).toBeNull()
  })
})

describe('dates reaching the notes service', () => {
  let fx: NotesFixture
  let dir: string
  beforeAll(async () => {
    fx = await openNotesFixture()
    dir = mkdtempSync(join(tmpdir(), 'starpunk-import-dates-'))
  })
  afterAll(async () => {
    await fx.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it.each([['1'], ['2024-02-30T10:00:00Z'], ['2024-05-01'], ['May 1, 2024']])('create refuses the published date %j with a 400, writing nothing', async (createdAt) => {
    const before = fx.db.version
    const err = await fx.notes.create({ content: 'dated', createdAt }).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).status).toBe(400)
    expect((err as AppError).info.message).toContain('RFC 3339')
    expect(fx.db.version).toBe(before)
  })

  it('import keeps date-only front matter and refuses impossible dates, naming the file', async () => {
    writeFileSync(join(dir, 'leap-day.md'), '---\nslug: leap-day\ncreated: 2024-02-29\n---\nA leap day')
    writeFileSync(join(dir, 'february-30.md'), '---\nslug: february-30\ncreated: 2024-02-30\n---\nNo such day')
    writeFileSync(join(dir, 'just-one.md'), '---\nslug: just-one\ncreated: "1"\n---\nNot a date')
    writeFileSync(join(dir, 'bad-update.md'), '---\nslug: bad-update\ncreated: 2023-01-01\nupdated: 2023-02-29\n---\n2023 is no leap year')
    const result = await importNotes(fx.notes, dir)
    expect(result.created).toBe(1)
    expect((await fx.notes.get('leap-day'))?.createdAt).toBe('2024-02-29T00:00:00.000Z')
    const problems = Object.fromEntries(result.problems.map((p) => [p.file, p.message]))
    expect(Object.keys(problems).sort()).toEqual(['bad-update.md', 'february-30.md', 'just-one.md'])
    expect(problems['february-30.md']).toContain('"created"')
    expect(problems['february-30.md']).toContain('"2024-02-30" is not a date')
    expect(problems['just-one.md']).toContain('"1" is not a date')
    expect(problems['bad-update.md']).toContain('"updated"')
    for (const slug of ['february-30', 'just-one', 'bad-update']) expect(await fx.notes.get(slug, { includeDrafts: true, includeDeleted: true })).toBeNull()
  })
})
