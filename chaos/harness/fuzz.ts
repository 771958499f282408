/**
 * Hostile request generator: random and mutated bodies, headers, query strings, multipart boundaries,
 * oversized fields, invalid UTF-8 and path traversal, against every agreed route. Deterministic per seed.
 */
import type { Rng } from './prng'

export interface FuzzCase {
  method: string
  path: string
  headers: Record<string, string>
  body?: Buffer
  /** What the mutation was, for a failure message. */
  label: string
}

/** Every agreed route (docs: paths.md), with the methods it has or might be probed with. */
export const ROUTES: Array<{ path: string; methods: string[] }> = [
  { path: '/', methods: ['GET', 'HEAD', 'POST'] },
  { path: '/notes/SLUG', methods: ['GET', 'HEAD', 'DELETE'] },
  { path: '/tags/TAG', methods: ['GET'] },
  { path: '/search', methods: ['GET'] },
  { path: '/api/search', methods: ['GET', 'POST'] },
  { path: '/feed', methods: ['GET'] },
  { path: '/feed.rss', methods: ['GET'] },
  { path: '/feed.atom', methods: ['GET'] },
  { path: '/feed.json', methods: ['GET'] },
  { path: '/opml.xml', methods: ['GET'] },
  { path: '/static/FILE', methods: ['GET'] },
  { path: '/admin', methods: ['GET', 'POST'] },
  { path: '/admin/login', methods: ['GET', 'POST'] },
  { path: '/admin/login/link', methods: ['GET'] },
  { path: '/admin/login/callback', methods: ['GET'] },
  { path: '/admin/logout', methods: ['POST', 'GET'] },
  { path: '/admin/notes', methods: ['GET', 'POST'] },
  { path: '/admin/notes/SLUG', methods: ['GET', 'POST'] },
  { path: '/admin/tokens', methods: ['GET', 'POST'] },
  { path: '/admin/console/', methods: ['GET'] },
  { path: '/admin/console/api/overview', methods: ['GET', 'POST'] },
  { path: '/micropub', methods: ['GET', 'POST', 'PUT'] },
  { path: '/micropub/media', methods: ['POST', 'GET'] },
  { path: '/media/FILE', methods: ['GET', 'HEAD'] },
  { path: '/.well-known/oauth-authorization-server', methods: ['GET'] },
  { path: '/indieauth/auth', methods: ['GET', 'POST'] },
  { path: '/indieauth/token', methods: ['GET', 'POST'] },
  { path: '/indieauth/revoke', methods: ['POST'] },
  { path: '/health', methods: ['GET'] },
  { path: '/health/ready', methods: ['GET'] },
]

const TRAVERSAL = [
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2fstarpunk.db',
  '..%5c..%5cwindows%5cwin.ini',
  '....//....//etc/passwd',
  '%252e%252e%252f',
  '..%c0%af..%c0%afetc',
  'starpunk.db',
  '../starpunk.db',
  '..%2Fconfig.json',
  '..%2Fsession-secret',
  '..%2Flogs%2Fstarpunk.log',
  '%00',
  'x%00.png',
  '.',
  '..',
  '%2e',
]
const BAD_ENCODINGS = ['%', '%z', '%zz', '%ff%fe', '%c3%28', '%e2%82', '%ed%a0%80', '%f8%88%80%80%80', '%C0%80', '%uD800', '%%%']
const WEIRD = ['', ' ', '\u0000', '💥', 'İ', 'ß', 'ǅ', 'a'.repeat(300), '<script>alert(1)</script>', "' OR 1=1 --", '"; DROP TABLE notes; --', '${7*7}', '{{7*7}}', 'NaN', '-1', '1e309', '0x10', '[]', '{}', 'null', 'undefined', '__proto__', 'constructor', 'toString']
const CONTENT_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=XyZ',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary="' + 'b'.repeat(200) + '"',
  'text/plain',
  'application/xml',
  'application/json; charset=utf-7',
  'application/json; charset=koi8-r',
  'application/x-www-form-urlencoded; charset=bogus',
  '*/*',
  'garbage',
  'image/png',
  'application/octet-stream',
]
const ACCEPTS = ['*/*', 'application/json', 'text/html', 'application/rss+xml', 'image/png', 'x/y;q=abc', ',,,', 'text/html;q=0, application/json;q=0', '']
const MICROPUB_PROPS = ['h', 'content', 'name', 'category[]', 'category', 'mp-slug', 'post-status', 'action', 'url', 'q', 'photo', 'published', 'mp-syndicate-to', 'access_token', 'properties', 'type']

