import { describe, expect, it } from 'vitest'
import { noteLinks } from './links'

describe('noteLinks: what a note tells', () => {
  const permalink = 'https://our.example/notes/hello'

  it('takes relation properties first, then links in the content, each once, http(s) only, without fragments', () => {
    const html = `<p>See <a href="https://b.example/post#c1">this</a>, <a href="/notes/other">ours</a>, <a href="mailto:x@y.example">mail</a>,
      <a href="https://b.example/post">again</a>, <a href="#top">top</a> and <a href="${permalink}">itself</a>.</p><!-- <a href="https://hidden.example/"> -->`
    const properties = {
      'in-reply-to': ['https://a.example/thread'],
      'like-of': [{ type: ['h-cite'], properties: { url: ['https://c.example/liked'], name: ['A post'] } }],
      'repost-of': [{ value: 'https://d.example/shared' }],
      'bookmark-of': ['javascript:alert(1)'],
      category: ['https://not-a-relation.example/'],
    }
    expect(noteLinks(html, properties, permalink)).toEqual([
      'https://a.example/thread',
      'https://c.example/liked',
      'https://d.example/shared',
      'https://b.example/post',
      'https://our.example/notes/other',
    ])
  })

  it('a note without links tells nobody', () => {
    expect(noteLinks('<p>just words</p>', {}, permalink)).toEqual([])
  })
})
