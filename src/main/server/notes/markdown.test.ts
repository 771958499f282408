import { parse, type DefaultTreeAdapterMap } from 'parse5'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogging } from '../logging'
import { loadConfig } from '../config'
import { htmlToText } from '../html'
import { extractTitle, plainTextStart } from './markdown'
import { createNoteRenderer, type NoteRenderer } from './renderer'

// The real render thread, as the server runs it.
let renderer: NoteRenderer
beforeAll(() => {
  const { config } = loadConfig({ env: { STARPUNK_PORT: '0' } })
  renderer = createNoteRenderer({ logger: createLogging(config, { write: () => {} }).logger })
})
afterAll(async () => {
  await renderer.close()
})
const renderMarkdown = (source: string) => renderer.markdown(source)

type Node = DefaultTreeAdapterMap['node']
type Element = DefaultTreeAdapterMap['element']

/** Every element of the rendered HTML, parsed the way a browser parses it (parse5 is spec-compliant). */
function elementsOf(html: string): Element[] {
  const found: Element[] = []
  const walk = (node: Node) => {
    if ('tagName' in node) found.push(node)
    if ('childNodes' in node) node.childNodes.forEach(walk)
    if ('content' in node && node.content) walk(node.content)
  }
  walk(parse(`<!doctype html><html><body>${html}</body></html>`))
  return found
}

const DANGEROUS_TAGS = new Set(['script', 'style', 'iframe', 'object', 'embed', 'form', 'input', 'textarea', 'button', 'svg', 'math', 'base', 'link', 'meta', 'frame', 'frameset', 'applet', 'template', 'video', 'audio', 'source'])
const URL_ATTRIBUTES = new Set(['href', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'background', 'poster', 'cite', 'data'])

/** The XSS cheat-sheet payloads (OWASP-style), raw HTML and Markdown forms. */
const PAYLOADS: string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>',
  '<IMG SRC="javascript:alert(\'XSS\');">',
  '<IMG SRC=javascript:alert(\'XSS\')>',
  '<IMG SRC=JaVaScRiPt:alert(\'XSS\')>',
  '<IMG SRC=`javascript:alert("RSnake says, \'XSS\'")`>',
  '<a onmouseover="alert(document.cookie)">xxs link</a>',
  '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
  '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
  '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
  '<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>',
  '<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>',
  '<IMG SRC="jav\tascript:alert(\'XSS\');">',
  '<IMG SRC="jav&#x0A;ascript:alert(\'XSS\');">',
  '<IMG SRC=" &#14;  javascript:alert(\'XSS\');">',
  '<SCRIPT/XSS SRC="http://xss.example/xss.js"></SCRIPT>',
  '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
  '<<SCRIPT>alert("XSS");//<</SCRIPT>',
  '<iframe src=http://xss.example/scriptlet.html <',
  '<svg/onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
  '<BODY BACKGROUND="javascript:alert(\'XSS\')">',
  '<STYLE>li {list-style-image: url("javascript:alert(\'XSS\')");}</STYLE><UL><LI>XSS</br>',
  '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
  '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
  '<TABLE BACKGROUND="javascript:alert(\'XSS\')">',
  '<DIV STYLE="background-image: url(javascript:alert(\'XSS\'))">',
  '<DIV STYLE="width: expression(alert(\'XSS\'));">',
  '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.example/scriptlet.html"></OBJECT>',
  '<EMBED SRC="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+" type="image/svg+xml">',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<form action="javascript:alert(1)"><button>go</button></form>',
  '<button formaction="javascript:alert(1)">x</button>',
  '<details open ontoggle=alert(1)>',
  '<video><source onerror="alert(1)">',
  '<a href="&#1;javascript:alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<base href="javascript:alert(1)//">',
  '<img srcset="javascript:alert(1)">',
  '<p style="color:red" onclick="alert(1)">styled</p>',
  '<template><script>alert(1)</script></template>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '[click](javascript:alert(1))',
  '[click](JAVASCRIPT:alert(1))',
  '[click](  javascript:alert(1)  )',
  '[click](&#106;avascript:alert(1))',
  '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![img](javascript:alert(1))',
  '![img](data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+)',
  '[x](vbscript:msgbox(1))',
  '<javascript:alert(1)>',
  '[a](https://ok.example "title" onmouseover=alert(1))',
  '`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```',
  '> <img src=x onerror=alert(1)>',
  '* <a href="javascript:alert(1)">list</a>',
  '| a |\n|---|\n| <img src=x onerror=alert(1)> |',
]