function pickStr(rng: Rng): string {
  switch (rng.int(6)) {
    case 0:
      return rng.pick(WEIRD)
    case 1:
      return rng.pick(TRAVERSAL)
    case 2:
      return rng.pick(BAD_ENCODINGS)
    case 3:
      return encodeURIComponent(rng.bytes(rng.int(40)).toString('latin1'))
    case 4:
      return 'x'.repeat(rng.pick([1, 100, 5000, 70_000]))
    default:
      return Math.floor(rng.next() * 1e6).toString(36)
  }
}

function fillPath(rng: Rng, template: string): string {
  return template.replace(/SLUG|TAG|FILE/g, () => (rng.bool(0.7) ? rng.pick([...TRAVERSAL, ...BAD_ENCODINGS]) : pickStr(rng).slice(0, 2000)))
}

function query(rng: Rng): string {
  const parts: string[] = []
  const n = rng.int(6)
  for (let i = 0; i < n; i++) {
    const key = rng.pick(['q', 'q[]', 'q[a]', 'page', 'page[]', 'limit', 'offset', 'cursor', 'token', 'tag', 'format', 'callback', 'code', 'state', 'me', 'redirect_uri', 'client_id', 'url', rng.pick(BAD_ENCODINGS), ''])
    const value = rng.bool(0.2) ? rng.pick(['-1', '0', '99999999999999999999', '1.5', 'NaN', 'Infinity']) : pickStr(rng)
    parts.push(`${key}=${value.slice(0, rng.bool(0.1) ? 20_000 : 500)}`)
  }
  if (rng.bool(0.1)) parts.push('q=a&q=b&q=c')
  return parts.length ? `?${parts.join('&')}` : ''
}

function nestedJson(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth)
}

