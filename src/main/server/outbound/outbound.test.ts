// The bounded outbound fetch against REAL HTTP servers on loopback; the resolver is injected so the
// public-address and unknown-host branches are covered without a network.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createOutbound, isPublicAddress, OutboundError, outboundUserAgent, type OutboundOptions, type Resolver } from '.'

interface Seen {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: string
}

interface Loopback {
  server: Server
  origin: string
  port: number
  seen: Seen[]
}

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void

async function startLoopback(routes: (self: () => Loopback) => Record<string, Route>): Promise<Loopback> {
  // Routes may refer to their own server's origin, known only once it listens.
  const ref: { current: Loopback | null } = { current: null }
  const table = routes(() => ref.current!)
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      const body = Buffer.concat(chunks).toString('utf8')
      ref.current!.seen.push({ method: req.method ?? '', path, headers: req.headers, body })
      const route = table[path]
      if (route) route(req, res, body)
      else {
        res.statusCode = 404
        res.end('not found')
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  ref.current = { server, origin: `http://127.0.0.1:${port}`, port, seen: [] }
  return ref.current
}

async function stop(lb: Loopback): Promise<void> {
  lb.server.closeAllConnections()
  await new Promise<void>((resolve) => lb.server.close(() => resolve()))
}

const redirect = (status: number, location: () => string): Route => (_req, res) => {
  res.writeHead(status, { location: location() })
  res.end()
}

let a: Loopback
let b: Loopback

beforeAll(async () => {
  b = await startLoopback(() => ({
    '/echo': (req, res, body) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ method: req.method, authorization: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null, body }))
    },
    '/to-a': redirect(302, () => `${a.origin}/echo`),
  }))
  a = await startLoopback((self) => ({
    '/text': (_req, res) => {
      res.setHeader('content-type', 'text/html')
      res.setHeader('link', '</meta>; rel="indieauth-metadata"')
      res.end('<p>hello</p>')
    },
    '/echo': (req, res, body) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ method: req.method, authorization: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null, body, host: req.headers.host }))
    },
    '/same-origin-redirect': redirect(307, () => `${self().origin}/echo`),
    '/cross-origin-redirect': redirect(307, () => `${b.origin}/echo`),
    '/see-other': redirect(303, () => `${self().origin}/echo`),
    '/hop1': redirect(301, () => '/hop2'),
    '/hop2': redirect(302, () => '/hop3'),
    '/hop3': redirect(308, () => '/text'),
    '/loop': redirect(302, () => '/loop'),
    '/to-file': redirect(302, () => 'file:///etc/passwd'),
    '/to-unknown': redirect(302, () => 'http://nowhere.test/x'),
    '/to-b-to-a': redirect(302, () => `${b.origin}/to-a`),
    '/big-declared': (_req, res) => {
      res.setHeader('content-length', String(2048))
      res.end('x'.repeat(2048))
    },
    '/big-chunked': (_req, res) => {
      // No Content-Length: the cap must stop the read as the bytes arrive.
      res.write('x'.repeat(1024))
      res.write('x'.repeat(1024))
      res.end('x'.repeat(1024))
    },
    '/silent': () => {
      // Never answers.
    },
    '/trickle': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first bytes, then nothing')
    },
    '/not-json': (_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end('{nope')
    },
  }))
})

afterAll(async () => {
  await stop(a)
  await stop(b)
})

beforeEach(() => {
  a.seen.length = 0
  b.seen.length = 0
})

const UA = outboundUserAgent('9.9.9', 'https://blog.example')
const loopbackResolver: Resolver = async (hostname) => {
  if (hostname.endsWith('.test') && hostname !== 'nowhere.test') return [{ address: '127.0.0.1', family: 4 }]
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
}
const outbound = (options: Partial<OutboundOptions> = {}) =>
  createOutbound({ enabled: true, allowPrivate: true, userAgent: UA, resolver: loopbackResolver, ...options })

async function failure(work: Promise<unknown>): Promise<OutboundError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(OutboundError)
  return err as OutboundError
}

