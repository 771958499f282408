/** mf2 JSON properties (the notes' `Properties`; declared here so the migration can use this file alone). */
type Properties = Record<string, unknown[]>

/**
 * The post types we accept and render, as the W3C Post Type Discovery algorithm names them (bookmark is
 * the common extension placed after like). h-event posts are refused before they get here.
 */
export const POST_TYPES = ['note', 'article', 'photo', 'reply', 'like', 'repost', 'bookmark', 'rsvp'] as const
export type PostType = (typeof POST_TYPES)[number]

/** Person-readable names, in the order Micropub clients show them (q=config `post-types`). */
export const POST_TYPE_NAMES: Record<PostType, string> = {
  note: 'Note',
  article: 'Article',
  photo: 'Photo',
  reply: 'Reply',
  like: 'Like',
  repost: 'Repost',
  bookmark: 'Bookmark',
  rsvp: 'RSVP',
}

/** The property each response type is about (its target URL lives there). */
export const TARGET_PROPERTY = {
  reply: 'in-reply-to',
  like: 'like-of',
  repost: 'repost-of',
  bookmark: 'bookmark-of',
  rsvp: 'in-reply-to',
} as const satisfies Partial<Record<PostType, string>>

export type ResponseType = keyof typeof TARGET_PROPERTY

/** RSVP values Post Type Discovery recognises. */
export const RSVP_VALUES = ['yes', 'no', 'maybe', 'interested'] as const

/** Types that are complete without any text of their own. */
const CONTENTLESS_TYPES: ReadonlySet<PostType> = new Set(['like', 'repost', 'bookmark', 'rsvp'])

export function isPostType(value: unknown): value is PostType {
  return typeof value === 'string' && (POST_TYPES as readonly string[]).includes(value)
}

export function isResponseType(type: PostType): type is ResponseType {
  return type in TARGET_PROPERTY
}

/** Whether a post of this type may have no content (a like is only its target). */
export function mayBeEmpty(type: PostType): boolean {
  return CONTENTLESS_TYPES.has(type)
}

/** An absolute http(s) URL (the spec's "valid URL" for the response properties). */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** The first URL of a property: a string, `{value}`, or an embedded h-cite with `properties.url`. */
export function firstUrl(values: unknown[] | undefined): string | null {
  for (const value of values ?? []) {
    if (typeof value === 'string') {
      if (isHttpUrl(value)) return value
      continue
    }
    if (value && typeof value === 'object') {
      const record = value as { value?: unknown; properties?: { url?: unknown } }
      if (typeof record.value === 'string' && isHttpUrl(record.value)) return record.value
      if (Array.isArray(record.properties?.url)) {
        const nested = firstUrl(record.properties.url as unknown[])
        if (nested) return nested
      }
    }
  }
  return null
}

function firstText(values: unknown[] | undefined): string | null {
  const value = values?.[0]
  if (typeof value === 'string') return value
  if (value && typeof value === 'object') {
    const record = value as { value?: unknown; html?: unknown }
    if (typeof record.value === 'string') return record.value
    if (typeof record.html === 'string') return record.html
  }
  return null
}

/** The RSVP value when it is one Post Type Discovery accepts (lower-cased), else null. */
export function rsvpValue(properties: Properties): string | null {
  const raw = firstText(properties.rsvp)?.trim().toLowerCase()
  return raw && (RSVP_VALUES as readonly string[]).includes(raw) ? raw : null
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim()

/**
 * W3C Post Type Discovery (https://www.w3.org/TR/post-type-discovery/), section 4, over the properties as
 * sent plus the post's text. Only a `name` makes an article: a Markdown heading in a note is not a name.
 * `text` is the post's visible text (its rendered content), for the name-is-a-prefix-of-content test.
 */
export function discoverPostType(properties: Properties, text: string): PostType {
  if (rsvpValue(properties) !== null && firstUrl(properties['in-reply-to'])) return 'rsvp'
  if (firstUrl(properties['in-reply-to'])) return 'reply'
  if (firstUrl(properties['repost-of'])) return 'repost'
  if (firstUrl(properties['like-of'])) return 'like'
  if (firstUrl(properties['bookmark-of'])) return 'bookmark'
  if (firstUrl(properties.photo)) return 'photo'
  const content = collapse(text || firstText(properties.summary) || '')
  if (!content) return 'note'
  const name = collapse(firstText(properties.name) ?? '')
  if (!name) return 'note'
  // A name that only repeats the start of the content is what some clients send for every note.
  return content.startsWith(name) ? 'note' : 'article'
}

/** The post's target URL for a response type (reply, like, repost, bookmark, RSVP), else null. */
export function targetOf(type: PostType, properties: Properties): string | null {
  return isResponseType(type) ? firstUrl(properties[TARGET_PROPERTY[type]]) : null
}

/** Properties that say where the author was: stored, returned by q=source, published only when allowed. */
export const LOCATION_PROPERTIES = ['location', 'geo', 'checkin', 'latitude', 'longitude', 'altitude'] as const

/**
 * Our own per-post choice about those: 'public' or 'private' (absent: the site setting decides). Kept in the
 * property bag (so export/import carry it), hidden from q=source.
 */
export const LOCATION_VISIBILITY_PROPERTY = 'starpunk-location'

export type LocationChoice = 'public' | 'private' | 'default'

export function locationChoice(properties: Properties): LocationChoice {
  const value = properties[LOCATION_VISIBILITY_PROPERTY]?.[0]
  return value === 'public' || value === 'private' ? value : 'default'
}

/** Whether this post's location may be shown, given the site setting (STARPUNK_PUBLISH_LOCATION). */
export function locationIsPublic(properties: Properties, siteDefault: boolean): boolean {
  const choice = locationChoice(properties)
  return choice === 'default' ? siteDefault : choice === 'public'
}

export function hasLocation(properties: Properties): boolean {
  return LOCATION_PROPERTIES.some((key) => Array.isArray(properties[key]) && properties[key].length > 0)
}

/** The relation properties whose targets a post responds to, in the order they are shown. */
export const RESPONSE_PROPERTIES = ['in-reply-to', 'like-of', 'repost-of', 'bookmark-of'] as const
export type ResponseProperty = (typeof RESPONSE_PROPERTIES)[number]

/** Every http(s) URL a post responds to (each once): what reply contexts are fetched for. */
export function responseTargets(note: { properties: Properties }): string[] {
  const urls: string[] = []
  for (const property of RESPONSE_PROPERTIES) {
    for (const value of note.properties[property] ?? []) {
      const url = firstUrl([value])
      if (url && !urls.includes(url)) urls.push(url)
    }
  }
  return urls.slice(0, 20)
}
