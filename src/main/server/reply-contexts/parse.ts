import { Parser } from 'htmlparser2'
import type { mf2 } from 'microformats-parser'
import { parseRfc3339 } from '../notes'

type Mf2Doc = ReturnType<typeof mf2>
type Mf2Item = Mf2Doc['items'][number]

/** What a target page told about itself (before it is stored). */
export interface ContextFields {
  title: string | null
  text: string | null
  authorName: string | null
  authorUrl: string | null
  authorPhoto: string | null
  published: string | null
}

export const MAX_TEXT = 280
const MAX_TITLE = 200
const MAX_NAME = 100

function clean(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null
  const text = value.replace(/\s+/g, ' ').trim()
  if (!text) return null
  const chars = Array.from(text)
  return chars.length > max ? chars.slice(0, max - 1).join('').trimEnd() + '…' : text
}

function httpUrl(value: unknown, base: string): string | null {
  if (typeof value !== 'string' || value.length > 2000) return null
  try {
    const url = new URL(value, base)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
  } catch {
    return null
  }
}

function isoDate(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const date = parseRfc3339(value.trim()) ?? (Number.isNaN(Date.parse(value)) ? null : new Date(value))
  if (!date || Number.isNaN(date.getTime())) return null
  const iso = date.toISOString()
  return iso.startsWith('+') || iso.startsWith('-') ? null : iso
}

/** A property's first value as text: a string, an e-* `{value}`, or a nested item's `value`. */
function textOf(values: unknown[] | undefined): string | null {
  const value = values?.[0]
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && typeof (value as { value?: unknown }).value === 'string') return (value as { value: string }).value
  return null
}

function urlOf(values: unknown[] | undefined, base: string): string | null {
  const value = values?.[0]
  if (typeof value === 'string') return httpUrl(value, base)
  if (value && typeof value === 'object' && typeof (value as { value?: unknown }).value === 'string') return httpUrl((value as { value: string }).value, base)
  return null
}

function entries(items: Mf2Item[], depth = 0): Mf2Item[] {
  const found: Mf2Item[] = []
  for (const item of items) {
    if ((item.type ?? []).some((t) => t === 'h-entry' || t === 'h-cite')) found.push(item)
    if (depth < 2 && item.children) found.push(...entries(item.children, depth + 1))
  }
  return found
}

/** The h-entry the page is about: the one whose u-url is the page, else the first. */
function mainEntry(doc: Mf2Doc, pageUrls: string[]): Mf2Item | null {
  const all = entries(doc.items)
  const own = all.find((item) => (item.properties.url ?? []).some((u) => typeof u === 'string' && pageUrls.includes(httpUrl(u, pageUrls[0]!) ?? '')))
  return own ?? all[0] ?? null
}

/** Author name, URL and photo from an entry's p-author (an h-card, a name or a URL), else the page's h-card. */
function authorOf(entry: Mf2Item, doc: Mf2Doc, base: string): Pick<ContextFields, 'authorName' | 'authorUrl' | 'authorPhoto'> {
  const raw = entry.properties.author?.[0]
  const card =
    raw && typeof raw === 'object' && 'type' in raw && Array.isArray(raw.type) && raw.type.includes('h-card')
      ? (raw)
      : typeof raw === 'string'
        ? null
        : (doc.items.find((item) => (item.type ?? []).includes('h-card')) ?? null)
  if (card) {
    return {
      authorName: clean(textOf(card.properties.name), MAX_NAME),
      authorUrl: urlOf(card.properties.url, base),
      authorPhoto: urlOf(card.properties.photo, base),
    }
  }
  if (typeof raw === 'string') {
    const asUrl = /^https?:\/\//i.test(raw) ? httpUrl(raw, base) : null
    return { authorName: asUrl ? null : clean(raw, MAX_NAME), authorUrl: asUrl, authorPhoto: null }
  }
  return { authorName: null, authorUrl: null, authorPhoto: null }
}

/** From the page's microformats2: its main h-entry (name only when it is not just the start of the text). */
export function fromMf2(doc: Mf2Doc, pageUrls: string[]): ContextFields | null {
  const entry = mainEntry(doc, pageUrls)
  if (!entry) return null
  const base = pageUrls[0]!
  const content = textOf(entry.properties.content) ?? textOf(entry.properties.summary)
  const rawName = textOf(entry.properties.name)
  const collapse = (s: string) => s.replace(/\s+/g, ' ').trim()
  // An implied name is the whole text of the entry: it is a title only when it is not the content again.
  const name = rawName && (!content || !collapse(content).startsWith(collapse(rawName))) ? clean(rawName, MAX_TITLE) : null
  return {
    title: name,
    text: clean(content, MAX_TEXT),
    published: isoDate(textOf(entry.properties.published)),
    ...authorOf(entry, doc, base),
  }
}

/** `<title>`, OpenGraph and the common article meta tags, read from the start of the page (where the head is). */
export function fromHead(html: string): ContextFields {
  const meta: Record<string, string> = {}
  let title = ''
  let inTitle = false
  let done = false
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'title') inTitle = true
        if (name === 'meta') {
          const key = (attributes.property ?? attributes.name ?? '').toLowerCase()
          if (key && typeof attributes.content === 'string' && !(key in meta)) meta[key] = attributes.content
        }
        if (name === 'body') done = true
      },
      ontext(text) {
        if (inTitle && !done) title += text
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  )
  parser.write(html.slice(0, 64 * 1024))
  parser.end()
  return {
    title: clean(meta['og:title'] ?? meta['twitter:title'] ?? title, MAX_TITLE),
    text: clean(meta['og:description'] ?? meta['twitter:description'] ?? meta.description, MAX_TEXT),
    authorName: clean(meta.author ?? meta['article:author'], MAX_NAME),
    authorUrl: null,
    authorPhoto: null,
    published: isoDate(meta['article:published_time']),
  }
}

/** mf2 first; what it lacks comes from the head (a page with an h-entry but no name still has a title). */
export function contextFields(doc: Mf2Doc | null, html: string, pageUrls: string[]): ContextFields {
  const head = fromHead(html)
  const entry = doc ? fromMf2(doc, pageUrls) : null
  if (!entry) return head
  return {
    title: entry.title ?? (entry.text ? null : head.title),
    text: entry.text ?? head.text,
    authorName: entry.authorName ?? head.authorName,
    authorUrl: entry.authorUrl,
    authorPhoto: entry.authorPhoto,
    published: entry.published ?? head.published,
  }
}
