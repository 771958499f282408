import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { z } from 'zod'
import { lazyRequire } from '../lazy'
import type { Logger } from '../logging'
import type { NoteRecord, NotesServiceImpl } from './service'
import { parseDateOrDateTime } from './dates'
import { RESERVED_SLUGS, slugify } from './slug'
import type { Note } from './types'

/**
 * Export/import of notes as a folder of Markdown files with YAML front matter, so an author is never locked
 * in. One file per note (drafts and deleted ones included, marked); the body after the front matter is the
 * Markdown source byte for byte. Import is idempotent by slug: importing the same folder twice changes
 * nothing the second time.
 */

/** yaml is loaded on the first export or import, not at start-up (see lazy/). */
const yaml = lazyRequire<typeof import('yaml')>('yaml')

export const MAX_IMPORT_FILE_BYTES = 4 * 1024 * 1024

export interface ExportResult {
  dir: string
  count: number
  files: string[]
}

export interface ImportProblem {
  file: string
  message: string
}

export interface ImportResult {
  created: number
  updated: number
  unchanged: number
  problems: ImportProblem[]
  /** Received Webmentions written back (with `NoteExtras`). */
  mentions?: number
}

/**
 * What travels with a note besides the note itself (received Webmentions), written under its own front
 * matter key. The notes capability knows nothing of what it is: the caller (the notes CLI) wires it.
 */
export interface NoteExtras {
  /** Front matter key. */
  key: string
  /** The data for one note, or null for none. */
  exportFor(note: Note): Promise<unknown[] | null>
  /** Write the data back for the imported note (idempotent); resolves with how many items were written. Throws an Error naming what is wrong. */
  importFor(note: Note, items: unknown[]): Promise<number>
}

/** Front matter as written: every field an import needs to rebuild the note exactly. */
function frontMatterOf(note: Note): Record<string, unknown> {
  return {
    slug: note.slug,
    ...(note.title ? { title: note.title } : {}),
    published: note.published,
    created: note.createdAt,
    updated: note.updatedAt,
    deleted: note.deletedAt,
    tags: note.tags,
    ...(Object.keys(note.properties).length ? { properties: note.properties } : {}),
  }
}

export function serializeNote(note: Note, extra: Record<string, unknown> = {}): string {
  // The body is appended untouched; the parser splits at the first closing `---` line.
  return `---\n${yaml().stringify({ ...frontMatterOf(note), ...extra }, { lineWidth: 0 })}---\n${note.content}`
}

/** File name for a slug: the slug itself when it is short and safe on every filesystem, else by id. */
function fileNameFor(note: Note, used: Set<string>): string {
  const safe = /^[\p{L}\p{M}\p{N}-]+$/u.test(note.slug) && Buffer.byteLength(note.slug) <= 200
  let name = `${safe ? note.slug : `note-${note.id}`}.md`
  for (let n = 2; used.has(name.toLowerCase()); n++) name = `${safe ? note.slug : `note-${note.id}`}-${n}.md`
  used.add(name.toLowerCase())
  return name
}

export async function exportNotes(notes: NotesServiceImpl, dir: string, logger?: Logger, extras?: NoteExtras): Promise<ExportResult> {
  await mkdir(dir, { recursive: true })
  const files: string[] = []
  const used = new Set<string>()
  for await (const note of notes.all()) {
    const name = fileNameFor(note, used)
    const target = join(dir, name)
    // Write to a temp name then rename: a crash never leaves a half-written note file behind.
    const temp = `${target}.${process.pid}.tmp`
    const items = extras ? await extras.exportFor(note) : null
    await writeFile(temp, serializeNote(note, items && items.length > 0 && extras ? { [extras.key]: items } : {}), 'utf8')
    await rename(temp, target)
    files.push(name)
  }
  logger?.info('notes exported', { count: files.length })
  return { dir, count: files.length, files }
}

/** A date in front matter: `2024-05-01` (midnight UTC) or an RFC 3339 date-time; no impossible days. */
const isoDate = z.union([z.string(), z.date()]).transform((value, ctx) => {
  const date = value instanceof Date ? value : parseDateOrDateTime(value.trim())
  if (!date || Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: `"${String(value).slice(0, 40)}" is not a date: use YYYY-MM-DD or an RFC 3339 date-time such as 2024-05-01T09:30:00Z` })
    return z.NEVER
  }
  return date.toISOString()
})

const FrontMatter = z.object({
  slug: z.string().min(1).max(400),
  title: z.string().optional(),
  published: z.boolean().default(true),
  created: isoDate,
  updated: isoDate.optional(),
  deleted: isoDate.nullable().optional(),
  tags: z.array(z.string()).default([]),
  properties: z.record(z.string(), z.array(z.unknown())).default({}),
  // Received Webmentions (checked by whoever imports them).
  webmentions: z.array(z.unknown()).optional(),
})

/** Split and validate one exported file. Throws an Error whose message says what is wrong. */
export function parseNoteFile(text: string): NoteRecord & { extras?: Record<string, unknown[]> } {
  const normalized = text.replace(/^\uFEFF/, '')
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(normalized)
  if (!match) throw new Error('no front matter: the file must start with a "---" line and a closing "---" line')
  let data: unknown
  try {
    data = yaml().parse(match[1]!)
  } catch (err) {
    throw new Error(`the front matter is not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : 'parse error'})`, { cause: err })
  }
  const parsed = FrontMatter.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`front matter field "${issue.path.join('.') || '(root)'}": ${issue.message}`)
  }
  const fm = parsed.data
  if (slugify(fm.slug) !== fm.slug || RESERVED_SLUGS.has(fm.slug)) {
    throw new Error(`the slug "${fm.slug.slice(0, 80)}" is not a valid slug (use lower-case letters, digits and hyphens)`)
  }
  return {
    slug: fm.slug,
    content: normalized.slice(match[0].length),
    published: fm.published,
    createdAt: fm.created,
    updatedAt: fm.updated ?? fm.created,
    deletedAt: fm.deleted ?? null,
    tags: fm.tags,
    properties: fm.properties,
    ...(fm.webmentions ? { extras: { webmentions: fm.webmentions } } : {}),
  }
}

async function markdownFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.md'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

/** Import every `*.md` file under dir. Bad files are reported and skipped; good ones are imported. */
export async function importNotes(notes: NotesServiceImpl, dir: string, logger?: Logger, extras?: NoteExtras): Promise<ImportResult> {
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, problems: [], ...(extras ? { mentions: 0 } : {}) }
  let files: string[]
  try {
    files = await markdownFiles(dir)
  } catch {
    throw new Error(`cannot read the folder ${dir}: check that it exists and is readable`)
  }
  for (const file of files) {
    const name = relative(dir, file)
    try {
      const info = await stat(file)
      if (info.size > MAX_IMPORT_FILE_BYTES) throw new Error(`the file is larger than ${MAX_IMPORT_FILE_BYTES} bytes`)
      const { extras: carried, ...record } = parseNoteFile(await readFile(file, 'utf8'))
      const { action, note } = await notes.upsertRecord(record)
      result[action]++
      const items = extras ? carried?.[extras.key] : undefined
      if (extras && items && items.length > 0) result.mentions = (result.mentions ?? 0) + (await extras.importFor(note, items))
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      result.problems.push({ file: name, message })
      logger?.warn('note import skipped a file', { file: name, problem: message })
    }
  }
  logger?.info('notes imported', { created: result.created, updated: result.updated, unchanged: result.unchanged, problems: result.problems.length })
  return result
}
