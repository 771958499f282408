import { isDeepStrictEqual } from 'node:util'
import type { MediaService } from '../media'
import { discoverPostType, mayBeEmpty, parseRfc3339, POST_TYPE_NAMES, POST_TYPES, RSVP_VALUES, type Note, type NotesService, type Properties } from '../notes'
import { malformed, type Mf2Properties } from './request'

/** Properties the notes table holds in its own columns; everything else lives in the note's property bag. */
const COLUMN_PROPERTIES = new Set(['content', 'category', 'published', 'post-status'])
/** Kept in the bag for our own bookkeeping; never shown by q=source. */
const GENERATED_CONTENT = 'starpunk-generated-content'

export interface MicropubServiceDeps {
  notes: NotesService
  media: MediaService
  siteBase: () => string
}

export interface CreateResult {
  note: Note
  location: string
}

export interface MicropubService {
  create(type: string, properties: Mf2Properties, commands: Mf2Properties): Promise<CreateResult>
  update(url: string, ops: { replace: Mf2Properties; add: Mf2Properties; remove: { whole: string[]; values: Mf2Properties } }): Promise<Note>
  remove(url: string): Promise<Note>
  restore(url: string): Promise<Note>
  /** q=source: all properties, or only those named. */
  source(url: string, only: string[]): Promise<{ type?: string[]; properties: Mf2Properties }>
  config(): Record<string, unknown>
  /** q=category: tags of published notes, and of drafts too when `includeDrafts`. */
  categories(filter: string | null, options: { includeDrafts: boolean }): Promise<string[]>
  permalink(slug: string): string
}

function firstString(values: unknown[] | undefined, name: string): string | undefined {
  if (!values || values.length === 0) return undefined
  const value = values[0]
  if (typeof value !== 'string') throw malformed(`${name} must be a string.`)
  return value
}

/** content: "text" | {html, value?} | {value}. Returns the Markdown the notes service stores, and the html form to keep. */
async function readContent(
  values: unknown[] | undefined,
  sanitize: (html: string) => Promise<string>,
): Promise<{ markdown: string; htmlForm: { html: string; value?: string } | null } | null> {
  if (!values || values.length === 0) return null
  const value = values[0]
  if (typeof value === 'string') return { markdown: value, htmlForm: null }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { html, value: text } = value as { html?: unknown; value?: unknown }
    if (typeof html === 'string') {
      // Raw HTML passes through Markdown untouched; sanitising here with the notes allow-list means what is
      // stored, rendered and returned by q=source is the same safe HTML.
      const clean = await sanitize(html)
      return { markdown: clean, htmlForm: typeof text === 'string' ? { html: clean, value: text } : { html: clean } }
    }
    if (typeof text === 'string') return { markdown: text, htmlForm: null }
  }
  throw malformed('content must be a string or an object with "html" or "value".')
}

function readCategories(values: unknown[] | undefined): string[] | undefined {
  if (values === undefined) return undefined
  return values.map((v) => {
    if (typeof v !== 'string') throw malformed('category values must be strings.')
    return v
  })
}

function readPostStatus(values: unknown[] | undefined): boolean | undefined {
  const status = firstString(values, 'post-status')
  if (status === undefined) return undefined
  if (status === 'draft') return false
  if (status === 'published') return true
  throw malformed('post-status must be "published" or "draft".')
}

function photoUrls(values: unknown[] | undefined): string[] {
  return (values ?? []).flatMap((v) => {
    if (typeof v === 'string') return [v]
    if (v && typeof v === 'object' && typeof (v as { value?: unknown }).value === 'string') return [(v as { value: string }).value]
    return []
  })
}

function validatePhotos(values: unknown[] | undefined): void {
  for (const v of values ?? []) {
    const url = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as { value?: unknown }).value : undefined
    if (typeof url !== 'string') throw malformed('photo values must be URLs or {"value": URL, "alt": text}.')
    try {
      const parsed = new URL(url)
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme')
    } catch {
      throw malformed(`photo "${url.slice(0, 80)}" is not an http(s) URL.`)
    }
  }
}

/**
 * Alt text sent beside the photos, one `mp-photo-alt` value per photo in the order the photos came (the
 * convention of Micro.blog and other clients for form-encoded and multipart posts). A photo that already
 * has alt text (`{value, alt}`) keeps it; an empty value means none.
 */
export function withPhotoAlts(photos: unknown[] | undefined, alts: unknown[] | undefined): unknown[] | undefined {
  if (!photos || !alts || alts.length === 0) return photos
  return photos.map((photo, i) => {
    const alt = alts[i]
    if (typeof photo !== 'string' || typeof alt !== 'string' || !alt.trim()) return photo
    return { value: photo, alt }
  })
}

