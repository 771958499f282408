export type * from './types'
export { MENTION_TYPES, MODERATION_POLICIES, RELATION_PROPERTIES } from './types'
export { discoverEndpoint, endpointFromHtml, endpointFromLinkHeader, DISCOVERY_MAX_BYTES, type DiscoveryResult } from './discovery'
export { readSource, normalizeUrl, parseHtmlHere, MAX_CONTENT_HTML, MAX_CONTENT_TEXT, type HtmlSanitizer, type HtmlParse, type ParsedHtml } from './parse'
export { createSourceParser, type SourceParser } from './parse-worker'
export { moderationFor, moderationOnUpdate, hostInDomain, normalizeDomain } from './moderation'
export {
  createWebmentionReceiver,
  DEFAULT_RECEIVER_LIMITS,
  type WebmentionReceiver,
  type WebmentionReceiverDeps,
  type ReceiverLimits,
  type TargetResolver,
  type AcceptResult,
  type MentionChange,
  type MentionCounts,
  type ListOptions,
} from './receiver'
export { createWebmentionSender, DEFAULT_RETRY_POLICY, MAX_TARGETS_PER_NOTE, type WebmentionSender, type WebmentionSenderDeps, type RetryPolicy } from './sender'
export { noteLinks } from './links'
export { webmentionRoutes, webmentionLinkHeader, WEBMENTION_PATH, WEBMENTION_STATUS_PATH, type WebmentionRoutesDeps } from './routes'
export { createWebmentionService, outboxHook, permalinkOf, sendsWebmentions, slugOfUrl, SEND_WEBMENTIONS_PROPERTY, type WebmentionService, type WebmentionServiceDeps } from './service'
export { webmentionAdminRoutes, noteConversation, type WebmentionAdminDeps } from './admin'
export { Responses, type AvatarLookup } from './display'
export { mentionsPortable, MENTIONS_KEY } from './portable'