describe('renderMarkdown sanitises every XSS payload', () => {
  it('has a real list of payloads', () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(40)
  })

  it.each(PAYLOADS)('%s', async (payload) => {
    const html = await renderMarkdown(`Before\n\n${payload}\n\nAfter`)
    for (const element of elementsOf(html)) {
      expect(DANGEROUS_TAGS.has(element.tagName) && !(element.tagName === 'input' && isDisabledCheckbox(element)), `<${element.tagName}> survived`).toBe(false)
      for (const attr of element.attrs) {
        expect(attr.name.startsWith('on'), `event handler ${attr.name}`).toBe(false)
        expect(attr.name, 'style attribute').not.toBe('style')
        if (URL_ATTRIBUTES.has(attr.name)) {
          // What a browser would do: strip control chars and whitespace, then look at the scheme.
          // eslint-disable-next-line no-control-regex -- control characters are exactly what a browser strips here
          const url = attr.value.replace(/[\u0000-\u0020]/g, '').toLowerCase()
          expect(/^(javascript|vbscript|data):/.test(url), `${attr.name}=${attr.value}`).toBe(false)
        }
      }
    }
    // Text before the payload survives. (Text after an unclosed <iframe>/<noscript> is swallowed, as a
    // browser would; the Markdown source itself is stored untouched.)
    expect(html).toContain('Before')
  })
})

function isDisabledCheckbox(element: Element): boolean {
  const attrs = new Map(element.attrs.map((a) => [a.name, a.value]))
  return attrs.get('type') === 'checkbox' && attrs.has('disabled')
}

describe('renderMarkdown keeps ordinary Markdown', () => {
  it('renders emphasis, links, code, lists, tables and task lists', async () => {
    const html = await renderMarkdown('**b** _i_ [l](https://example.com) `c`\n\n- [x] done\n- [ ] todo\n\n| h |\n|---|\n| d |\n\n```js\nlet a = 1 < 2\n```')
    expect(html).toContain('<strong>b</strong>')
    expect(html).toContain('<em>i</em>')
    expect(html).toContain('<a href="https://example.com" rel="nofollow noopener">l</a>')
    expect(html).toContain('<code>c</code>')
    expect(html).toContain('<table>')
    expect(html).toContain('<input checked disabled type="checkbox" />')
    expect(html).toContain('<code class="language-js">let a = 1 &lt; 2')
  })

  it('adds empty alt text to images without one', async () => {
    expect(await renderMarkdown('<img src="https://example.com/a.png">')).toContain('alt=""')
    expect(await renderMarkdown('![A cat](https://example.com/cat.png)')).toContain('alt="A cat"')
  })

  it('sanitises HTML from elsewhere with the same allow-list', async () => {
    const html = await renderer.sanitize('<p onclick="x()">Hi <a href="javascript:alert(1)">bad</a> <a href="https://ok.example">ok</a><script>alert(1)</script></p>')
    expect(html).toBe('<p>Hi <a>bad</a> <a href="https://ok.example" rel="nofollow noopener">ok</a></p>')
  })
})

describe('extractTitle', () => {
  it.each([
    ['# Hello *World*\n\nbody', 'Hello World'],
    ['\n\n## Second level ##\nbody', 'Second level'],
    ['Setext title\n===\n\nbody', 'Setext title'],
    ['# [Linked](https://x.example) `code`', 'Linked code'],
    ['Just a note without heading', null],
    ['- list item\n---', null],
    ['#hashtag is not a heading', null],
    ['#    ', null],
  ])('%j → %j', (source, title) => {
    expect(extractTitle(source)).toBe(title)
  })

  it('bounds long titles', () => {
    expect(Array.from(extractTitle(`# ${'é'.repeat(500)}`)!).length).toBe(200)
  })

  it('strips inline markers, HTML tags and link targets; keeps escaped characters and image alt text', () => {
    expect(extractTitle('# **bold** and _it_ and ~~gone~~ \\*literal\\*')).toBe('bold and it and gone *literal*')
    expect(extractTitle('# Fish &amp; <b>chips</b> ![a plate](https://x.example/p.png)')).toBe('Fish & chips a plate')
  })
})

describe('plainTextStart', () => {
  const long = (unit: string, n: number) => unit.repeat(n)
  it.each([
    ['short note', '<p>Just <em>a</em> note &amp; more</p>'],
    ['long prose', `<p>${long('Lorem ipsum dolor sit amet. ', 20_000)}</p>`],
    ['entities all the way', `<p>${long('&lt;a ', 60_000)}</p>`],
    ['long link targets first', `${long('<p><a href="https://example.com/' + 'x'.repeat(3_000) + '">l</a></p>', 40)}<p>${long('word ', 5_000)}</p>`],
    ['astral characters', `<p>${long('😀 ', 30_000)}</p>`],
    ['one huge text run', `<p>${long('y', 300_000)}</p>`],
    ['entities cut by the chunk boundaries', `<p>${long('&amp; x', 10_000)}</p>`],
    ['a heading that is mostly spaces', `<h1>a${long(' ', 200_000)}b</h1><p>${long('after ', 1_000)}</p>`],
    ['only whitespace for a long way', `<h1>a${long(' ', 200_000)}b</h1>`],
  ])('%s: the same start as the plain text of the whole note', (_name, html) => {
    const whole = htmlToText(html)
    for (const min of [80, 2_000]) {
      const start = plainTextStart(html, min)
      expect(whole.startsWith(start.slice(0, -40)) || start === whole).toBe(true)
      expect(Array.from(start).slice(0, min)).toEqual(Array.from(whole).slice(0, min))
    }
  })
})
