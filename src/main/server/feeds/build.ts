import type { Config } from '../config'
import { escapeHtml } from '../html'
import { lazyRequire } from '../lazy'
import { textSummary, type Note } from '../notes'
import type { StoredMedia } from '../media'
import { entryExtras, responseTitle, type EntryExtras } from '../web/entry-extras'
import { mediaOf, NO_PHOTO_INFO, type PhotoInfo } from '../web/photos'

/** xmlbuilder2 (~14 MiB resident) is loaded when a feed or the sitemap is first built, not at start-up. */
export const xml = lazyRequire<typeof import('xmlbuilder2')>('xmlbuilder2')

/** Everything a feed shows, gathered once (newest first). */
export interface FeedData {
  config: Config
  notes: Note[]
  /** Newest change among the notes shown (or now when there are none). */
  updated: string
  /** Variants of our uploads the notes show: enclosures get their real size and type. */
  photos?: PhotoInfo
  /** Target URL → its title, from the stored reply contexts (null: it has none). */
  targetTitles?: ReadonlyMap<string, string | null>
}

const NO_TITLES: ReadonlyMap<string, string | null> = new Map()

/** A note's photos that are our uploads, with what an enclosure needs (the largest variant). */
interface Enclosure {
  url: string
  type: string
  bytes: number
  width: number
  height: number
  alt: string
}

function enclosuresOf(config: Config, note: Note, info: PhotoInfo): Enclosure[] {
  return entryExtras(config, note).photos.flatMap((photo) => {
    const media: StoredMedia | null = mediaOf(info, photo.url)
    const largest = media?.variants[media.variants.length - 1]
    return largest ? [{ url: largest.url, type: largest.mime, bytes: largest.bytes, width: largest.width, height: largest.height, alt: photo.alt }] : []
  })
}

export const FEED_TYPES = {
  rss: { path: '/feed.rss', mediaType: 'application/rss+xml', label: 'RSS 2.0' },
  atom: { path: '/feed.atom', mediaType: 'application/atom+xml', label: 'Atom 1.0' },
  json: { path: '/feed.json', mediaType: 'application/feed+json', label: 'JSON Feed 1.1' },
} as const
export type FeedFormat = keyof typeof FEED_TYPES

const XML_OPTIONS = { version: '1.0', encoding: 'UTF-8' } as const

/** What XML 1.0 allows: tab, LF, CR and the rest of Unicode but for surrogates (paired ones are astral) and U+FFFE/F. */
const XML_FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/**
 * Every string that reaches a feed (note HTML, titles, tags, alt text, settings) may hold characters XML 1.0
 * forbids: they are dropped, so one odd note cannot make the feed invalid. One regular-expression pass that
 * leaves a clean string as it is; xmlbuilder2's own invalidCharReplacement rebuilds every text a character
 * at a time, which for a feed of large notes allocated hundreds of megabytes a build.
 */
export function xmlText(value: string): string {
  return value.replace(XML_FORBIDDEN, '')
}

/** Attribute values, each made XML-safe. */
function xmlAttrs(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, xmlText(value)]))
}

const abs = (config: Config, path: string) => `${config.siteUrl}${path}`
const noteLink = (config: Config, note: Note) => abs(config, `/notes/${encodeURIComponent(note.slug)}`)

