import { describe, expect, it } from 'vitest'
import { plainTextStart } from '../notes'
import { escapeHtml, htmlToText } from '.'

describe('escapeHtml', () => {
  it('escapes the five characters that can end text or a quoted attribute, and nothing else', () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a> é`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt; é')
  })

  it('escapes an already escaped entity again (it takes text, not HTML)', () => {
    expect(escapeHtml('&amp;')).toBe('&amp;amp;')
  })
})

describe('htmlToText', () => {
  it('keeps visible text, decodes entities, separates blocks and drops script/style content', () => {
    expect(htmlToText('<h1>Tom &amp; Jerry</h1><p>one<br>two</p><ul><li>a</li><li>b</li></ul><script>evil()</script><style>x{}</style><p><code>&lt;b&gt;</code> <em>it</em>alic</p>')).toBe(
      'Tom & Jerry one two a b <b> italic',
    )
  })

  it('reads numeric and named entities a sanitiser leaves in attributes and text', () => {
    expect(htmlToText('<p>caf&eacute; &#8212; &#x1F600; &quot;q&quot; &#39;s&#39;</p>')).toBe('café — 😀 "q" \'s\'')
  })
})

describe('one HTML-to-text reader', () => {
  it('gives note summaries and feed titles the same text search indexes: words of separate blocks stay apart', () => {
    const html = '<p>first</p><p>second</p><ul><li>third</li></ul>'
    expect(plainTextStart(html, 80)).toBe('first second third')
    expect(plainTextStart(html, 80)).toBe(htmlToText(html))
  })
})
