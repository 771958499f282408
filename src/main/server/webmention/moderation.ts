import type { MentionType, Moderation, ModerationPolicy } from './types'

/**
 * Whether a newly verified mention is shown at once or held for the author. Likes and reposts say little
 * and cannot carry abuse in text, so the default shows them and holds everything that has words.
 */
export function moderationFor(policy: ModerationPolicy, type: MentionType): Moderation {
  switch (policy) {
    case 'approve-all':
      return 'approved'
    case 'hold-all':
      return 'held'
    case 'approve-likes-reposts':
      return type === 'like' || type === 'repost' ? 'approved' : 'held'
  }
}

/**
 * The moderation of a mention that was re-sent: an approved one stays approved while it is still the same
 * kind of post (the author approved that reply, and may edit it); a change of kind is judged afresh.
 */
export function moderationOnUpdate(policy: ModerationPolicy, previous: { type: MentionType; moderation: Moderation }, type: MentionType): Moderation {
  if (previous.type === type) return previous.moderation
  return moderationFor(policy, type)
}

/** Whether host is domain or one of its subdomains (both lower-case, no trailing dot). */
export function hostInDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`)
}

/** A domain as the block list stores it: lower case, no trailing dot, no port; null when it is not a host name. */
export function normalizeDomain(input: string): string | null {
  const trimmed = input.trim().toLowerCase().replace(/\.$/, '')
  if (!trimmed) return null
  let host: string
  try {
    host = new URL(trimmed.includes('://') ? trimmed : `http://${trimmed}`).hostname
  } catch {
    return null
  }
  return host && !host.includes('/') ? host.replace(/\.$/, '') : null
}
