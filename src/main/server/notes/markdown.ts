import { Marked, type Token, type Tokens } from 'marked'
import sanitizeHtml from 'sanitize-html'
import { htmlTextStart } from '../html'

// Used here only to lex a note's first lines for its title (bounded work); rendering happens in the render
// thread (renderer.ts), which builds its own instance with the same options.
const markdown = new Marked({ gfm: true, breaks: false, async: false })

/**
 * The allow-list applied to every rendered note. Markdown may carry raw HTML, so whatever marked emits is
 * filtered: no script/style/iframe/form elements, no event-handler or style attributes, and URLs only with
 * http(s)/mailto schemes or relative (no javascript:, vbscript:, data:). Plain data, so it can be handed to
 * the render thread; the rules that need a function (task-list checkboxes, alt on every image, rel on
 * links) are in render-worker-source.ts.
 */
export const NOTE_ALLOW_LIST = {
  allowedTags: [
    'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code', 'kbd', 'samp', 'var',
    'em', 'strong', 'b', 'i', 'u', 's', 'del', 'ins', 'mark', 'small', 'sub', 'sup', 'abbr', 'cite', 'q', 'dfn', 'time',
    'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'a', 'img', 'figure', 'figcaption',
    'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'details', 'summary', 'span', 'input',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height', 'loading'],
    abbr: ['title'],
    time: ['datetime'],
    ol: ['start', 'reversed'],
    li: ['value'],
    th: ['align', 'colspan', 'rowspan', 'scope'],
    td: ['align', 'colspan', 'rowspan'],
    code: ['class'],
    // GFM task lists render disabled checkboxes; nothing else of <input> is allowed through.
    input: ['type', 'checked', 'disabled'],
  },
  allowedClasses: { code: [/^language-[\w+-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Everything inside these is dropped with the tag (their text is code, not prose).
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'template', 'svg', 'math'],
} satisfies sanitizeHtml.IOptions

export const MAX_TITLE_LENGTH = 200
/**
 * The title comes from the first line (and the line under it, for a setext heading): at most this many
 * characters of each are lexed, so the work is bounded whatever the note's size. Far more than a title needs.
 */
const TITLE_LINE_CHARS = 4_096

/** Line `start` of source up to its end or TITLE_LINE_CHARS, and where the next line starts. */
function lineAt(source: string, start: number): { text: string; next: number; cut: boolean } {
  let end = source.indexOf('\n', start)
  if (end < 0) end = source.length
  return { text: source.slice(start, Math.min(end, start + TITLE_LINE_CHARS)).replace(/\r/g, ''), next: end + 1, cut: end - start > TITLE_LINE_CHARS }
}

/** The first non-empty line and the line after it, each cut to TITLE_LINE_CHARS (a linear scan). */
function firstLines(source: string): string | null {
  for (let start = 0; start < source.length; ) {
    const line = lineAt(source, start)
    // A line longer than the cut counts as non-empty even when its first part is blank.
    if (line.text.trim() !== '' || line.cut) {
      const second = line.next < source.length ? lineAt(source, line.next).text : ''
      return `${line.text}\n${second}`
    }
    start = line.next
  }
  return null
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" }

/** The readable text of inline tokens: markers, HTML tags and link targets dropped; image alt text kept. */
function inlineText(tokens: Token[] | undefined): string {
  let text = ''
  for (const token of tokens ?? []) {
    switch (token.type) {
      case 'html':
        break
      case 'br':
        text += ' '
        break
      case 'text':
      case 'escape':
      case 'codespan':
        text += 'tokens' in token && token.tokens ? inlineText(token.tokens) : (token as Tokens.Text).text
        break
      default:
        // em, strong, del, link, image and extensions: their children (an image's children are its alt text).
        text += 'tokens' in token && Array.isArray(token.tokens) ? inlineText(token.tokens) : 'text' in token ? String(token.text) : ''
    }
  }
  return text
}

/**
 * The title: the first non-empty line when it is a Markdown heading (`# Title` or a setext heading), with
 * inline markers stripped. Notes without a heading are untitled (null): they are notes, not articles.
 * marked's lexer decides what is a heading (the same rules the page is rendered with), over the first two
 * lines only.
 */
export function extractTitle(source: string): string | null {
  const head = firstLines(source)
  if (head === null) return null
  const first = markdown.lexer(head).find((token) => token.type !== 'space')
  if (!first || first.type !== 'heading') return null
  const plain = inlineText((first as Tokens.Heading).tokens)
    .replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity)
    .replace(/\s+/g, ' ')
    .trim()
  if (!plain) return null
  const codePoints = Array.from(plain)
  return codePoints.length > MAX_TITLE_LENGTH ? codePoints.slice(0, MAX_TITLE_LENGTH - 1).join('') + '…' : plain
}

/**
 * The plain text of the start of a note (summaries, feed titles, slug words), as the search index reads it:
 * at least `minChars` code points of it when the note has that many (more may follow), else all of it. The
 * work follows what is needed rather than the note's size: a 256 KiB note costs the same as a short one.
 */
export function plainTextStart(html: string, minChars: number): string {
  return htmlTextStart(html, minChars)
}

/**
 * The start of a note's text in at most `max` code points, ending in "…" when it was longer (or when the
 * caller knows the HTML it passes is only the note's start): titles, descriptions, list excerpts.
 */
export function textSummary(html: string, max: number, knownCut = false): string {
  const chars = Array.from(plainTextStart(html, max))
  return chars.length > max || knownCut ? chars.slice(0, max - 1).join('').trimEnd() + '…' : chars.join('')
}
