// HTML helpers shared by every capability that builds or reads HTML as text (snippets, feeds, error pages,
// titles, search indexing).
export { escapeHtml } from './escape'
export { htmlTextStart, htmlToText } from './text'
