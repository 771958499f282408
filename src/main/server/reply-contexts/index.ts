/**
 * Reply contexts: what the posts our replies, likes, reposts and bookmarks point at say about themselves,
 * fetched in the background and kept in the database, shown as an h-cite above the post.
 */
export { createReplyContexts, type ReplyContextsDeps } from './service'
export { contextFields, fromHead, fromMf2, type ContextFields } from './parse'
export type { ReplyContext, ReplyContextsService } from './types'
