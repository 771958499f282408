/** What a received Webmention is, from the source's mf2 (W3C Post Type Discovery, applied to the target). */
export type MentionType = 'reply' | 'like' | 'repost' | 'bookmark' | 'rsvp' | 'mention'

/** The mf2 properties whose URLs a post is about (Post Type Discovery): each is told like a link in the text. */
export const RELATION_PROPERTIES = ['in-reply-to', 'like-of', 'repost-of', 'bookmark-of'] as const

export const MENTION_TYPES: readonly MentionType[] = ['reply', 'like', 'repost', 'bookmark', 'rsvp', 'mention']

/** What is shown without the author's approval. */
export type ModerationPolicy = 'approve-all' | 'approve-likes-reposts' | 'hold-all'

export const MODERATION_POLICIES: readonly ModerationPolicy[] = ['approve-all', 'approve-likes-reposts', 'hold-all']

export type Moderation = 'approved' | 'held'

/** The state a status URL shows. */
export type RequestState = 'queued' | 'verified' | 'rejected'

export interface RequestStatus {
  id: string
  source: string
  target: string
  state: RequestState
  /** Why it was rejected (one sentence, safe to show), or what verification found. */
  reason: string | null
  /** ISO-8601. */
  createdAt: string
  updatedAt: string
}

export interface Author {
  name: string | null
  /** Remote photo URL as published by the source (the wiring copies it into our media before showing it). */
  photo: string | null
  url: string | null
}

/** What verification extracted from a source that links to the target. */
export interface ParsedMention {
  type: MentionType
  /** The entry's own URL (u-url), else the source URL. */
  url: string
  author: Author
  /** Sanitised HTML, or null when the entry has no content. */
  contentHtml: string | null
  contentText: string | null
  /** 'yes' | 'no' | 'maybe' | 'interested' for an RSVP. */
  rsvp: string | null
  /** ISO-8601 when the source gives a readable date. */
  published: string | null
}

export interface StoredMention extends ParsedMention {
  id: number
  noteId: number
  source: string
  target: string
  sourceHost: string
  moderation: Moderation
  createdAt: string
  updatedAt: string
}

/** The one-sentence outcome of sending one Webmention, as the note's admin page shows it. */
export type OutboxState = 'pending' | 'sent' | 'failed' | 'no-endpoint'

export interface OutboxEntry {
  id: number
  noteId: number
  source: string
  target: string
  state: OutboxState
  attempts: number
  /** ISO-8601, when a pending entry is tried next. */
  nextAttemptAt: string | null
  endpoint: string | null
  /** HTTP status the endpoint answered last (null: never reached). */
  lastStatus: number | null
  lastError: string | null
  /** Location header of a 201/202 (the receiver's status page). */
  location: string | null
  updatedAt: string
}
