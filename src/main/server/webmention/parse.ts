import { Parser } from 'htmlparser2'
import type { mf2 } from 'microformats-parser'
import type sanitizeHtml from 'sanitize-html'
import { lazyRequire } from '../lazy'
import { RELATION_PROPERTIES, type Author, type MentionType, type ParsedMention } from './types'

type Mf2Item = ReturnType<typeof mf2>['items'][number]
type Mf2Value = Mf2Item['properties'][string][number]

/** HTML sanitised by the notes' policy (the notes renderer's `sanitize`). May run in another thread. */
export type HtmlSanitizer = (html: string) => string | Promise<string>

/** Bounds on what a mention keeps: its page is someone else's, of any size up to the fetch cap. */
export const MAX_CONTENT_HTML = 64 * 1024
export const MAX_CONTENT_TEXT = 10_000
const MAX_NAME = 200
const MAX_URL = 2_048

/** URL without its fragment, normalised by WHATWG URL; null when not an http(s) URL. */
export function normalizeUrl(value: string, base?: string): string | null {
  let url: URL
  try {
    url = new URL(value, base)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  url.hash = ''
  return url.href
}

// Attributes that make an element a link to somewhere (hyperlinks, embeds, quotations and edits).
export const LINK_ATTRIBUTES: Record<string, string[]> = {
  a: ['href'],
  area: ['href'],
  img: ['src'],
  audio: ['src'],
  video: ['src'],
  source: ['src'],
  blockquote: ['cite'],
  q: ['cite'],
  ins: ['cite'],
  del: ['cite'],
  data: ['value'],
}

/** Whether the HTML has an element linking to target (resolved against the page URL, fragments ignored). */
export function htmlLinksTo(html: string, pageUrl: string, target: string): boolean {
  const wanted = normalizeUrl(target)
  if (!wanted) return false
  let found = false
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (found) return
        for (const attribute of LINK_ATTRIBUTES[name] ?? []) {
          const value = attributes[attribute]
          if (value !== undefined && normalizeUrl(value, pageUrl) === wanted) found = true
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  )
  parser.write(html)
  parser.end()
  return found
}

function isItem(value: Mf2Value | undefined): value is Mf2Item {
  return typeof value === 'object' && value !== null && 'properties' in value
}

/** A property's values as URLs: strings, u-* image objects, and embedded h-cite/h-card (their url or value). */
function urlsOf(item: Mf2Item, property: string): string[] {
  const urls: string[] = []
  for (const value of item.properties[property] ?? []) {
    if (typeof value === 'string') urls.push(value)
    else if (isItem(value)) {
      for (const url of value.properties.url ?? []) if (typeof url === 'string') urls.push(url)
      if (typeof value.value === 'string') urls.push(value.value)
    } else if ('value' in value && typeof value.value === 'string' && !('html' in value)) urls.push(value.value)
  }
  return urls.flatMap((url) => normalizeUrl(url) ?? [])
}

function textOf(value: Mf2Value | undefined): string | null {
  if (value === undefined) return null
  if (typeof value === 'string') return value
  if (isItem(value)) return typeof value.value === 'string' ? value.value : null
  return typeof value.value === 'string' ? value.value : null
}

function clip(text: string | null, max: number): string | null {
  if (text === null) return null
  const trimmed = text.replace(/\s+/g, ' ').trim()
  if (!trimmed) return null
  const points = Array.from(trimmed)
  return points.length > max ? points.slice(0, max - 1).join('') + '…' : trimmed
}

function safeUrl(value: string | null): string | null {
  if (!value || value.length > MAX_URL) return null
  return normalizeUrl(value)
}

/** Every h-entry on the page: top level, inside an h-feed, or as a child item (bounded depth). */
function entries(items: Mf2Item[], depth = 0): Mf2Item[] {
  if (depth > 3) return []
  return items.flatMap((item) => [...(item.type?.includes('h-entry') ? [item] : []), ...entries(item.children ?? [], depth + 1)])
}

/** Post Type Discovery as it applies to the target: what this entry is *of the target*. */
export function classify(entry: Mf2Item | null, target: string): MentionType {
  if (!entry) return 'mention'
  const wanted = normalizeUrl(target)
  const points = (property: string) => wanted !== null && urlsOf(entry, property).includes(wanted)
  if (points('in-reply-to')) return entry.properties.rsvp?.length ? 'rsvp' : 'reply'
  if (points('repost-of')) return 'repost'
  if (points('like-of')) return 'like'
  if (points('bookmark-of')) return 'bookmark'
  return 'mention'
}

function authorOf(entry: Mf2Item | null, items: Mf2Item[]): Author {
  const none: Author = { name: null, photo: null, url: null }
  const value = entry?.properties.author?.[0] ?? items.find((item) => item.type?.includes('h-card'))
  if (value === undefined) return none
  if (isItem(value)) {
    const photo = value.properties.photo?.[0]
    return {
      name: clip(textOf(value.properties.name?.[0]), MAX_NAME),
      photo: safeUrl(typeof photo === 'string' ? photo : photo && !isItem(photo) && 'value' in photo && typeof photo.value === 'string' ? photo.value : null),
      url: safeUrl(textOf(value.properties.url?.[0])),
    }
  }
  const text = textOf(value)
  const url = safeUrl(text)
  return url ? { ...none, url } : { ...none, name: clip(text, MAX_NAME) }
}

// A second pass over the notes' policy for other people's HTML: no images or media (readers' browsers never
// call third-party hosts; avatars are copied into our media instead), and links marked as user content.
// Both packages are loaded when the first mention is parsed here, not at start-up (see lazy/).
const sanitizer = lazyRequire<typeof sanitizeHtml>('sanitize-html')
const microformats = lazyRequire<{ mf2: typeof mf2 }>('microformats-parser')
let cachedMentionPolicy: sanitizeHtml.IOptions | undefined
const mentionPolicy = (): sanitizeHtml.IOptions => (cachedMentionPolicy ??= {
  allowedTags: sanitizer().defaults.allowedTags.filter((tag) => tag !== 'img'),
  allowedAttributes: { a: ['href', 'title', 'rel'], abbr: ['title'], time: ['datetime'], blockquote: ['cite'], q: ['cite'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: { a: (tagName, attribs) => ({ tagName, attribs: attribs.href ? { ...attribs, rel: 'nofollow ugc noopener' } : {} }) },
})

async function contentOf(entry: Mf2Item | null, sanitize: HtmlSanitizer): Promise<{ html: string | null; text: string | null }> {
  const value = entry?.properties.content?.[0] ?? entry?.properties.summary?.[0]
  if (value === undefined) return { html: null, text: null }
  const text = clip(textOf(value), MAX_CONTENT_TEXT)
  if (typeof value === 'object' && !isItem(value) && 'html' in value && value.html.length <= 4 * MAX_CONTENT_HTML) {
    const html = sanitizer()(await sanitize(value.html), mentionPolicy()).trim()
    if (html && html.length <= MAX_CONTENT_HTML) return { html, text }
  }
  return { html: null, text }
}

function publishedOf(entry: Mf2Item | null): string | null {
  const text = textOf(entry?.properties.published?.[0])
  if (!text) return null
  const time = Date.parse(text)
  return Number.isFinite(time) ? new Date(time).toISOString() : null
}

const RSVP_VALUES = new Set(['yes', 'no', 'maybe', 'interested'])

/** What the HTML of a source is: its mf2, and whether an element links to the target. */
export interface ParsedHtml {
  doc: ReturnType<typeof mf2>
  linked: boolean
}

/** Parses a source page; the receiver uses the parse thread (parse-worker.ts), tests may use this thread. */
export type HtmlParse = (html: string, pageUrl: string, target: string) => Promise<ParsedHtml>

/** The same parse on the calling thread (small documents, tests). */
export const parseHtmlHere: HtmlParse = async (html, pageUrl, target) => ({ doc: microformats().mf2(html, { baseUrl: pageUrl }), linked: htmlLinksTo(html, pageUrl, target) })

function isHtmlType(type: string): boolean {
  return type === 'text/html' || type === 'application/xhtml+xml'
}

/**
 * Read a fetched source once: whether it links to target, and what it says about it. HTML counts a link by
 * its elements or by an mf2 relation (u-* properties can carry the URL without an element pointing at it:
 * <data value>, a nested h-cite's url); other text documents by the URL appearing in them. The entry is the
 * first h-entry that refers to target through a relation property, else the first h-entry; a page without
 * one is a plain mention with whatever author h-card the page has. `mention` is null when nothing links.
 */
export async function readSource(
  body: string,
  contentType: string | null,
  pageUrl: string,
  target: string,
  sanitize: HtmlSanitizer,
  parseHtml: HtmlParse = parseHtmlHere,
): Promise<{ links: boolean; mention: ParsedMention | null }> {
  const type = (contentType ?? 'text/html').split(';')[0]?.trim().toLowerCase() ?? ''
  const wanted = normalizeUrl(target)
  if (!wanted) return { links: false, mention: null }
  if (!isHtmlType(type)) {
    const textual = type.startsWith('text/') || type === 'application/json' || type.endsWith('+json')
    if (!textual || !body.includes(target)) return { links: false, mention: null }
    return { links: true, mention: { type: 'mention', url: pageUrl, author: { name: null, photo: null, url: null }, contentHtml: null, contentText: null, rsvp: null, published: null } }
  }
  const { doc, linked } = await parseHtml(body, pageUrl, target)
  const all = entries(doc.items)
  const relating = all.find((item) => RELATION_PROPERTIES.some((property) => urlsOf(item, property).includes(wanted)))
  if (!relating && !linked) return { links: false, mention: null }
  const entry = relating ?? all[0] ?? null
  const mentionType = classify(entry, target)
  const content = await contentOf(entry, sanitize)
  const rsvp = mentionType === 'rsvp' ? (textOf(entry?.properties.rsvp?.[0])?.trim().toLowerCase() ?? null) : null
  return {
    links: true,
    mention: {
      type: mentionType,
      url: safeUrl(textOf(entry?.properties.url?.[0])) ?? pageUrl,
      author: authorOf(entry, doc.items),
      contentHtml: content.html,
      contentText: content.text,
      rsvp: rsvp && RSVP_VALUES.has(rsvp) ? rsvp : null,
      published: publishedOf(entry),
    },
  }
}
