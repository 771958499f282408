import { lookup as dnsLookup } from 'node:dns/promises'
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { isPublicAddress, isThisMachine } from './address-policy'
import { OutboundError } from './errors'
import type { Outbound, OutboundHead, OutboundOptions, OutboundRequest, ResolvedAddress, Resolver } from './types'

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
const DEFAULT_MAX_REDIRECTS = 5
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
/** Headers that carry credentials: never sent to another origin than the one they were meant for. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization']

/** The operating system's resolver, every address. */
export const systemResolver: Resolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true })
  return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }))
}

/** scheme://host[:port]/path for messages and logs: never the query, which may carry codes or tokens. */
function shown(url: URL): string {
  return `${url.origin}${url.pathname}`
}

function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
}

/** The host as the resolver and the address policy see it: no IPv6 brackets, no trailing dot. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
}

function parseHttpUrl(raw: string, what: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new OutboundError('bad-url', `${what} is not a valid URL.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundError('scheme', `${what} (${url.protocol}) is not an http or https URL.`)
  if (url.username || url.password) throw new OutboundError('bad-url', `${what} (${shown(url)}) contains a user name or password.`)
  return url
}

interface BodyResult {
  head: OutboundHead
  body: Buffer | null
}

/**
 * Bounded outbound HTTP: total time, body size and redirect limits; http(s) only; private and loopback
 * addresses refused unless allowed; every hop resolved, checked and connected to the checked address (the
 * socket uses our own lookup result, so a second DNS answer cannot swap in another address); credentials
 * dropped when a redirect leaves the origin.
 */
