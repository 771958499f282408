import type { Config } from '../config'
import { LOCATION_PROPERTIES, locationIsPublic, POST_TYPE_NAMES, RESPONSE_PROPERTIES, rsvpValue, type Note, type PostType, type ResponseProperty } from '../notes'

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
  /** The W3C Post Type Discovery type, and the small label pages show for it (null for a plain note). */
  postType: PostType
  label: string | null
  /** What the post responds to (in-reply-to, like-of, repost-of, bookmark-of), each an h-cite. */
  targets: ResponseTarget[]
  /** u-syndication links. */
  syndication: string[]
  /** An article's p-summary. */
  summary: string | null
  /** An RSVP's value (yes, no, maybe, interested). */
  rsvp: string | null
  /** Where the author was, only when publishing it is allowed (the setting, or this post's choice). */
  location: LocationView | null
}

export interface ResponseTarget {
  property: ResponseProperty
  /** `u-like-of` … */
  className: string
  /** Shown before the link: "In reply to", "Liked", … */
  label: string
  url: string
  /** A name the post itself gave its target (an embedded h-cite's `name`). */
  name: string | null
}

export interface LocationView {
  /** checkin: an h-card venue; location: an h-card, h-adr or h-geo; coordinates: bare latitude/longitude. */
  kind: 'checkin' | 'location'
  mf2: 'h-card' | 'h-adr' | 'h-geo' | null
  name: string | null
  locality: string | null
  latitude: string | null
  longitude: string | null
  url: string | null
}

// A plain note shows no label; every other type shows its name.
const TYPE_LABELS: Record<PostType, string | null> = { ...POST_TYPE_NAMES, note: null }

const TARGET_LABELS: Record<ResponseProperty, string> = {
  'in-reply-to': 'In reply to',
  'like-of': 'Liked',
  'repost-of': 'Reposted',
  'bookmark-of': 'Bookmarked',
}

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
  const targets: ResponseTarget[] = []
  for (const property of RESPONSE_PROPERTIES) {
    for (const value of Array.isArray(props[property]) ? props[property] : []) {
      const url = urlOf(config, value)
      if (url && !targets.some((t) => t.url === url && t.property === property)) {
        targets.push({ property, className: `u-${property}`, label: TARGET_LABELS[property], url, name: citeName(value) })
      }
    }
  }
  const syndication = (Array.isArray(props.syndication) ? props.syndication : []).flatMap((value) => {
    const url = urlOf(config, value)
    return url ? [url] : []
  })
  const name = note.title ?? (typeof rawName === 'string' ? rawName.trim().slice(0, 200) : null)
  const shownName = name === null ? null : withoutForbiddenCharacters(name) || null
  const postType = note.postType ?? 'note'
  const rawSummary = postType === 'article' && Array.isArray(props.summary) ? props.summary.find((v) => typeof v === 'string' && v.trim()) : undefined
  return {
    name: shownName,
    photos,
    photoOnly: generated && photos.length > 0 && !Array.isArray(props.name),
    postType,
    label: TYPE_LABELS[postType],
    targets,
    syndication,
    summary: typeof rawSummary === 'string' ? withoutForbiddenCharacters(rawSummary.trim()).slice(0, 1000) || null : null,
    rsvp: postType === 'rsvp' ? rsvpValue(props) : null,
    location: locationIsPublic(props, config.publishLocation) ? locationOf(props) : null,
  }
}

/** A name the post gave its target: an embedded h-cite's `name`, when it is text. */
function citeName(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null
  const name = (value as { properties?: { name?: unknown[] } }).properties?.name?.[0]
  return typeof name === 'string' && name.trim() ? withoutForbiddenCharacters(name.trim()).slice(0, 200) : null
}

function textProp(properties: Record<string, unknown> | undefined, key: string): string | null {
  const values = properties?.[key]
  const value = Array.isArray(values) ? (values[0] as unknown) : undefined
  if (typeof value === 'number') return String(value)
  return typeof value === 'string' && value.trim() ? withoutForbiddenCharacters(value.trim()).slice(0, 200) : null
}

const COORDINATE = /^-?\d{1,3}(\.\d{1,12})?$/

function coordinate(value: string | null): string | null {
  return value !== null && COORDINATE.test(value) ? value : null
}

/** A `geo:` URI (RFC 5870), as some clients send `location`. */
function geoUri(value: string): { latitude: string; longitude: string } | null {
  const match = /^geo:(-?\d{1,3}(?:\.\d{1,12})?),(-?\d{1,3}(?:\.\d{1,12})?)/i.exec(value.trim())
  return match ? { latitude: match[1]!, longitude: match[2]! } : null
}

/** The location to show: a checkin venue, a location object or text, or bare coordinates. */
function locationOf(props: Note['properties']): LocationView | null {
  if (!LOCATION_PROPERTIES.some((key) => Array.isArray(props[key]) && props[key].length > 0)) return null
  for (const key of ['checkin', 'location', 'geo'] as const) {
    const value = Array.isArray(props[key]) ? props[key][0] : undefined
    if (typeof value === 'string') {
      const geo = geoUri(value)
      if (geo) return { kind: 'location', mf2: 'h-geo', name: null, locality: null, url: null, ...geo }
      const text = withoutForbiddenCharacters(value.trim()).slice(0, 200)
      if (text) return { kind: 'location', mf2: null, name: text, locality: null, latitude: null, longitude: null, url: null }
      continue
    }
    if (value && typeof value === 'object') {
      const item = value as { type?: unknown[]; properties?: Record<string, unknown> }
      const type = Array.isArray(item.type) ? item.type.find((t) => t === 'h-card' || t === 'h-adr' || t === 'h-geo') : undefined
      const p = item.properties
      const url = p && Array.isArray(p.url) ? (p.url.map((u) => safeUrlLoose(u)).find((u) => u !== null) ?? null) : null
      return {
        kind: key === 'checkin' ? 'checkin' : 'location',
        mf2: (type as LocationView['mf2'] | undefined) ?? (key === 'checkin' ? 'h-card' : null),
        name: textProp(p, 'name') ?? textProp(p, 'street-address'),
        locality: textProp(p, 'locality'),
        latitude: coordinate(textProp(p, 'latitude')),
        longitude: coordinate(textProp(p, 'longitude')),
        url,
      }
    }
  }
  const latitude = coordinate(textProp(props, 'latitude'))
  const longitude = coordinate(textProp(props, 'longitude'))
  return latitude && longitude ? { kind: 'location', mf2: 'h-geo', name: null, locality: null, latitude, longitude, url: null } : null
}

function safeUrlLoose(value: unknown): string | null {
  if (typeof value !== 'string') return null
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
  } catch {
    return null
  }
}

/**
 * A title for a response in feeds and page titles: "Liked: <target title>", the target's title from its
 * reply context or the name the post gave it, else the target URL. Null for posts that respond to nothing.
 */
export function responseTitle(extras: EntryExtras, contextTitle: (url: string) => string | null): string | null {
  const target = extras.targets[0]
  if (!target) return null
  const what = contextTitle(target.url) ?? target.name ?? target.url
  if (extras.postType === 'rsvp' && extras.rsvp) return `RSVP ${extras.rsvp}: ${what}`
  return `${target.label}: ${what}`
}
