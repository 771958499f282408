import { appError } from '../errors'

export const MAX_TAG_LENGTH = 64
export const MAX_TAGS_PER_NOTE = 50

export interface TagInput {
  /** Case-insensitive key: NFKC, lower-case. */
  name: string
  /** What the author typed (trimmed, leading # removed). */
  display: string
}

/** The case-insensitive key of a tag. */
export function tagKey(text: string): string {
  return text.normalize('NFKC').trim().replace(/^#+/, '').replace(/\s+/g, ' ').toLocaleLowerCase('und')
}

/**
 * Validate and de-duplicate tags, keeping the first display form of each and the given order.
 * Empty entries are ignored; over-long ones or control characters are a clear error.
 */
export function normalizeTags(raw: readonly unknown[]): TagInput[] {
  const seen = new Map<string, TagInput>()
  for (const value of raw) {
    if (typeof value !== 'string') throw appError('BAD_REQUEST', { vars: { detail: 'each tag must be text' } })
    const display = value.normalize('NFKC').trim().replace(/^#+/, '').replace(/\s+/g, ' ')
    if (!display) continue
    // eslint-disable-next-line no-control-regex -- control characters are exactly what a tag may not contain
    if (/[\u0000-\u001f\u007f/\\]/.test(display)) {
      // eslint-disable-next-line no-control-regex -- the message shows the tag without them
      throw appError('BAD_REQUEST', { vars: { detail: `the tag "${display.replace(/[\u0000-\u001f\u007f]/g, '')}" contains a slash or a control character` } })
    }
    if (Array.from(display).length > MAX_TAG_LENGTH) {
      throw appError('BAD_REQUEST', { vars: { detail: `a tag may be at most ${MAX_TAG_LENGTH} characters long` } })
    }
    const name = tagKey(display)
    if (!seen.has(name)) seen.set(name, { name, display })
  }
  if (seen.size > MAX_TAGS_PER_NOTE) throw appError('BAD_REQUEST', { vars: { detail: `a note may carry at most ${MAX_TAGS_PER_NOTE} tags` } })
  return [...seen.values()]
}