/** Feed readers resolve relative URLs poorly: make site-relative href/src in note HTML absolute. */
export function absoluteHtml(config: Config, html: string): string {
  return html.replace(/\b(href|src)="\/(?!\/)/g, `$1="${config.siteUrl}/`)
}

/**
 * The note's HTML for a feed: absolute URLs, plus the photos its mf2 properties carry (our uploads as their
 * largest variant with its size). A photo-only post is its photos.
 */
export function itemHtml(config: Config, note: Note, info: PhotoInfo = NO_PHOTO_INFO, titles: ReadonlyMap<string, string | null> = NO_TITLES): string {
  const extras = entryExtras(config, note)
  const photos = extras.photos.map((photo) => {
    const media = mediaOf(info, photo.url)
    const largest = media?.variants[media.variants.length - 1]
    const size = largest ? ` width="${largest.width}" height="${largest.height}"` : ''
    return `<p><img src="${escapeHtml(largest?.url ?? photo.url)}" alt="${escapeHtml(photo.alt)}"${size} /></p>`
  })
  return responseHtml(extras, titles) + (extras.photoOnly ? '' : absoluteHtml(config, note.html)) + photos.join('')
}

/** What a response is about, before its text: "Liked: <a href=target>its title</a>" (RSVPs say their answer). */
function responseHtml(extras: EntryExtras, titles: ReadonlyMap<string, string | null>): string {
  const lines = extras.targets.map((target) => {
    const what = titles.get(target.url) ?? target.name ?? target.url
    const label = extras.rsvp && target.property === 'in-reply-to' ? `RSVP ${extras.rsvp}` : target.label
    return `<p>${escapeHtml(label)}: <a href="${escapeHtml(target.url)}">${escapeHtml(what)}</a></p>`
  })
  return lines.join('')
}

/** The feed title of a response ("Liked: <target title>", falling back to the target URL), else null. */
function responseItemTitle(config: Config, note: Note, titles: ReadonlyMap<string, string | null>): string | null {
  const extras = entryExtras(config, note)
  // An article keeps its own name; a reply with text is titled by its text, like any note.
  if (extras.name || (extras.postType === 'reply' && note.html !== '')) return null
  return responseTitle(extras, (url) => titles.get(url) ?? null)
}

/** The title an item carries: its name, a response's "Liked: …", else the start of its text. */
function feedTitle(config: Config, note: Note, titles: ReadonlyMap<string, string | null>): string {
  return responseItemTitle(config, note, titles) ?? itemTitle(note, 80, entryExtras(config, note).name)
}

/** A title for every item: the note's own (or its mf2 name), else the start of its text. */
export function itemTitle(note: Note, max = 80, name: string | null = note.title): string {
  if (name) return name
  return textSummary(note.html, max) || note.slug
}

export function buildRss({ config, notes, updated, photos = NO_PHOTO_INFO, targetTitles = NO_TITLES }: FeedData): string {
  const doc = xml().create(XML_OPTIONS)
  const channel = doc
    .ele('rss', { version: '2.0', 'xmlns:atom': 'http://www.w3.org/2005/Atom', 'xmlns:media': 'http://search.yahoo.com/mrss/' })
    .ele('channel')
  channel.ele('title').txt(xmlText(config.siteName))
  channel.ele('link').txt(xmlText(abs(config, '/')))
  channel.ele('description').txt(xmlText(`Notes by ${config.authorName}`))
  channel.ele('language').txt('en')
  channel.ele('lastBuildDate').txt(new Date(updated).toUTCString())
  channel.ele('generator').txt('StarPunk Desktop')
  channel.ele('atom:link', xmlAttrs({ href: abs(config, FEED_TYPES.rss.path), rel: 'self', type: FEED_TYPES.rss.mediaType }))
  if (config.websubHub) channel.ele('atom:link', xmlAttrs({ href: config.websubHub, rel: 'hub' }))
  for (const note of notes) {
    const item = channel.ele('item')
    item.ele('title').txt(xmlText(feedTitle(config, note, targetTitles)))
    item.ele('link').txt(xmlText(noteLink(config, note)))
    item.ele('guid', { isPermaLink: 'true' }).txt(xmlText(noteLink(config, note)))
    item.ele('pubDate').txt(new Date(note.createdAt).toUTCString())
    item.ele('description').txt(xmlText(itemHtml(config, note, photos, targetTitles)))
    for (const tag of note.tags) item.ele('category').txt(xmlText(tag))
    const enclosures = enclosuresOf(config, note, photos)
    // RSS 2.0 allows one enclosure per item: the first photo. Media RSS lists every one.
    const [first] = enclosures
    if (first) item.ele('enclosure', xmlAttrs({ url: first.url, length: String(first.bytes), type: first.type }))
    for (const e of enclosures) {
      const content = item.ele('media:content', xmlAttrs({ url: e.url, type: e.type, fileSize: String(e.bytes), medium: 'image', width: String(e.width), height: String(e.height) }))
      if (e.alt) content.ele('media:description', { type: 'plain' }).txt(xmlText(e.alt))
    }
  }
  return doc.end({ prettyPrint: false })
}

export function buildAtom({ config, notes, updated, photos = NO_PHOTO_INFO, targetTitles = NO_TITLES }: FeedData): string {
  const doc = xml().create(XML_OPTIONS)
  const feed = doc.ele('feed', { xmlns: 'http://www.w3.org/2005/Atom', 'xml:lang': 'en' })
  feed.ele('id').txt(xmlText(abs(config, '/')))
  feed.ele('title').txt(xmlText(config.siteName))
  feed.ele('subtitle').txt(xmlText(`Notes by ${config.authorName}`))
  feed.ele('updated').txt(updated)
  feed.ele('link', xmlAttrs({ rel: 'self', type: FEED_TYPES.atom.mediaType, href: abs(config, FEED_TYPES.atom.path) }))
  if (config.websubHub) feed.ele('link', xmlAttrs({ rel: 'hub', href: config.websubHub }))
  feed.ele('link', xmlAttrs({ rel: 'alternate', type: 'text/html', href: abs(config, '/') }))
  const author = feed.ele('author')
  author.ele('name').txt(xmlText(config.authorName))
  author.ele('uri').txt(xmlText(config.adminMe ?? abs(config, '/')))
  feed.ele('generator').txt('StarPunk Desktop')
  for (const note of notes) {
    const entry = feed.ele('entry')
    entry.ele('id').txt(xmlText(noteLink(config, note)))
    entry.ele('title').txt(xmlText(feedTitle(config, note, targetTitles)))
    entry.ele('link', xmlAttrs({ rel: 'alternate', type: 'text/html', href: noteLink(config, note) }))
    entry.ele('published').txt(note.createdAt)
    entry.ele('updated').txt(note.updatedAt)
    for (const e of enclosuresOf(config, note, photos)) {
      entry.ele('link', xmlAttrs({ rel: 'enclosure', type: e.type, length: String(e.bytes), href: e.url, ...(e.alt ? { title: e.alt } : {}) }))
    }
    entry.ele('content', { type: 'html' }).txt(xmlText(itemHtml(config, note, photos, targetTitles)))
    for (const tag of note.tags) entry.ele('category', xmlAttrs({ term: tag }))
  }
  return doc.end({ prettyPrint: false })
}

export function buildJsonFeed({ config, notes, photos = NO_PHOTO_INFO, targetTitles = NO_TITLES }: FeedData): string {
  const authorUrl = config.adminMe ?? abs(config, '/')
  const feed = {
    version: 'https://jsonfeed.org/version/1.1',
    title: config.siteName,
    home_page_url: abs(config, '/'),
    feed_url: abs(config, FEED_TYPES.json.path),
    // JSON Feed 1.1 `hubs`: where to subscribe for real-time updates.
    ...(config.websubHub ? { hubs: [{ type: 'WebSub', url: config.websubHub }] } : {}),
    description: `Notes by ${config.authorName}`,
    language: 'en',
    authors: [{ name: config.authorName, url: authorUrl, ...(config.authorPhoto ? { avatar: config.authorPhoto } : {}) }],
    items: notes.map((note) => {
      const extras = entryExtras(config, note)
      const enclosures = enclosuresOf(config, note, photos)
      const image = enclosures[0]?.url ?? extras.photos[0]?.url
      const title = extras.name ?? responseItemTitle(config, note, targetTitles)
      const text = note.content !== '' ? note.content : (responseTitle(extras, (url) => targetTitles.get(url) ?? null) ?? '')
      return {
        id: noteLink(config, note),
        url: noteLink(config, note),
        // Microblog convention (JSON Feed spec): untitled notes carry no title; a like without text is titled by its target.
        ...(title ? { title } : {}),
        ...(image ? { image } : {}),
        content_html: itemHtml(config, note, photos, targetTitles),
        content_text: text,
        date_published: note.createdAt,
        date_modified: note.updatedAt,
        ...(note.tags.length ? { tags: note.tags } : {}),
        ...(enclosures.length
          ? { attachments: enclosures.map((e) => ({ url: e.url, mime_type: e.type, size_in_bytes: e.bytes, ...(e.alt ? { title: e.alt } : {}) })) }
          : {}),
      }
    }),
  }
  return JSON.stringify(feed)
}

/** OPML 2.0 listing this site's feeds, for readers that import subscription lists. */
export function buildOpml({ config, updated }: FeedData): string {
  const doc = xml().create(XML_OPTIONS)
  const opml = doc.ele('opml', { version: '2.0' })
  const head = opml.ele('head')
  head.ele('title').txt(xmlText(`${config.siteName} feeds`))
  head.ele('dateModified').txt(new Date(updated).toUTCString())
  head.ele('ownerName').txt(xmlText(config.authorName))
  const body = opml.ele('body')
  for (const format of ['rss', 'atom'] as const) {
    body.ele('outline', xmlAttrs({
      type: 'rss',
      text: `${config.siteName} (${FEED_TYPES[format].label})`,
      title: `${config.siteName} (${FEED_TYPES[format].label})`,
      xmlUrl: abs(config, FEED_TYPES[format].path),
      htmlUrl: abs(config, '/'),
      version: format === 'rss' ? 'RSS2' : 'ATOM',
    }))
  }
  return doc.end({ prettyPrint: false })
}