/** Markdown for a post that came with photos but no text (the notes service needs content). */
function generatedContent(name: string | undefined, photos: unknown[] | undefined): string | null {
  if (name && name.trim()) return name
  const images = (photos ?? []).map((v) => {
    const url = typeof v === 'string' ? v : String((v as { value: unknown }).value)
    const alt = v && typeof v === 'object' && typeof (v as { alt?: unknown }).alt === 'string' ? (v as { alt: string }).alt : ''
    return `![${alt.replace(/[[\]\\]/g, '')}](<${url.replace(/[<>\s]/g, encodeURIComponent)}>)`
  })
  return images.length ? images.join('\n\n') : null
}

/** What a post without text may still be (a like is its target). */
const NEEDS_CONTENT = 'a post needs content, a name or a photo (a like-of, repost-of or bookmark-of, or an rsvp with in-reply-to, may come without).'

/** Every type we take, for the message that refuses anything else. */
const SUPPORTED_TYPES = `h-entry posts: ${POST_TYPES.map((type) => POST_TYPE_NAMES[type].toLowerCase()).join(', ')}`

/** An rsvp that Post Type Discovery would not recognise is a mistake worth naming, not a silent note. */
function validateRsvp(properties: Mf2Properties): void {
  const values = properties.rsvp
  if (!values || values.length === 0) return
  const value = values[0]
  if (typeof value !== 'string' || !(RSVP_VALUES as readonly string[]).includes(value.trim().toLowerCase())) {
    throw malformed(`rsvp must be one of ${RSVP_VALUES.join(', ')}.`)
  }
  if (!properties['in-reply-to']?.length) throw malformed('an rsvp needs in-reply-to: the URL of the event it answers.')
}

/** Whether these properties make a post that is complete without text (like, repost, bookmark, RSVP). */
function contentOptional(properties: Properties): boolean {
  return mayBeEmpty(discoverPostType(properties, ''))
}

