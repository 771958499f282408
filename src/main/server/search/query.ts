// Turning what a person typed into something each engine can run safely.
//
// Both engines share one idea of a "word", modelled on SQLite FTS5's unicode61 tokenizer with
// remove_diacritics 2: a word is a run of letters, digits or private-use characters; everything else
// (spaces, punctuation, `_`, `%`, combining marks of non-Latin scripts) separates words; case and Latin
// diacritics are ignored ("CAFÉ" = "café" = "cafe"), nothing else is folded ("Straße" ≠ "strasse").
// So the LIKE fallback can match whole words exactly where FTS5 would, and both return the same notes.
import { appError } from '../errors'

/** Longest query accepted, in characters. */
export const MAX_QUERY_LENGTH = 200
/** Most word groups in one query: bounds the work one request can ask for. */
export const MAX_QUERY_TERMS = 16

const WORD = /[\p{L}\p{N}\p{Co}]+/gu

/** One thing that must match: consecutive words (a phrase, or a word split by punctuation). */
export interface QueryTerm {
  /** Folded words, in order. */
  words: string[]
  /** The last word matches as a prefix (`caf*`). */
  prefix: boolean
  /** Written in double quotes by the user. */
  phrase: boolean
}

export interface ParsedQuery {
  /** The query as given, trimmed. */
  text: string
  terms: QueryTerm[]
}

/**
 * Lower-case and drop Latin diacritics, as FTS5 does ("İ" → "i", "É" → "e"); Greek final sigma folds to
 * σ like FTS5's case folding. Works on a word or a whole text.
 */
export function foldWord(word: string): string {
  return word
    .normalize('NFD')
    .replace(/(\p{Script=Latin})\p{Mn}+/gu, '$1')
    .normalize('NFC')
    .toLowerCase()
    .replace(/\u03C2/g, 'σ') // final sigma, escaped: the server bundle stays ASCII (scripts/build-server.mjs)
}

export interface WordSpan {
  word: string
  start: number
  end: number
}

/** The words of a text with their positions in it (text should be NFC). */
export function wordsOf(text: string): WordSpan[] {
  const spans: WordSpan[] = []
  for (const m of text.matchAll(WORD)) spans.push({ word: foldWord(m[0]), start: m.index, end: m.index + m[0].length })
  return spans
}

/**
 * The text the LIKE engine searches: folded words separated by single spaces, with a space at each end,
 * so `% word %` matches a whole word and `% word%` a prefix, never the middle of another word.
 */
export function foldedText(text: string): string {
  // Fold the whole text once, then split: far cheaper than folding word by word (first-startup indexing).
  const words = foldWord(text.normalize('NFC')).match(WORD)
  return words ? ` ${words.join(' ')} ` : ' '
}

function badQuery(detail: string) {
  return appError('BAD_REQUEST', { vars: { detail } })
}

/**
 * Parse a search box query: `"exact phrase"`, `prefix*` and plain words, all required. Any other
 * character is an ordinary separator, never operator syntax. Throws BAD_REQUEST (400) for queries that
 * cannot be searched, with a message saying why.
 */
export function parseQuery(input: string): ParsedQuery {
  const text = input.normalize('NFC').trim()
  if (!text) throw badQuery('type something to search for.')
  if (Array.from(text).length > MAX_QUERY_LENGTH) throw badQuery(`the search is longer than ${MAX_QUERY_LENGTH} characters; use fewer words.`)
  const terms: QueryTerm[] = []
  const seen = new Set<string>()
  const add = (chunk: string, phrase: boolean) => {
    const words = wordsOf(chunk).map((w) => w.word)
    if (words.length === 0) return
    const prefix = /\*\s*$/.test(chunk) && /[\p{L}\p{N}\p{Co}]\*\s*$/u.test(chunk)
    const key = `${phrase ? 'p' : 'w'}:${prefix ? '*' : ''}${words.join(' ')}`
    if (seen.has(key)) return
    seen.add(key)
    terms.push({ words, prefix, phrase })
  }
  // Balanced double quotes delimit phrases; an unmatched quote is just a separator.
  const pattern = /"([^"]*)"\*?|[^\s"]+/g
  for (const m of text.matchAll(pattern)) {
    if (m[1] !== undefined) {
      add(m[0].endsWith('*') ? `${m[1]}*` : m[1], true)
    } else {
      // A word joined by punctuation ("e-mail", "foo_bar", "don't") is matched as consecutive words.
      add(m[0], false)
    }
  }
  if (terms.length === 0) throw badQuery('the search has no letters or numbers in it; try a word from the note.')
  if (terms.length > MAX_QUERY_TERMS) throw badQuery(`the search has more than ${MAX_QUERY_TERMS} words or phrases; use fewer.`)
  return { text, terms }
}

/**
 * The FTS5 MATCH expression: every term quoted (user text never becomes FTS5 syntax), joined by the
 * implicit AND; `*` after the closing quote only where the user asked for a prefix.
 */
export function ftsMatchExpression(query: ParsedQuery): string {
  return query.terms.map((t) => `"${t.words.join(' ').replace(/"/g, '""')}"${t.prefix ? '*' : ''}`).join(' ')
}

/** Escape LIKE wildcards and the escape character itself (used with `ESCAPE '\'`). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** One LIKE pattern per term, over foldedText(): whole words, or a prefix for the last word. */
export function likePatterns(query: ParsedQuery): string[] {
  return query.terms.map((t) => `% ${escapeLike(t.words.join(' '))}${t.prefix ? '' : ' '}%`)
}

/** Does this run of folded words match the term starting at index i? */
export function termMatchesAt(term: QueryTerm, words: string[], i: number): boolean {
  for (let k = 0; k < term.words.length; k++) {
    const have = words[i + k]
    const want = term.words[k]!
    if (have === undefined) return false
    const last = k === term.words.length - 1
    if (last && term.prefix ? !have.startsWith(want) : have !== want) return false
  }
  return true
}
