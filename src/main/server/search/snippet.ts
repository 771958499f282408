// Snippets: the excerpt around a match, HTML-escaped except for the <mark> wrappers we add ourselves.
import { escapeHtml } from '../html'
import { termMatchesAt, wordsOf, type ParsedQuery } from './query'

/** Words in a snippet (FTS5's snippet() takes the same budget). */
export const SNIPPET_WORDS = 24
/**
 * Private-use characters FTS5's snippet() puts around matches. They are stripped from every indexed
 * text (see searchDocument), so a note cannot forge a <mark>.
 */
export const MARK_OPEN = '\uE000'
export const MARK_CLOSE = '\uE001'
export const ELLIPSIS = '…'

/** Remove the marker characters from text about to be indexed. */
export function stripMarkers(text: string): string {
  return text.replace(/[\uE000\uE001]/g, '')
}

/** FTS5 snippet() output (with the private-use markers) → safe HTML with <mark>. */
export function markersToHtml(snippet: string): string {
  let html = ''
  let open = false
  for (const part of snippet.split(/([\uE000\uE001])/)) {
    if (part === MARK_OPEN) {
      if (!open) html += '<mark>'
      open = true
    } else if (part === MARK_CLOSE) {
      if (open) html += '</mark>'
      open = false
    } else {
      html += escapeHtml(part)
    }
  }
  return open ? `${html}</mark>` : html
}

/**
 * The LIKE engine's snippet, built in JS: a window of words around the first match in the body, every
 * matched word in <mark>, everything else escaped. Same word rules as the search itself.
 */
export function buildSnippet(body: string, query: ParsedQuery, maxWords = SNIPPET_WORDS): string {
  const spans = wordsOf(body)
  if (spans.length === 0) return escapeHtml(body.slice(0, 200))
  const words = spans.map((s) => s.word)
  const marked = new Array<boolean>(spans.length).fill(false)
  let first = -1
  for (let i = 0; i < words.length; i++) {
    for (const term of query.terms) {
      if (termMatchesAt(term, words, i)) {
        for (let k = 0; k < term.words.length; k++) marked[i + k] = true
        if (first < 0) first = i
      }
    }
  }
  const start = first < 0 ? 0 : Math.max(0, Math.min(first - Math.floor(maxWords / 3), spans.length - maxWords))
  const end = Math.min(spans.length, start + maxWords)
  let html = start > 0 ? ELLIPSIS : ''
  let cursor = start > 0 ? spans[start]!.start : 0
  for (let i = start; i < end; i++) {
    const span = spans[i]!
    html += escapeHtml(body.slice(cursor, span.start))
    const word = escapeHtml(body.slice(span.start, span.end))
    html += marked[i] ? `<mark>${word}</mark>` : word
    cursor = span.end
  }
  if (end < spans.length) html += ELLIPSIS
  else html += escapeHtml(body.slice(cursor))
  // Adjacent marked words of one phrase read better as one highlight.
  return html.replace(/<\/mark>(\s+)<mark>/g, '$1')
}