function jsonBody(rng: Rng): string {
  const valid = JSON.stringify({
    type: rng.pick([['h-entry'], 'h-entry', [], null, [1], ['h-card']]),
    action: rng.bool(0.3) ? rng.pick(['update', 'delete', 'undelete', 'create', 'nope', 1, null]) : undefined,
    url: rng.bool(0.3) ? rng.pick(['http://127.0.0.1/notes/' + rng.pick(TRAVERSAL), 'javascript:alert(1)', '', 42]) : undefined,
    properties: rng.pick([{ content: [pickStr(rng)] }, { content: pickStr(rng) }, { content: [{ html: '<img src=x onerror=alert(1)>' }] }, { content: [{}] }, [], null, 'x', { name: [null], category: [{}, [], 1] }]),
    replace: rng.bool(0.2) ? { content: [pickStr(rng)] } : undefined,
    add: rng.bool(0.1) ? { category: 'not-an-array' } : undefined,
    delete: rng.bool(0.1) ? rng.pick([['category'], { category: ['x'] }, 'content']) : undefined,
  })
  switch (rng.int(7)) {
    case 0:
      return valid
    case 1:
      return valid.slice(0, rng.int(valid.length))
    case 2:
      return nestedJson(rng.pick([100, 5000, 50_000]))
    case 3:
      return valid.replace(/"/g, () => (rng.bool(0.05) ? "'" : '"'))
    case 4:
      return `{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"properties":{"content":["p"]}}`
    case 5:
      return JSON.stringify({ properties: { content: ['x'.repeat(rng.pick([10, 200_000, 2_000_000]))] } })
    default:
      return rng.pick(['null', '1', '"str"', '[]', 'true', '{', '', '\u0000', '\uFEFF{}'])
  }
}

function formBody(rng: Rng): string {
  const parts: string[] = []
  const n = 1 + rng.int(6)
  for (let i = 0; i < n; i++) parts.push(`${rng.pick(MICROPUB_PROPS)}=${pickStr(rng).slice(0, rng.bool(0.05) ? 3_000_000 : 1000)}`)
  if (rng.bool(0.3)) parts.push('h=entry')
  if (rng.bool(0.2)) parts.push('_csrf=' + pickStr(rng).slice(0, 100))
  return parts.join('&')
}

function multipart(rng: Rng, boundary: string): Buffer {
  const chunks: Buffer[] = []
  const n = rng.int(4)
  for (let i = 0; i < n; i++) {
    const name = rng.pick(['file', 'photo', 'content', 'h', 'video', '../../x', ''])
    const filename = rng.pick(['a.png', '../../../etc/passwd', '..\\..\\win.ini', 'x\u0000.png', '%2e%2e%2fa.jpg', 'ok.jpg', '', '💥.gif', 'a'.repeat(5000) + '.png'])
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${rng.bool(0.6) ? `; filename="${filename}"` : ''}\r\nContent-Type: ${rng.pick(['image/png', 'image/jpeg', 'text/html', 'application/x-sh', 'image/svg+xml'])}\r\n\r\n`))
    chunks.push(rng.bool(0.3) ? Buffer.from('\x89PNG\r\n\x1a\n') : Buffer.alloc(0))
    chunks.push(rng.bytes(rng.pick([0, 10, 1000, 70_000])))
    chunks.push(Buffer.from('\r\n'))
  }
  if (rng.bool(0.6)) chunks.push(Buffer.from(`--${boundary}--\r\n`))
  else if (rng.bool(0.5)) chunks.push(Buffer.from(`--${boundary}`))
  return Buffer.concat(chunks)
}

/** Extra material for the targeted attack shapes below. */
export interface FuzzExtras {
  /** A signed-in admin's cookie (`starpunk_session=…`): the login page then shows a "Continue" link built from `next`. */
  session?: string
  /** Notes that once took quadratic time (at the note size cap, and just over it). */
  pathological?: string[]
}

/**
 * `next` values that are, or normalise to, another host (`/.//evil` and `/%2e//evil` become `//evil`), or
 * that a browser reads as one (`/\evil`). Every answer must keep the person on this site.
 */
export const NEXT_TRICKS = [
  '/.//evil.example/x',
  '/%2e//evil.example/x',
  '/%2E%2E//evil.example/x',
  '/..//evil.example/x',
  '/././/evil.example',
  '//evil.example/x',
  '///evil.example/x',
  '/\\evil.example/x',
  '/%5cevil.example/x',
  '/%2f%2fevil.example/x',
  '/%2F/evil.example/x',
  'https://evil.example/x',
  'https:evil.example',
  '/\t/evil.example/x',
  ' //evil.example/x',
  '/admin/../..//evil.example/x',
]

/** Login pages and links with a hostile `next`: the 303, the form and the "Continue" link must stay on this site. */
function redirectTrickCase(rng: Rng, extras: FuzzExtras): FuzzCase {
  const trick = rng.pick(NEXT_TRICKS)
  // Sent encoded (what a link would carry) or raw (what a hand-typed address would).
  const next = rng.bool(0.7) ? encodeURIComponent(trick) : trick.replace(/[ \t]/g, encodeURIComponent)
  const headers: Record<string, string> = { accept: 'text/html' }
  if (extras.session && rng.bool(0.6)) headers.cookie = extras.session
  switch (rng.int(3)) {
    case 0:
      return { method: 'GET', path: `/admin/login?next=${next}`, headers, label: 'next redirect trick' }
    case 1:
      return { method: 'GET', path: `/admin/login/link?token=${Math.floor(rng.next() * 1e9).toString(36)}&next=${next}`, headers, label: 'next redirect trick' }
    default:
      headers['content-type'] = 'application/x-www-form-urlencoded'
      return { method: 'POST', path: '/admin/login', headers, body: Buffer.from(`next=${next}`), label: 'next redirect trick' }
  }
}

/** A pathological note through Micropub (JSON text, JSON html or a form), mostly with a working token. */
function pathologicalCase(rng: Rng, shapes: string[], bearer?: string): FuzzCase {
  const shape = rng.pick(shapes)
  const headers: Record<string, string> = {}
  if (bearer && rng.bool(0.9)) headers.authorization = `Bearer ${bearer}`
  let body: string
  switch (rng.int(3)) {
    case 0:
      headers['content-type'] = 'application/json'
      body = JSON.stringify({ type: ['h-entry'], properties: { content: [shape] } })
      break
    case 1:
      headers['content-type'] = 'application/json'
      body = JSON.stringify({ type: ['h-entry'], properties: { content: [{ html: shape }] } })
      break
    default:
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams({ h: 'entry', content: shape }).toString()
  }
  return { method: 'POST', path: '/micropub', headers, body: Buffer.from(body), label: 'pathological markdown' }
}

/**
 * A large upload with a token that is not valid: in the header (refused before the body is read) or only
 * in the body (read under the unverified-upload limits, then refused). Never 2xx, never a temp file left.
 */
function bogusTokenUploadCase(rng: Rng): FuzzCase {
  const media = rng.bool(0.5)
  const field = media ? 'file' : 'photo'
  const boundary = 'bogus' + Math.floor(rng.next() * 1e9).toString(36)
  const token = 'bogus-' + Math.floor(rng.next() * 1e12).toString(36)
  const inBody = rng.bool(0.3)
  const parts: Buffer[] = []
  if (inBody) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="access_token"\r\n\r\n${token}\r\n`))
  if (!media) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="h"\r\n\r\nentry\r\n`))
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`))
  parts.push(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), rng.bytes(100_000 + rng.int(300_000)), Buffer.from(`\r\n--${boundary}--\r\n`))
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}` }
  if (!inBody) headers.authorization = `Bearer ${token}`
  return { method: 'POST', path: media ? '/micropub/media' : '/micropub', headers, body: Buffer.concat(parts), label: inBody ? 'bogus body-token upload' : 'bogus header-token upload' }
}

