/** Slugs: Unicode-safe, lower-case, hyphen-separated, bounded, never a reserved word, never empty. */

export const MAX_SLUG_LENGTH = 80

/** Words that name site routes or are confusing as note addresses. A slug equal to one gets a suffix. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'admin',
  'api',
  'static',
  'media',
  'feed',
  'feeds',
  'notes',
  'note',
  'tags',
  'tag',
  'search',
  'micropub',
  'indieauth',
  'health',
  'login',
  'logout',
  'auth',
  'console',
  'well-known',
  'opml',
  'new',
  'edit',
  'index',
])

/**
 * Turn any text into a slug: NFKC folds compatibility forms (full-width letters, ligatures) into their
 * plain forms; letters, combining marks and digits of every script are kept (so 日本語 and Ελληνικά
 * stay readable), everything else becomes a single hyphen. Returns '' when nothing usable remains.
 */
export function slugify(text: string, maxLength = MAX_SLUG_LENGTH): string {
  const folded = text.normalize('NFKC').toLowerCase()
  const hyphenated = folded
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
  // Drop leading combining marks (they would attach to nothing after a hyphen was trimmed).
  const cleaned = hyphenated.replace(/^\p{M}+/u, '').replace(/-+/g, '-')
  return truncateSlug(cleaned, maxLength)
}

/** Cut to at most maxLength code points, at a hyphen when one is near the end, never mid surrogate pair. */
export function truncateSlug(slug: string, maxLength = MAX_SLUG_LENGTH): string {
  const codePoints = Array.from(slug)
  if (codePoints.length <= maxLength) return slug
  let cut = codePoints.slice(0, maxLength).join('')
  const lastHyphen = cut.lastIndexOf('-')
  if (lastHyphen > maxLength / 2) cut = cut.slice(0, lastHyphen)
  return cut.replace(/-+$/g, '')
}

/** Slug words come from the start of the text only: plenty for eight words, and it bounds the work. */
const SLUG_SOURCE_CHARS = 2_000

/**
 * Slug from the first words of a note's text (title when there is one), up to ~8 words. Every pattern here
 * is linear: a label may not contain `[` and a link target not `(`, so no match attempt rescans the text.
 */
export function slugFromText(text: string): string {
  const words = text
    .slice(0, SLUG_SOURCE_CHARS)
    .replace(/!?\[([^[\]]*)\]\([^()]*\)/g, '$1') // Markdown links and images: keep the label
    .replace(/https?:\/\/\S+/g, ' ') // bare URLs make unreadable slugs
    .split(/\s+/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .slice(0, 8)
    .join(' ')
  return slugify(words, 60)
}

/** Timestamp fallback `YYYYMMDDHHMMSS` (UTC) when nothing usable remains in the text. */
export function timestampSlug(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

/**
 * Pick the final slug: the requested one (sanitised) or one from the text, else a timestamp; reserved words
 * and taken slugs get `-2`, `-3`... `isTaken` is checked inside the write transaction, so two writers never
 * both win.
 */
export function chooseSlug(options: { requested?: string; text: string; now: Date; isTaken: (slug: string) => boolean }): string {
  let base = options.requested !== undefined ? slugify(options.requested) : ''
  if (!base) base = slugFromText(options.text)
  if (!base) base = timestampSlug(options.now)
  const free = (candidate: string) => !RESERVED_SLUGS.has(candidate) && !options.isTaken(candidate)
  if (free(base)) return base
  for (let n = 2; ; n++) {
    const suffix = `-${n}`
    const candidate = truncateSlug(base, MAX_SLUG_LENGTH - suffix.length) + suffix
    if (free(candidate)) return candidate
  }
}
