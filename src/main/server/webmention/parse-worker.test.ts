import { afterAll, describe, expect, it } from 'vitest'
import { createLogging } from '../logging'
import { parseHtmlHere } from './parse'
import { createSourceParser } from './parse-worker'

const logging = createLogging({ logLevel: 'ERROR', logFormat: 'json', logDir: '/nonexistent-starpunk-logs' }, { write: () => {} })

describe('the source parse thread', () => {
  const parser = createSourceParser({ logger: logging.logger })
  afterAll(() => parser.close())

  const target = 'https://our.example/notes/hello'
  const documents: Array<[string, string]> = [
    ['a reply', `<article class="h-entry"><a class="u-in-reply-to" href="${target}">re</a><p class="e-content">hi <b>there</b></p></article>`],
    ['a relative link', '<p><a href="/notes/hello#c">x</a></p>'],
    ['an image of the target', `<img src="${target}">`],
    ['a commented link', `<!-- <a href="${target}">x</a> --><p>none</p>`],
    ['escaped text', `<p>&lt;a href="${target}"&gt;</p>`],
    ['nothing', '<p>no links</p>'],
    ['a data value', `<div class="h-entry"><data class="u-like-of" value="${target}"></data></div>`],
  ]

  it.each(documents)('gives the same mf2 and link answer as this thread for %s', async (_name, html) => {
    const pageUrl = 'https://our.example/elsewhere'
    expect(await parser.parse(html, pageUrl, target)).toEqual(await parseHtmlHere(html, pageUrl, target))
  })

  it('stops a parse that runs past its time limit, and fails it', async () => {
    const slow = createSourceParser({ logger: logging.logger, timeoutMs: 50 })
    try {
      const entry = '<article class="h-entry"><a class="p-author h-card" href="https://a.example/">A</a><p class="e-content">t <a href="https://b.example/">l</a></p></article>'
      await expect(slow.parse(entry.repeat(8_000), 'https://a.example/', target)).rejects.toThrow('took too long')
    } finally {
      await slow.close()
    }
  })

  it('fails jobs after close', async () => {
    const closing = createSourceParser({ logger: logging.logger })
    await closing.close()
    await expect(closing.parse('<p>x</p>', 'https://a.example/', target)).rejects.toThrow('closed')
  })
})
