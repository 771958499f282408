import { Marked } from 'marked'
import sanitizeHtml from 'sanitize-html'

// One parser instance, configured once: GitHub-flavoured Markdown, synchronous.
const markdown = new Marked({ gfm: true, breaks: false, async: false })

/**
 * The allow-list applied to every rendered note. Markdown may carry raw HTML, so whatever marked emits is
 * filtered here: no script/style/iframe/form elements, no event-handler or style attributes, and URLs only
 * with http(s)/mailto schemes or relative (no javascript:, vbscript:, data:).
 */
const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
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
  exclusiveFilter: (frame) => frame.tag === 'input' && frame.attribs.type !== 'checkbox',
  transformTags: {
    // Links in notes point elsewhere: don't leak the referrer's window (target is not allowed anyway).
    // Every image needs alt text for screen readers; an empty alt marks it decorative when none was given.
    img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, alt: attribs.alt ?? '' } }),
    input: (tagName, attribs) => ({ tagName, attribs: { ...attribs, disabled: '' } }),
  },
}

/**
 * Second pass over already-clean HTML: links that kept an href (a safe one) get rel="nofollow noopener";
 * links whose URL the first pass removed (javascript:...) keep their text and lose rel (rel needs an href).
 */
const LINK_REL_OPTIONS: sanitizeHtml.IOptions = {
  ...SANITIZE_OPTIONS,
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: attribs.href ? { ...attribs, rel: 'nofollow noopener' } : {} }),
  },
}

/** Sanitise HTML from elsewhere (e.g. a Micropub `content.html`) with the same allow-list. */
export function sanitizeNoteHtml(html: string): string {
  return sanitizeHtml(sanitizeHtml(html, SANITIZE_OPTIONS), LINK_REL_OPTIONS)
}

/** Markdown → sanitised HTML. Safe to insert into a page whatever the source holds. */
export function renderMarkdown(source: string): string {
  return sanitizeNoteHtml(markdown.parse(source, { async: false }))
}

export const MAX_TITLE_LENGTH = 200

/**
 * The title: the first non-empty line when it is a Markdown heading (`# Title` or a setext heading), with
 * inline markers stripped. Notes without a heading are untitled (null): they are notes, not articles.
 */
export function extractTitle(source: string): string | null {
  const lines = source.replace(/\r\n?/g, '\n').split('\n')
  const first = lines.findIndex((line) => line.trim() !== '')
  if (first < 0) return null
  const line = lines[first]!.trim()
  let heading: string | null = null
  const atx = /^#{1,6}\s+(.*?)(?:\s+#+\s*)?$/.exec(line)
  if (atx) heading = atx[1] ?? ''
  else if (/^(=+|-+)\s*$/.test(lines[first + 1]?.trim() ?? '') && !/^[-*+>]|^\d+[.)]\s/.test(line)) heading = line
  if (heading === null) return null
  const plain = stripInlineMarkdown(heading)
  if (!plain) return null
  const codePoints = Array.from(plain)
  return codePoints.length > MAX_TITLE_LENGTH ? codePoints.slice(0, MAX_TITLE_LENGTH - 1).join('') + '…' : plain
}

/** Remove inline Markdown markers and HTML tags, leaving the readable text. */
export function stripInlineMarkdown(text: string): string {
  // Backslash-escaped characters are literal: park them in private-use code points while markers go.
  const escaped: string[] = []
  const parked = text.replace(/\\([\\`*_{}[\]()#+\-.!>~|])/g, (_whole, char: string) => {
    escaped.push(char)
    return String.fromCodePoint(0xf0000 + escaped.length - 1)
  })
  return parked
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]*>/g, '')
    .replace(/(\*\*|__|~~|`)/g, '')
    .replace(/(^|\W)[*_](\S(?:.*?\S)?)[*_](?=\W|$)/g, '$1$2')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\u{f0000}-\u{fffff}]/gu, (char) => escaped[char.codePointAt(0)! - 0xf0000] ?? '')
}

/** Plain text of a note (for summaries and feed titles): rendered HTML with tags removed. */
export function plainText(html: string): string {
  return sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} })
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
}