describe('bounded outbound fetch', () => {
  it('fetches text with the StarPunk User-Agent and returns the final URL and headers', async () => {
    const res = await outbound().fetchText(`${a.origin}/text`)
    expect(res.status).toBe(200)
    expect(res.text).toBe('<p>hello</p>')
    expect(res.url).toBe(`${a.origin}/text`)
    expect(res.headers.get('link')).toBe('</meta>; rel="indieauth-metadata"')
    expect(a.seen[0]!.headers['user-agent']).toBe('StarPunk/9.9.9 (+https://blog.example)')
  })

  it('follows redirects (each one a request of its own) up to the limit, and says where it ended', async () => {
    const res = await outbound().fetchHead(`${a.origin}/hop1`)
    expect(res.url).toBe(`${a.origin}/text`)
    expect(res.redirects).toEqual([`${a.origin}/hop1`, `${a.origin}/hop2`, `${a.origin}/hop3`])
    expect(a.seen.map((s) => s.path)).toEqual(['/hop1', '/hop2', '/hop3', '/text'])

    a.seen.length = 0
    const err = await failure(outbound({ maxRedirects: 5 }).fetchText(`${a.origin}/loop`))
    expect(err.reason).toBe('too-many-redirects')
    expect(err.code).toBe('OUTBOUND_FAILED')
    // The first request plus five redirects, then it stopped.
    expect(a.seen).toHaveLength(6)

    const third = await outbound({ maxRedirects: 0 }).fetchHead(`${a.origin}/hop1`)
    expect(third.status).toBe(301)
  })

  it('refuses schemes other than http(s), first and after a redirect', async () => {
    expect((await failure(outbound().fetchText('file:///etc/passwd'))).reason).toBe('scheme')
    expect((await failure(outbound().fetchText('ftp://127.0.0.1/'))).reason).toBe('scheme')
    const err = await failure(outbound().fetchText(`${a.origin}/to-file`))
    expect(err.reason).toBe('bad-redirect')
    expect(err.code).toBe('OUTBOUND_REFUSED')
  })

  it('keeps credentials on a same-origin redirect and drops them when a redirect leaves the origin', async () => {
    const headers = { authorization: 'Bearer secret-token', cookie: 'sid=secret' }
    const same = await outbound().fetchJson(`${a.origin}/same-origin-redirect`, { headers })
    expect(same.json).toMatchObject({ authorization: 'Bearer secret-token', cookie: 'sid=secret' })

    const cross = await outbound().fetchJson(`${a.origin}/cross-origin-redirect`, { headers })
    expect(cross.url).toBe(`${b.origin}/echo`)
    expect(cross.json).toMatchObject({ authorization: null, cookie: null })
    expect(b.seen[0]!.headers.authorization).toBeUndefined()
    expect(b.seen[0]!.headers.cookie).toBeUndefined()

    // Once dropped they stay dropped, even when a later redirect comes back to the first origin.
    const back = await outbound().fetchJson(`${a.origin}/to-b-to-a`, { headers })
    expect(back.url).toBe(`${a.origin}/echo`)
    expect(back.json).toMatchObject({ authorization: null, cookie: null })
  })

  it('continues a POST as a GET without the body after a 303, and keeps a POST through a 307', async () => {
    const post = { method: 'POST' as const, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }
    const seeOther = await outbound().fetchJson(`${a.origin}/see-other`, post)
    expect(seeOther.json).toMatchObject({ method: 'GET', body: '' })
    const temporary = await outbound().fetchJson(`${a.origin}/same-origin-redirect`, post)
    expect(temporary.json).toMatchObject({ method: 'POST', body: 'a=1' })
  })

  it('stops reading a body over the cap, declared or streamed', async () => {
    const declared = await failure(outbound({ maxBodyBytes: 1024 }).fetchText(`${a.origin}/big-declared`))
    expect(declared.reason).toBe('too-large')
    const streamed = await failure(outbound().fetchText(`${a.origin}/big-chunked`, { maxBodyBytes: 1500 }))
    expect(streamed.reason).toBe('too-large')
    expect(streamed.message).toContain('larger than 1500 bytes')
    // Under the cap it is read whole.
    expect((await outbound().fetchText(`${a.origin}/big-chunked`, { maxBodyBytes: 4096 })).text).toHaveLength(3072)
  })

  it('gives up on a server that never answers, or stops half-way, with a timeout', async () => {
    const silent = await failure(outbound({ timeoutMs: 200 }).fetchText(`${a.origin}/silent`))
    expect(silent.reason).toBe('timeout')
    expect(silent.message).toContain('did not answer within')
    const trickle = await failure(outbound().fetchText(`${a.origin}/trickle`, { timeoutMs: 200 }))
    expect(trickle.reason).toBe('timeout')
    // A resolver that never answers is held to the same deadline.
    const stuck = await failure(outbound({ resolver: () => new Promise(() => {}) }).fetchText('http://stuck.test/', { timeoutMs: 200 }))
    expect(stuck.reason).toBe('timeout')
  })

  it('refuses loopback and private addresses by default, before connecting', async () => {
    const strict = outbound({ allowPrivate: false })
    const err = await failure(strict.fetchText(`${a.origin}/text`))
    expect(err.reason).toBe('private-address')
    expect(err.code).toBe('OUTBOUND_REFUSED')
    expect(err.message).toContain('STARPUNK_FETCH_ALLOW_PRIVATE')
    // A name that resolves to loopback is refused after resolution, just like the literal.
    expect((await failure(strict.fetchText(`http://site.test:${a.port}/text`))).reason).toBe('private-address')
    expect((await failure(strict.fetchText(`http://[::1]:${a.port}/text`))).reason).toBe('private-address')
    expect((await failure(strict.fetchText(`http://[::ffff:127.0.0.1]:${a.port}/text`))).reason).toBe('private-address')
    expect(a.seen).toHaveLength(0)
  })

  it('applies the address policy to what the resolver answers: public passes, any private address refuses, unknown hosts fail', async () => {
    const answers: Record<string, string[]> = {
      'public.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
      'mixed.example': ['93.184.215.14', '10.0.0.7'],
      'ula.example': ['fd12:3456:789a::1'],
      'linklocal.example': ['169.254.169.254'],
    }
    const resolver: Resolver = async (hostname) => {
      const found = answers[hostname]
      if (!found) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' })
      return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
    }
    const strict = createOutbound({ enabled: true, allowPrivate: false, userAgent: UA, resolver })
    expect(await strict.checkTarget('https://public.example/')).toEqual({ address: '93.184.215.14', family: 4 })
    expect((await failure(strict.checkTarget('https://mixed.example/'))).reason).toBe('private-address')
    expect((await failure(strict.checkTarget('https://ula.example/'))).reason).toBe('private-address')
    expect((await failure(strict.checkTarget('http://linklocal.example/latest/meta-data'))).reason).toBe('private-address')
    const unknown = await failure(strict.checkTarget('https://unknown.example/'))
    expect(unknown.reason).toBe('unknown-host')
    expect(unknown.code).toBe('OUTBOUND_FAILED')
    expect(isPublicAddress('8.8.8.8')).toBe(true)
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', 'fe80::1', 'ff02::1', '::ffff:192.168.0.1', 'not-an-ip']) {
      expect(isPublicAddress(address), address).toBe(false)
    }
  })

  it('connects to the address the resolver gave and checks every redirect hop again', async () => {
    // site.test exists only in the injected resolver: reaching the server proves the socket used that answer.
    const res = await outbound().fetchJson(`http://site.test:${a.port}/echo`)
    expect(res.json).toMatchObject({ host: `site.test:${a.port}` })
    // The redirect target is resolved anew: an unknown host there fails the whole request.
    const err = await failure(outbound().fetchText(`${a.origin}/to-unknown`))
    expect(err.reason).toBe('unknown-host')
  })

  it('never contacts a refused origin, directly, through a redirect, or through an alias of the same address and port', async () => {
    const refuseOrigins = [a.origin]
    const direct = await failure(outbound().fetchText(`${a.origin}/echo`, { refuseOrigins, purpose: 'the token endpoint' }))
    expect(direct.reason).toBe('own-origin')
    expect(direct.message).toContain('the token endpoint')
    const viaRedirect = await failure(outbound().fetchText(`${b.origin}/to-a`, { refuseOrigins }))
    expect(viaRedirect.reason).toBe('own-origin')
    const alias = await failure(outbound().fetchText(`http://www.site.test:${a.port}/echo`, { refuseOrigins }))
    expect(alias.reason).toBe('own-origin')
    const localhostAlias = await failure(outbound({ resolver: async () => [{ address: '::1', family: 6 }] }).fetchText(`http://localhost:${a.port}/echo`, { refuseOrigins }))
    expect(localhostAlias.reason).toBe('own-origin')
    expect(a.seen).toHaveLength(0)
    // Another port on the same machine is another site.
    expect((await outbound().fetchText(`${b.origin}/echo`, { refuseOrigins })).status).toBe(200)
  })

  it('turns every request off with STARPUNK_FETCH_ENABLED=false, with its own catalog code', async () => {
    const off = outbound({ enabled: false })
    const err = await failure(off.fetchText(`${a.origin}/text`, { purpose: 'your profile URL' }))
    expect(err.reason).toBe('disabled')
    expect(err.code).toBe('OUTBOUND_DISABLED')
    expect(err.status).toBe(503)
    expect(err.message).toContain('STARPUNK_FETCH_ENABLED=false')
    expect((await failure(off.checkTarget(`${a.origin}/`))).code).toBe('OUTBOUND_DISABLED')
    expect(a.seen).toHaveLength(0)
  })

  it('answers JSON parsed, and says so when the body is not JSON', async () => {
    const res = await outbound().fetchJson(`${a.origin}/echo`)
    expect(res.json).toMatchObject({ method: 'GET' })
    expect(a.seen[0]!.headers.accept).toBe('application/json')
    expect((await failure(outbound().fetchJson(`${a.origin}/not-json`))).reason).toBe('not-json')
  })
})
