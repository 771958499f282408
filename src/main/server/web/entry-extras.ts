import type { Config } from '../config'
import type { Note } from '../notes'

/**
 * The mf2 properties a note may carry besides its Markdown (mostly from Micropub clients): a name, photos,
 * and the IndieWeb response links. Only http(s) or site-relative URLs are ever shown (a Micropub client
 * could send `javascript:` as a photo URL; it is dropped here, whatever was stored).
 */
export interface EntryExtras {
  name: string | null
  photos: Array<{ url: string; alt: string }>
  /**
   * A post made only of photos (Micropub, no text): its Markdown is generated from the photos, so pages and
   * feeds show the photos themselves (a grid) instead of that text.
   */
  photoOnly: boolean
  /** [mf2 class, label, url] */
  links: Array<{ className: string; label: string; url: string }>
}

const RESPONSE_PROPERTIES: Array<[string, string]> = [
  ['in-reply-to', 'In reply to'],
  ['like-of', 'Likes'],
  ['repost-of', 'Reposted'],
  ['bookmark-of', 'Bookmarked'],
  ['syndication', 'Also on'],
]

/**
 * Characters XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). One of them in a
 * name or alt text would make every feed invalid for every subscriber; on a page they are noise.
 */
const XML_FORBIDDEN = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu

/** Text as it may appear in a feed or a page: without the characters XML 1.0 forbids. */
export function withoutForbiddenCharacters(text: string): string {
  return text.replace(XML_FORBIDDEN, '')
}

/** An absolute http(s) URL, or null when the value is not one (site-relative paths are resolved). */
export function safeUrl(config: Config, value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2000) return null
  try {
    const url = new URL(value, `${config.siteUrl}/`)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
  } catch {
    return null
  }
}

/** A property value's URL: a string, `{ value, alt }` (photo), or an h-cite `{ properties: { url: [...] } }`. */
function urlOf(config: Config, value: unknown): string | null {
  if (typeof value === 'string') return safeUrl(config, value)
  if (value && typeof value === 'object') {
    const record = value as { value?: unknown; properties?: { url?: unknown[] } }
    if (typeof record.value === 'string') return safeUrl(config, record.value)
    if (Array.isArray(record.properties?.url)) return safeUrl(config, record.properties.url[0])
  }
  return null
}

/** Set by Micropub on a post whose Markdown it generated from the photos (no content was sent). */
const GENERATED_CONTENT = 'starpunk-generated-content'

export function entryExtras(config: Config, note: Note): EntryExtras {
  const props = note.properties
  const generated = Array.isArray(props[GENERATED_CONTENT]) && props[GENERATED_CONTENT][0] === true
  const rawName = Array.isArray(props.name) ? props.name.find((v) => typeof v === 'string' && v.trim()) : undefined
  const photos: EntryExtras['photos'] = []
  for (const value of Array.isArray(props.photo) ? props.photo : []) {
    const url = urlOf(config, value)
    if (!url) continue
    const rawAlt = value && typeof value === 'object' && typeof (value as { alt?: unknown }).alt === 'string' ? (value as { alt: string }).alt : ''
    const alt = withoutForbiddenCharacters(rawAlt)
    // Photos the note's own Markdown already shows are not repeated (a photo-only post shows its photos instead).
    if (!generated && (note.html.includes(`src="${url}"`) || note.html.includes(`src="${new URL(url).pathname}"`))) continue
    photos.push({ url, alt })
  }
  const links: EntryExtras['links'] = []
  for (const [property, label] of RESPONSE_PROPERTIES) {
    for (const value of Array.isArray(props[property]) ? props[property] : []) {
      const url = urlOf(config, value)
      if (url) links.push({ className: `u-${property}`, label, url })
    }
  }
  const name = note.title ?? (typeof rawName === 'string' ? rawName.trim().slice(0, 200) : null)
  const shownName = name === null ? null : withoutForbiddenCharacters(name) || null
  return { name: shownName, photos, links, photoOnly: generated && photos.length > 0 && !Array.isArray(props.name) }
}
