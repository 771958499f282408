import { appError } from '../errors'
import { firstUrl, hasLocation, locationChoice, LOCATION_VISIBILITY_PROPERTY, RSVP_VALUES, type Note, type Properties } from '../notes'

/** What the editor's type selector offers (a photo post is a note with photos: its type follows from them). */
export const FORM_KINDS = ['note', 'article', 'reply', 'like', 'repost', 'bookmark', 'rsvp'] as const
export type FormKind = (typeof FORM_KINDS)[number]

export const FORM_KIND_LABELS: Record<FormKind, string> = {
  note: 'Note (or photo)',
  article: 'Article (with a title)',
  reply: 'Reply',
  like: 'Like',
  repost: 'Repost',
  bookmark: 'Bookmark',
  rsvp: 'RSVP',
}

/** The property each kind's target URL goes in. */
const TARGET_OF: Partial<Record<FormKind, string>> = {
  reply: 'in-reply-to',
  like: 'like-of',
  repost: 'repost-of',
  bookmark: 'bookmark-of',
  rsvp: 'in-reply-to',
}

const MANAGED = ['in-reply-to', 'like-of', 'repost-of', 'bookmark-of', 'rsvp']

/** The type fields of the editor, as typed. */
export interface PostTypeValues {
  kind: FormKind
  target: string
  name: string
  summary: string
  rsvp: string
  /** 'default' | 'public' | 'private': whether this post's location is shown (only offered when it has one). */
  location: string
}

export const EMPTY_POST_TYPE_VALUES: PostTypeValues = { kind: 'note', target: '', name: '', summary: '', rsvp: 'yes', location: 'default' }

function text(values: unknown[] | undefined): string {
  const value = values?.[0]
  return typeof value === 'string' ? value : ''
}

/** The editor's type fields for a stored note. */
export function postTypeValuesOf(note: Note): PostTypeValues {
  const kind: FormKind = note.postType === 'photo' ? 'note' : note.postType
  const property = TARGET_OF[kind]
  return {
    kind,
    target: property ? (firstUrl(note.properties[property]) ?? '') : '',
    name: kind === 'article' ? text(note.properties.name) : '',
    summary: kind === 'article' ? text(note.properties.summary) : '',
    rsvp: text(note.properties.rsvp) || 'yes',
    location: locationChoice(note.properties),
  }
}

function isKind(value: string): value is FormKind {
  return (FORM_KINDS as readonly string[]).includes(value)
}

/** Reads the type fields of a submitted form (unknown kinds fall back to a note; checked by `applyPostType`). */
export function readPostTypeValues(get: (name: string) => string): PostTypeValues {
  const kind = get('kind')
  return {
    kind: isKind(kind) ? kind : 'note',
    target: get('target').trim(),
    name: get('name').trim(),
    summary: get('summary').trim(),
    rsvp: get('rsvp').trim().toLowerCase() || 'yes',
    location: ['public', 'private'].includes(get('location')) ? get('location') : 'default',
  }
}

function badRequest(detail: string) {
  return appError('BAD_REQUEST', { vars: { detail } })
}

/**
 * The note's properties with the editor's type applied: the target in its property (an unchanged target keeps
 * the value it was stored with, e.g. an h-cite from a Micropub client), the article's name and summary, the
 * RSVP value, the location choice. Everything else the note carries is kept.
 */
export function applyPostType(properties: Properties, values: PostTypeValues, wasArticle: boolean): Properties {
  const next: Properties = { ...properties }
  const property = TARGET_OF[values.kind]
  const previous = property ? next[property] : undefined
  for (const key of MANAGED) delete next[key]
  if (property) {
    if (!values.target) throw badRequest(`a ${values.kind === 'rsvp' ? 'RSVP' : values.kind} needs the URL of the post it is about`)
    let url: URL
    try {
      url = new URL(values.target)
    } catch {
      throw badRequest(`"${values.target.slice(0, 80)}" is not a URL: give the full address, starting with https://`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('the target URL must start with http:// or https://')
    next[property] = previous && firstUrl(previous) === values.target ? previous : [values.target]
  }
  if (values.kind === 'rsvp') {
    if (!(RSVP_VALUES as readonly string[]).includes(values.rsvp)) throw badRequest(`the RSVP must be one of ${RSVP_VALUES.join(', ')}`)
    next.rsvp = [values.rsvp]
  }
  if (values.kind === 'article') {
    if (!values.name) throw badRequest('an article needs a title')
    next.name = [values.name]
    if (values.summary) next.summary = [values.summary]
    else delete next.summary
  } else if (wasArticle) {
    delete next.name
    delete next.summary
  }
  if (values.location === 'public' || values.location === 'private') next[LOCATION_VISIBILITY_PROPERTY] = [values.location]
  else delete next[LOCATION_VISIBILITY_PROPERTY]
  return next
}

export { hasLocation }
