import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isOutboundError } from '../outbound'
import { discoverEndpoint, endpointFromHtml, endpointFromLinkHeader } from './discovery'
import { page, startSite, testOutbound, type LoopbackSite } from './test-support/loopback'

// The webmention.rocks discovery tests 1–23, each played by a real page on a loopback server.
describe('endpoint discovery (W3C Webmention §3.1.2), one loopback page per webmention.rocks case', () => {
  let site: LoopbackSite
  const outbound = testOutbound()
  const html = (head: string, body = '') => `<!doctype html><html><head><title>t</title>${head}</head><body>${body}</body></html>`

  beforeAll(async () => {
    site = await startSite()
    const o = site.origin
    site.route('/test/1', page(html(''), { Link: '</test/1/webmention?head=true>; rel=webmention' }))
    site.route('/test/2', page(html(''), { Link: `<${o}/test/2/webmention?head=true>; rel=webmention` }))
    site.route('/test/3', page(html('<link rel="webmention" href="/test/3/webmention">')))
    site.route('/test/4', page(html(`<link rel="webmention" href="${o}/test/4/webmention">`)))
    site.route('/test/5', page(html('', '<a rel="webmention" href="/test/5/webmention">endpoint</a>')))
    site.route('/test/6', page(html('', `<a rel="webmention" href="${o}/test/6/webmention">endpoint</a>`)))
    site.route('/test/7', page(html(''), { LinK: `<${o}/test/7/webmention?head=true>; rel=webmention` }))
    site.route('/test/8', page(html(''), { Link: `<${o}/test/8/webmention?head=true>; rel="webmention"` }))
    site.route('/test/9', page(html('<link rel="webmention somethingelse" href="/test/9/webmention">')))
    site.route('/test/10', page(html(''), { Link: '</test/10/webmention?head=true>; rel="webmention somethingelse"' }))
    site.route(
      '/test/11',
      page(html('<link rel="webmention" href="/test/11/webmention/error">', '<a rel="webmention" href="/test/11/webmention/error">x</a>'), { Link: '</test/11/webmention>; rel="webmention"' }),
    )
    site.route('/test/12', page(html('<link rel="not-webmention" href="/test/12/webmention/error"><link rel="webmention" href="/test/12/webmention">')))
    site.route('/test/13', page(html('<!-- <link rel="webmention" href="/test/13/webmention/error"> -->', '<a rel="webmention" href="/test/13/webmention">x</a>')))
    site.route(
      '/test/14',
      page(html('', '<code>&lt;a href="/test/14/webmention/error" rel="webmention"&gt;&lt;/a&gt;</code><a rel="webmention" href="/test/14/webmention">x</a>')),
    )
    site.route('/test/15', page(html('<link rel="webmention" href="">')))
    site.route('/test/16', page(html('', '<a rel="webmention" href="/test/16/webmention">a first</a><link rel="webmention" href="/test/16/webmention/error">')))
    site.route('/test/17', page(html('<link rel="webmention" href="/test/17/webmention">', '<a rel="webmention" href="/test/17/webmention/error">x</a>')))
    site.route('/test/18', page(html(''), { Link: ['<http://example.invalid/error>; rel="other"', '</test/18/webmention?head=true>; rel="webmention"'] }))
    site.route('/test/19', page(html(''), { Link: '<http://example.invalid/error>; rel="other", </test/19/webmention?head=true>; rel="webmention"' }))
    site.route('/test/20', page(html('<link rel="webmention">', '<a rel="webmention" href="/test/20/webmention">x</a>')))
    site.route('/test/21', page(html('<link rel="webmention" href="/test/21/webmention?query=yes">')))
    site.route('/test/22', page(html('<link rel="webmention" href="22/webmention">')))
    site.route('/test/23/page', (_req, res) => {
      res.statusCode = 302
      res.setHeader('location', '/test/23/page/final-page')
      res.end()
    })
    site.route('/test/23/page/final-page', page(html('<link rel="webmention" href="webmention-endpoint/target">')))
    // Beyond the suite: script contents are not elements, and a page advertising nothing has no endpoint.
    site.route('/script', page(html('<script>document.write(\'<link rel="webmention" href="/error">\')</script>')))
    site.route('/none', page(html('<link rel="pingback" href="/xmlrpc">')))
    site.route('/plain', (_req, res) => {
      res.setHeader('content-type', 'text/plain')
      res.end('<link rel="webmention" href="/error">')
    })
    site.route('/gone', page(html('<link rel="webmention" href="/error">'), {}, 503))
  })
  afterAll(() => site.close())

  const cases: Array<[number, string, string, 'link-header' | 'html']> = [
    [1, 'HTTP Link header, relative URL', '/test/1/webmention?head=true', 'link-header'],
    [2, 'HTTP Link header, absolute URL', '/test/2/webmention?head=true', 'link-header'],
    [3, '<link>, relative URL', '/test/3/webmention', 'html'],
    [4, '<link>, absolute URL', '/test/4/webmention', 'html'],
    [5, '<a>, relative URL', '/test/5/webmention', 'html'],
    [6, '<a>, absolute URL', '/test/6/webmention', 'html'],
    [7, 'Link header with strange casing', '/test/7/webmention?head=true', 'link-header'],
    [8, 'Link header, quoted rel', '/test/8/webmention?head=true', 'link-header'],
    [9, 'several rel values on a <link>', '/test/9/webmention', 'html'],
    [10, 'several rel values in a Link header', '/test/10/webmention?head=true', 'link-header'],
    [11, 'Link header, <link> and <a>: the header wins', '/test/11/webmention', 'link-header'],
    [12, 'rel must match exactly (not-webmention ignored)', '/test/12/webmention', 'html'],
    [13, 'an endpoint inside an HTML comment is ignored', '/test/13/webmention', 'html'],
    [14, 'an endpoint in escaped HTML is ignored', '/test/14/webmention', 'html'],
    [15, 'an empty href is the page itself', '/test/15', 'html'],
    [16, '<a> before <link>: the first in document order', '/test/16/webmention', 'html'],
    [17, '<link> before <a>: the first in document order', '/test/17/webmention', 'html'],
    [18, 'several Link headers', '/test/18/webmention?head=true', 'link-header'],
    [19, 'one Link header with several values', '/test/19/webmention?head=true', 'link-header'],
    [20, 'a <link> without href is skipped', '/test/20/webmention', 'html'],
    [21, 'the endpoint keeps its query string', '/test/21/webmention?query=yes', 'html'],
    [22, 'relative to the page path', '/test/22/webmention', 'html'],
  ]

  it.each(cases)('test %i: %s', async (n, _title, endpoint, via) => {
    const result = await discoverEndpoint(outbound, `${site.origin}/test/${n}`)
    expect(result).toEqual({ endpoint: site.origin + endpoint, via, pageUrl: `${site.origin}/test/${n}`, status: 200 })
  })

  it('test 23: the target redirects; a relative endpoint resolves against the final URL', async () => {
    const result = await discoverEndpoint(outbound, `${site.origin}/test/23/page`)
    expect(result.endpoint).toBe(`${site.origin}/test/23/page/webmention-endpoint/target`)
    expect(result.pageUrl).toBe(`${site.origin}/test/23/page/final-page`)
  })

  it('finds nothing in script contents, in a page that advertises none, or in a page that is not HTML', async () => {
    for (const path of ['/script', '/none', '/plain']) {
      const result = await discoverEndpoint(outbound, site.origin + path)
      expect(result.endpoint, path).toBeNull()
      expect(result.status).toBe(200)
    }
  })

  it('reports the status of a page that does not answer 2xx, and reads no endpoint from it', async () => {
    const result = await discoverEndpoint(outbound, `${site.origin}/gone`)
    expect(result).toMatchObject({ endpoint: null, status: 503 })
  })

  it('refuses a private address unless private addresses are allowed', async () => {
    const before = site.requests.length
    const strict = testOutbound({ allowPrivate: false })
    const error = await discoverEndpoint(strict, `${site.origin}/test/3`).catch((e: unknown) => e)
    expect(isOutboundError(error) && error.reason).toBe('private-address')
    expect(site.requests.length).toBe(before)
  })
})

describe('endpoint parsing without HTTP', () => {
  it('drops endpoints that are not http(s) and keeps looking', () => {
    expect(endpointFromHtml('<link rel="webmention" href="javascript:alert(1)"><a rel="webmention" href="/ok">x</a>', 'https://a.example/p')).toBe('https://a.example/ok')
    expect(endpointFromLinkHeader('<mailto:x@y>; rel="webmention", </ok>; rel="webmention"', 'https://a.example/p')).toBe('https://a.example/ok')
  })
  it('a malformed Link header advertises nothing', () => {
    expect(endpointFromLinkHeader('<<<;;;', 'https://a.example/')).toBeNull()
  })
  it('rel tokens are case-insensitive and separated by any HTML whitespace', () => {
    expect(endpointFromHtml('<LINK REL="Other\tWebMention" HREF="/e">', 'https://a.example/p')).toBe('https://a.example/e')
  })
})