export function createOutbound(options: OutboundOptions): Outbound {
  const resolver = options.resolver ?? systemResolver
  const userAgent = () => (typeof options.userAgent === 'function' ? options.userAgent() : options.userAgent)

  async function resolveHost(url: URL, what: string): Promise<ResolvedAddress[]> {
    const host = bareHost(url)
    const literal = isIP(host)
    if (literal) return [{ address: host, family: literal === 6 ? 6 : 4 }]
    let found: ResolvedAddress[]
    try {
      found = await resolver(host)
    } catch (err) {
      throw new OutboundError('unknown-host', `${what} (${shown(url)}): the host ${host} could not be found.`, err)
    }
    if (found.length === 0) throw new OutboundError('unknown-host', `${what} (${shown(url)}): the host ${host} could not be found.`)
    return found
  }

  /** Origins (and their address:port) that must not be contacted. */
  async function refusedTargets(origins: readonly string[]): Promise<Array<{ origin: string; port: number; addresses: string[] }>> {
    const targets: Array<{ origin: string; port: number; addresses: string[] }> = []
    for (const raw of origins) {
      let url: URL
      try {
        url = new URL(raw)
      } catch {
        continue
      }
      // Our own address cannot always be resolved (no network): then the origin comparison still applies.
      const addresses = await resolveHost(url, 'this site').then(
        (found) => found.map((entry) => entry.address),
        () => [],
      )
      targets.push({ origin: url.origin, port: defaultPort(url), addresses })
    }
    return targets
  }

  async function check(url: URL, request: Pick<OutboundRequest, 'refuseOrigins' | 'purpose'>, refused?: Awaited<ReturnType<typeof refusedTargets>>): Promise<ResolvedAddress> {
    const what = request.purpose ?? 'the address'
    const own = refused ?? (await refusedTargets(request.refuseOrigins ?? []))
    if (own.some((target) => target.origin === url.origin)) {
      throw new OutboundError('own-origin', `${what} (${shown(url)}) is this site itself, which is never fetched for this purpose.`)
    }
    const found = await resolveHost(url, what)
    const port = defaultPort(url)
    for (const entry of found) {
      if (!options.allowPrivate && !isPublicAddress(entry.address)) {
        throw new OutboundError(
          'private-address',
          `${what} (${shown(url)}) points to a private or local network address, which StarPunk does not fetch unless STARPUNK_FETCH_ALLOW_PRIVATE=true.`,
        )
      }
      for (const target of own) {
        if (target.port !== port) continue
        const same = target.addresses.includes(entry.address) || (isThisMachine(entry.address) && target.addresses.some(isThisMachine))
        if (same) throw new OutboundError('own-origin', `${what} (${shown(url)}) reaches this site itself, which is never fetched for this purpose.`)
      }
    }
    // Every address passed; connect to the first.
    return found[0]!
  }

  /** One request to one URL, connected to the checked address. Resolves with the response, body unread. */
  function send(url: URL, target: ResolvedAddress, method: string, headers: OutgoingHttpHeaders, body: string | undefined, signal: AbortSignal): Promise<IncomingMessage> {
    // Connect to the address we checked, whatever a second lookup would say now.
    const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
      if (lookupOptions.all) callback(null, [{ address: target.address, family: target.family }])
      else callback(null, target.address, target.family)
    }
    const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = requestFn({
        protocol: url.protocol,
        hostname: bareHost(url),
        port: defaultPort(url),
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        lookup,
        signal,
        // One connection per request: no pooled socket to a previously checked address is reused elsewhere.
        agent: false,
      })
      req.once('response', resolve)
      req.once('error', reject)
      req.end(body)
    })
  }

  async function readBody(res: IncomingMessage, limit: number, url: URL, what: string): Promise<Buffer> {
    const declared = Number(res.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      res.destroy()
      throw new OutboundError('too-large', `${what} (${shown(url)}) is larger than ${limit} bytes.`)
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of res) {
      const buffer = chunk as Buffer
      size += buffer.byteLength
      if (size > limit) {
        res.destroy()
        throw new OutboundError('too-large', `${what} (${shown(url)}) is larger than ${limit} bytes.`)
      }
      chunks.push(buffer)
    }
    return Buffer.concat(chunks)
  }

  async function run(raw: string, request: OutboundRequest, readTheBody: boolean): Promise<BodyResult> {
    const what = request.purpose ?? 'the address'
    if (!options.enabled) {
      throw new OutboundError('disabled', `${what} was not fetched: outbound requests are turned off (STARPUNK_FETCH_ENABLED=false).`)
    }
    const timeoutMs = request.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const maxBodyBytes = request.maxBodyBytes ?? options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    const maxRedirects = request.maxRedirects ?? options.maxRedirects ?? DEFAULT_MAX_REDIRECTS
    let url = parseHttpUrl(raw, what)
    const first = url
    // One deadline for everything: resolving, connecting, every redirect and the body.
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    const timedOut = (err: unknown) =>
      new OutboundError('timeout', `${what} (${shown(first)}) did not answer within ${Math.max(1, Math.round(timeoutMs / 1000))} s.`, err)
    let method = request.method ?? 'GET'
    let body = request.body
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value
    headers['user-agent'] = userAgent()
    // We do not decompress: ask for the body as it is, so the size limit counts real bytes.
    headers['accept-encoding'] = 'identity'
    const redirects: string[] = []
    try {
      const refused = await withDeadline(refusedTargets(request.refuseOrigins ?? []), controller.signal)
      for (;;) {
        const target = await withDeadline(check(url, request, refused), controller.signal)
        if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
        else delete headers['content-length']
        let res: IncomingMessage
        try {
          res = await send(url, target, method, headers, body, controller.signal)
        } catch (err) {
          if (controller.signal.aborted) throw timedOut(err)
          throw new OutboundError('unreachable', `${what} (${shown(url)}) could not be reached.`, err)
        }
        const status = res.statusCode ?? 0
        const location = res.headers.location
        if (REDIRECT_STATUSES.has(status) && location && maxRedirects > 0) {
          // A redirect's body is never read (the connection is not reused either).
          res.destroy()
          if (redirects.length >= maxRedirects) throw new OutboundError('too-many-redirects', `${what} (${shown(first)}) redirected more than ${maxRedirects} times.`)
          let next: URL
          try {
            next = parseHttpUrl(new URL(location, url).href, what)
          } catch (err) {
            throw new OutboundError('bad-redirect', `${what} (${shown(url)}) redirected to an address StarPunk does not follow.`, err)
          }
          redirects.push(url.href)
          if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name]
          // As browsers do: 303 always, and 301/302 after a POST, continue as a GET without the body.
          if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
            method = 'GET'
            body = undefined
            delete headers['content-type']
          }
          url = next
          continue
        }
        const head: OutboundHead = { status, url: url.href, headers: toHeaders(res), redirects }
        if (!readTheBody || method === 'HEAD') {
          res.destroy()
          return { head, body: null }
        }
        try {
          return { head, body: await readBody(res, maxBodyBytes, url, what) }
        } catch (err) {
          if (err instanceof OutboundError) throw err
          if (controller.signal.aborted) throw timedOut(err)
          throw new OutboundError('unreachable', `${what} (${shown(url)}) stopped answering mid-way.`, err)
        }
      }
    } catch (err) {
      if (!(err instanceof OutboundError) && controller.signal.aborted) throw timedOut(err)
      if (err instanceof OutboundError && err.reason !== 'disabled') {
        options.logger?.warn('outbound request failed', { reason: err.reason, url: shown(url) })
      }
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    enabled: options.enabled,
    allowPrivate: options.allowPrivate,
    async fetchText(url, request = {}) {
      const { head, body } = await run(url, request, true)
      return { ...head, text: body ? body.toString('utf8') : '' }
    },
    async fetchBytes(url, request = {}) {
      const { head, body } = await run(url, request, true)
      return { ...head, body: body ?? Buffer.alloc(0) }
    },
    async fetchJson(url, request = {}) {
      const { head, body } = await run(url, { ...request, headers: { accept: 'application/json', ...request.headers } }, true)
      try {
        return { ...head, json: JSON.parse(body ? body.toString('utf8') : '') as unknown }
      } catch (err) {
        throw new OutboundError('not-json', `${request.purpose ?? 'the address'} (${shown(new URL(head.url))}) did not answer with JSON.`, err)
      }
    },
    async fetchHead(url, request = {}) {
      return (await run(url, request, false)).head
    },
    async checkTarget(raw, request = {}) {
      const what = request.purpose ?? 'the address'
      if (!options.enabled) throw new OutboundError('disabled', `${what} was not fetched: outbound requests are turned off (STARPUNK_FETCH_ENABLED=false).`)
      return check(parseHttpUrl(raw, what), request)
    },
  }
}

/** Resolving is not cancellable: race it against the deadline so a hung resolver still times out. */
function withDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err instanceof Error ? err : new Error(String(err)))
      },
    )
  })
}

function toHeaders(res: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) {
      try {
        headers.append(name, one)
      } catch {
        // A header value WHATWG Headers cannot hold (e.g. raw control bytes) is dropped.
      }
    }
  }
  return headers
}