export function createMicropubService(deps: MicropubServiceDeps): MicropubService {
  const { notes, media } = deps
  // In the render thread, bounded by STARPUNK_MAX_NOTE_BYTES, like the Markdown of every note.
  const sanitize = (html: string) => notes.sanitizeHtml(html)

  function slugFromUrl(url: string): string {
    let parsed: URL
    try {
      parsed = new URL(url, `${deps.siteBase()}/`)
    } catch {
      throw malformed('url is not a valid URL.')
    }
    const match = /^\/notes\/([^/]+)\/?$/.exec(parsed.pathname)
    if (!match) throw malformed(`there is no post at ${url.slice(0, 200)}.`)
    try {
      return decodeURIComponent(match[1]!)
    } catch {
      throw malformed('url is not a valid URL.')
    }
  }

  async function load(url: string, options: { deleted: boolean }): Promise<Note> {
    const note = await notes.get(slugFromUrl(url), { includeDrafts: true, includeDeleted: options.deleted })
    if (!note) throw malformed(`there is no post at ${url.slice(0, 200)}.`)
    return note
  }

  /** The full mf2 view of a note, as q=source returns it. */
  function toMf2(note: Note): Mf2Properties {
    const props: Mf2Properties = {}
    const bag = note.properties
    const generated = Array.isArray(bag[GENERATED_CONTENT]) && bag[GENERATED_CONTENT][0] === true
    if (Array.isArray(bag.content) && bag.content.length) props.content = bag.content
    else if (!generated && note.content !== '') props.content = [note.content]
    if (note.tags.length) props.category = [...note.tags]
    props.published = [note.createdAt]
    props['post-status'] = [note.published ? 'published' : 'draft']
    for (const [key, values] of Object.entries(bag)) {
      if (key === GENERATED_CONTENT || COLUMN_PROPERTIES.has(key)) continue
      props[key] = values
    }
    return props
  }

  return {
    permalink: (slug) => `${deps.siteBase()}/notes/${encodeURIComponent(slug)}`,

    async create(type, properties, commands) {
      if (type !== 'entry') throw malformed(`h-${type.slice(0, 32)} posts are not supported; this site takes ${SUPPORTED_TYPES}.`)
      validateRsvp(properties)
      const described = withPhotoAlts(properties.photo, commands['mp-photo-alt'])
      if (described) properties = { ...properties, photo: described }
      const content = await readContent(properties.content, sanitize)
      const name = firstString(properties.name, 'name')
      validatePhotos(properties.photo)
      const tags = readCategories(properties.category)
      const published = readPostStatus(properties['post-status'])
      const createdAt = firstString(properties.published, 'published')
      if (createdAt !== undefined && !parseRfc3339(createdAt)) {
        throw malformed(`published "${createdAt.slice(0, 40)}" is not an RFC 3339 date-time: give one with a time zone, like 2024-05-01T09:30:00Z.`)
      }
      const slug = firstString(commands['mp-slug'], 'mp-slug')
      const bag: Properties = {}
      for (const [key, values] of Object.entries(properties)) {
        if (!COLUMN_PROPERTIES.has(key) && key !== GENERATED_CONTENT) bag[key] = values
      }
      let markdown = content?.markdown
      if (content?.htmlForm) bag.content = [content.htmlForm]
      if (!markdown || !markdown.trim()) {
        const fallback = generatedContent(name, properties.photo)
        if (fallback !== null) {
          markdown = fallback
          bag[GENERATED_CONTENT] = [true]
        } else if (contentOptional(bag)) {
          markdown = ''
        } else {
          throw malformed(NEEDS_CONTENT)
        }
      }
      const note = await notes.create({
        content: markdown,
        ...(tags ? { tags } : {}),
        ...(published !== undefined ? { published } : {}),
        ...(createdAt !== undefined ? { createdAt } : {}),
        ...(slug !== undefined ? { slug } : {}),
        properties: bag,
      })
      await media.attach(photoUrls(properties.photo), note.id)
      return { note, location: `${deps.siteBase()}/notes/${encodeURIComponent(note.slug)}` }
    },

    async update(url, ops) {
      const note = await load(url, { deleted: false })
      const before = toMf2(note)
      const after: Mf2Properties = structuredClone(before)
      for (const [key, values] of Object.entries(ops.replace)) after[key] = values
      for (const [key, values] of Object.entries(ops.add)) after[key] = [...(after[key] ?? []), ...values]
      for (const key of ops.remove.whole) delete after[key]
      for (const [key, values] of Object.entries(ops.remove.values)) {
        const kept = (after[key] ?? []).filter((existing) => !values.some((v) => isDeepStrictEqual(v, existing)))
        if (kept.length) after[key] = kept
        else delete after[key]
      }
      if (!isDeepStrictEqual(after.published, before.published)) throw malformed('the published date of a post cannot be changed.')
      const patch: { content?: string; tags?: string[]; published?: boolean; properties?: Properties } = {}
      const bag: Properties = {}
      const contentChanged = !isDeepStrictEqual(after.content, before.content)
      if (contentChanged) {
        const content = await readContent(after.content, sanitize)
        validatePhotos(after.photo)
        if (content && content.markdown.trim()) {
          patch.content = content.markdown
          if (content.htmlForm) bag.content = [content.htmlForm]
        } else {
          const fallback = generatedContent(firstString(after.name, 'name'), after.photo)
          if (fallback !== null) {
            patch.content = fallback
            bag[GENERATED_CONTENT] = [true]
          } else if (contentOptional(after)) {
            patch.content = ''
          } else {
            throw malformed(NEEDS_CONTENT)
          }
        }
      } else if (note.properties.content) {
        bag.content = note.properties.content
      } else if (note.properties[GENERATED_CONTENT]) {
        bag[GENERATED_CONTENT] = [true]
      }
      if (!isDeepStrictEqual(after.category, before.category)) patch.tags = readCategories(after.category ?? []) ?? []
      if (!isDeepStrictEqual(after['post-status'], before['post-status'])) patch.published = readPostStatus(after['post-status']) ?? true
      validatePhotos(after.photo)
      validateRsvp(after)
      for (const [key, values] of Object.entries(after)) if (!COLUMN_PROPERTIES.has(key) && key !== GENERATED_CONTENT) bag[key] = values
      // A photo-only post keeps its generated text in step with its photos.
      if (bag[GENERATED_CONTENT] && !patch.content) {
        const fallback = generatedContent(firstString(after.name, 'name'), after.photo)
        if (fallback === null) throw malformed(NEEDS_CONTENT)
        if (fallback !== note.content) patch.content = fallback
      }
      patch.properties = bag
      if ((patch.content ?? note.content).trim() === '' && !contentOptional(bag)) throw malformed(NEEDS_CONTENT)
      const updated = await notes.update(note.slug, patch)
      await media.attach(photoUrls(after.photo), updated.id)
      return updated
    },

    async remove(url) {
      const note = await load(url, { deleted: true })
      return notes.remove(note.slug)
    },

    async restore(url) {
      const note = await load(url, { deleted: true })
      return notes.restore(note.slug)
    },

    async source(url, only) {
      const note = await load(url, { deleted: false })
      const all = toMf2(note)
      if (only.length === 0) return { type: ['h-entry'], properties: all }
      const properties: Mf2Properties = {}
      for (const key of only) if (all[key]) properties[key] = all[key]
      return { properties }
    },

    config() {
      const base = deps.siteBase()
      return {
        'media-endpoint': `${base}/micropub/media`,
        'syndicate-to': [],
        'post-types': POST_TYPES.map((type) => ({ type, name: POST_TYPE_NAMES[type] })),
        q: ['config', 'source', 'syndicate-to', 'category'],
      }
    },

    async categories(filter, options) {
      const all = await notes.tags({ includeDrafts: options.includeDrafts })
      const needle = filter?.toLowerCase() ?? null
      return all.map((t) => t.display).filter((name) => !needle || name.toLowerCase().startsWith(needle))
    },
  }
}