export function generateCase(rng: Rng, bearer?: string, extras: FuzzExtras = {}): FuzzCase {
  // The targeted shapes first, each a few percent of the run.
  const targeted = rng.next()
  if (targeted < 0.03) return redirectTrickCase(rng, extras)
  if (targeted < 0.05 && extras.pathological?.length) return pathologicalCase(rng, extras.pathological, bearer)
  if (targeted < 0.07) return bogusTokenUploadCase(rng)
  const route = rng.pick(ROUTES)
  const method = rng.bool(0.05) ? rng.pick(['PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'PUT', 'DELETE']) : rng.pick(route.methods)
  let path = fillPath(rng, route.path)
  if (rng.bool(0.05)) path = path + '/' + rng.pick(TRAVERSAL)
  if (rng.bool(0.03)) path = '/' + rng.pick(BAD_ENCODINGS) + path
  if (rng.bool(0.03)) path = path + '//' + pickStr(rng).slice(0, 100)
  path += query(rng)
  const headers: Record<string, string> = {}
  if (rng.bool(0.7)) headers.accept = rng.pick(ACCEPTS)
  if (rng.bool(0.15)) headers['if-none-match'] = rng.pick(['*', '"x"', 'W/"', ',,', '"' + 'e'.repeat(5000) + '"'])
  if (rng.bool(0.1)) headers['if-modified-since'] = rng.pick(['yesterday', 'Thu, 01 Jan 1970 00:00:00 GMT', '9'.repeat(50)])
  if (rng.bool(0.2)) headers.cookie = rng.pick(['starpunk_session=' + pickStr(rng).slice(0, 200), '=;=;=;', 'a=' + '%'.repeat(100), 'session=%E0%A4%A', 'x'.repeat(7000)])
  if (rng.bool(0.3)) headers.authorization = rng.pick(['Bearer ' + pickStr(rng).slice(0, 300).replace(/[^\x21-\x7e]/g, 'x'), 'Bearer', 'Basic Zm9vOmJhcg==', 'Bearer  ', 'Bearer ' + 'A'.repeat(7000)])
  else {
    // A second, independent draw (not a repeat of the first): a real token on some of the remaining requests.
    if (bearer && rng.bool(0.3)) headers.authorization = `Bearer ${bearer}`
  }
  if (rng.bool(0.1)) headers['x-csrf-token'] = pickStr(rng).slice(0, 100).replace(/[^\x21-\x7e]/g, 'x')
  if (rng.bool(0.1)) headers['x-request-id'] = rng.pick(['', '\u00ff', '../../etc', 'r'.repeat(2000), '"><script>'])
  if (rng.bool(0.05)) headers.range = rng.pick(['bytes=0-1', 'bytes=-5', 'bytes=99999999999-', 'bytes=x-y', 'bytes=0-0,0-0,0-0,0-0,0-0'])
  if (rng.bool(0.05)) headers['content-encoding'] = rng.pick(['gzip', 'br', 'deflate', 'x-bogus'])

  let body: Buffer | undefined
  let label = 'no body'
  if (method !== 'GET' && method !== 'HEAD' && rng.bool(0.9)) {
    const kind = rng.int(5)
    if (kind === 0) {
      headers['content-type'] = rng.pick(['application/json', 'application/json; charset=utf-8', 'application/activity+json'])
      body = Buffer.from(jsonBody(rng))
      label = 'json'
    } else if (kind === 1) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = Buffer.from(formBody(rng))
      label = 'form'
    } else if (kind === 2) {
      const boundary = rng.pick(['XyZ', '----b', '"quoted"', 'a'.repeat(70), 'bad boundary with spaces', '--'])
      headers['content-type'] = rng.bool(0.8) ? `multipart/form-data; boundary=${boundary}` : rng.pick(CONTENT_TYPES)
      body = multipart(rng, rng.bool(0.8) ? boundary.replace(/"/g, '') : 'other')
      label = 'multipart'
    } else if (kind === 3) {
      headers['content-type'] = rng.pick(CONTENT_TYPES)
      // Invalid UTF-8 sequences inside otherwise plausible bodies.
      body = Buffer.concat([Buffer.from('h=entry&content='), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xff, 0xfe, 0x00]), rng.bytes(rng.int(200))])
      label = 'invalid utf-8'
    } else {
      if (rng.bool(0.7)) headers['content-type'] = rng.pick(CONTENT_TYPES)
      body = rng.bytes(rng.pick([0, 1, 100, 10_000, 1_500_000]))
      label = 'random bytes'
    }
  }
  return { method, path, headers, body, label }
}

/** Malformed at the HTTP level: sent on a raw socket, the server must answer 4xx or close, never crash. */
export function rawCases(rng: Rng, host: string, token?: string): Buffer[] {
  const cases: Buffer[] = [
    Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -1\r\n\r\n`),
    Buffer.from(`POST /micropub HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{"a":`),
    Buffer.from(`POST /micropub HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nZZ\r\nh=entry\r\n0\r\n\r\n`),
    Buffer.from(`POST /micropub HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`),
    Buffer.from(`GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`),
    Buffer.from(`GET /notes/\xff\xfe HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'latin1'),
    Buffer.from(`GET / HTTP/9.9\r\nHost: ${host}\r\n\r\n`),
    Buffer.from(`\x00\x01\x02\x03\r\n\r\n`, 'latin1'),
    Buffer.from(`GET /search?q=%ff%fe HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    Buffer.from(`GET http://evil.invalid/ HTTP/1.1\r\nHost: evil.invalid\r\n\r\n`),
    Buffer.from(`GET /../../etc/passwd HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    Buffer.from(`GET /static/../../../../etc/passwd HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    Buffer.from(`GET /media/..%2f..%2fstarpunk.db HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
    Buffer.from(`POST /micropub/media HTTP/1.1\r\nHost: ${host}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 40\r\n\r\n--x\r\nContent-Disposition: form-data; name="file"`),
  ]
  // Authenticated uploads whose client hangs up inside the file (promised length never sent, then EOF):
  // the server must drop the request at once and leave no temp file behind.
  if (token) {
    for (const [path, field] of [['/micropub/media', 'file'], ['/micropub', 'photo']] as const) {
      const part = Buffer.concat([
        Buffer.from(`--cut\r\nContent-Disposition: form-data; name="${field}"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n`),
        rng.bytes(1 + rng.int(40_000)),
      ])
      const head = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=cut\r\nContent-Length: ${part.length + 100_000}\r\n\r\n`
      cases.push(Buffer.concat([Buffer.from(head), part]))
    }
  }
  for (let i = 0; i < 25; i++) cases.push(Buffer.concat([Buffer.from(rng.pick(['GET', 'POST', 'XYZ', '']) + ' /'), rng.bytes(rng.int(300)), Buffer.from(' HTTP/1.1\r\n\r\n')]))
  return cases
}
