import { describe, expect, it } from 'vitest'
import { AppError } from '../errors'
import { escapeLike, foldedText, foldWord, ftsMatchExpression, likePatterns, MAX_QUERY_LENGTH, MAX_QUERY_TERMS, parseQuery } from './query'
import { buildSnippet, markersToHtml, MARK_CLOSE, MARK_OPEN, stripMarkers } from './snippet'

function rejects(q: string): AppError {
  try {
    parseQuery(q)
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }
  throw new Error(`parseQuery accepted ${JSON.stringify(q)}`)
}

describe('parseQuery', () => {
  it('splits plain words and folds case and Latin diacritics', () => {
    expect(parseQuery('  Café  CRÈME ').terms).toEqual([
      { words: ['cafe'], prefix: false, phrase: false },
      { words: ['creme'], prefix: false, phrase: false },
    ])
  })

  it('keeps non-Latin letters and does not fold ß', () => {
    expect(parseQuery('Straße ПРИВЕТ 東京').terms.map((t) => t.words)).toEqual([['straße'], ['привет'], ['東京']])
  })

  it('treats a word joined by punctuation as consecutive words', () => {
    expect(parseQuery('e-mail file_name').terms.map((t) => t.words)).toEqual([
      ['e', 'mail'],
      ['file', 'name'],
    ])
  })

  it('reads "double quotes" as a phrase and a trailing * as a prefix', () => {
    expect(parseQuery('"quick  Brown fox" caf* "lazy d"*').terms).toEqual([
      { words: ['quick', 'brown', 'fox'], prefix: false, phrase: true },
      { words: ['caf'], prefix: true, phrase: false },
      { words: ['lazy', 'd'], prefix: true, phrase: true },
    ])
  })

  it('treats an unmatched quote and FTS5 operators as plain words, never syntax', () => {
    const parsed = parseQuery('"unclosed NEAR(a b) OR title:x ^start -minus')
    expect(parsed.terms.map((t) => t.words.join(' '))).toEqual(['unclosed', 'near a', 'b', 'or', 'title x', 'start', 'minus'])
    expect(ftsMatchExpression(parsed)).toBe('"unclosed" "near a" "b" "or" "title x" "start" "minus"')
  })

  it('drops duplicate terms', () => {
    expect(parseQuery('fox FOX fox*').terms).toHaveLength(2)
  })

  it('rejects empty, punctuation-only, too long and too many-term queries with a 400 that says why', () => {
    expect(rejects('   ').info.message).toMatch(/type something/)
    expect(rejects('%%% ___ *').info.message).toMatch(/no letters or numbers/)
    expect(rejects('a'.repeat(MAX_QUERY_LENGTH + 1)).info.message).toMatch(/longer than 200/)
    expect(rejects(Array.from({ length: MAX_QUERY_TERMS + 1 }, (_, i) => `w${i}`).join(' ')).info.message).toMatch(/more than 16/)
    expect(rejects('').status).toBe(400)
  })

  it('counts length in characters, not UTF-16 units', () => {
    expect(parseQuery('😀'.repeat(MAX_QUERY_LENGTH - 3) + ' ok').terms).toHaveLength(1)
  })
})

describe('engine query forms', () => {
  it('quotes every FTS5 term and appends * only for prefixes', () => {
    expect(ftsMatchExpression(parseQuery('caf* "lazy dog" x'))).toBe('"caf"* "lazy dog" "x"')
  })

  it('builds whole-word LIKE patterns over the folded text', () => {
    expect(likePatterns(parseQuery('caf* "lazy dog" x'))).toEqual(['% caf%', '% lazy dog %', '% x %'])
    expect(foldedText('Hello, World! e-mail 100%')).toBe(' hello world e mail 100 ')
  })

  it('escapes LIKE wildcards and the escape character', () => {
    expect(escapeLike('100%_a\\b')).toBe('100\\%\\_a\\\\b')
  })

  it('folds words like FTS5 unicode61 remove_diacritics 2', () => {
    expect(foldWord('ÉCOLE')).toBe('ecole')
    expect(foldWord('Ångström')).toBe('angstrom')
    expect(foldWord('Straße')).toBe('straße')
    expect(foldWord('ЁЖИК')).toBe('ёжик')
    expect(foldWord('İstanbul ΟΔΟΣ οδός')).toBe('istanbul οδοσ οδόσ')
  })
})

describe('snippets', () => {
  it('escapes everything but our <mark> in FTS5 snippets', () => {
    const html = markersToHtml(`a <b>&"x'${MARK_OPEN}fox${MARK_CLOSE}<script>`)
    expect(html).toBe('a &lt;b&gt;&amp;&quot;x&#39;<mark>fox</mark>&lt;script&gt;')
  })

  it('strips marker characters from indexed text so notes cannot forge a <mark>', () => {
    expect(stripMarkers(`x${MARK_OPEN}y${MARK_CLOSE}z`)).toBe('xyz')
  })

  it('marks matched words (phrases, prefixes, folded forms) and escapes the rest in LIKE snippets', () => {
    const body = '<img onerror=alert(1)> The CAFÉ & the café-bar: "quick brown" fox'
    const html = buildSnippet(body, parseQuery('cafe "quick brown" fo*'))
    expect(html).toBe('&lt;img onerror=alert(1)&gt; The <mark>CAFÉ</mark> &amp; the <mark>café</mark>-bar: &quot;<mark>quick brown</mark>&quot; <mark>fox</mark>')
    expect(html).not.toMatch(/<(?!\/?mark>)/)
  })

  it('shows a window around the first match with ellipses', () => {
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`)
    words[60] = 'needle'
    const html = buildSnippet(words.join(' '), parseQuery('needle'), 10)
    expect(html.startsWith('…')).toBe(true)
    expect(html.endsWith('…')).toBe(true)
    expect(html).toContain('<mark>needle</mark>')
    expect(html.split(' ').length).toBe(10)
  })
})
