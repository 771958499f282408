/**
 * How a raw setting string (an environment variable, or a value in config.json) becomes a typed value, or a
 * reason it cannot. Each reason is one sentence without its subject or trailing period, so a message reads
 * "STARPUNK_PORT is "abc": it <reason>."
 */
import { isIP } from 'node:net'

/** A parsed value, or a reason the raw string is unacceptable (one sentence, no trailing period). */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string }

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value })
const bad = <T>(reason: string): ParseResult<T> => ({ ok: false, reason })

export function integer(min: number, max: number, unit = ''): (raw: string) => ParseResult<number> {
  return (raw) => {
    const text = raw.trim().replace(/_/g, '')
    if (!/^-?\d+$/.test(text)) return bad(`must be a whole number from ${min} to ${max}${unit ? ` ${unit}` : ''}`)
    const value = Number(text)
    if (!Number.isSafeInteger(value) || value < min || value > max) return bad(`must be from ${min} to ${max}${unit ? ` ${unit}` : ''}`)
    return ok(value)
  }
}

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

export function boolean(raw: string): ParseResult<boolean> {
  const text = raw.trim().toLowerCase()
  if (TRUE.has(text)) return ok(true)
  if (FALSE.has(text)) return ok(false)
  return bad('must be true or false (also accepted: 1/0, yes/no, on/off)')
}

export function oneOf<T extends string>(values: readonly T[], aliases: Record<string, T> = {}): (raw: string) => ParseResult<T> {
  return (raw) => {
    const text = raw.trim()
    const match = values.find((v) => v.toLowerCase() === text.toLowerCase()) ?? aliases[text.toLowerCase()]
    return match ? ok(match) : bad(`must be one of ${values.join(', ')}`)
  }
}

/** An absolute http(s) URL without query or fragment; returned without a trailing slash. */
export function httpUrl(raw: string): ParseResult<string> {
  const text = raw.trim()
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return bad('must be an absolute URL such as https://example.com')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('must start with http:// or https://')
  if (url.username || url.password) return bad('must not contain a user name or password')
  if (url.search || url.hash) return bad('must not contain a query (?) or fragment (#)')
  return ok(url.href.replace(/\/+$/, ''))
}

export function nonEmpty(maxLength: number): (raw: string) => ParseResult<string> {
  return (raw) => {
    const text = raw.trim()
    if (!text) return bad('must not be empty')
    if (text.length > maxLength) return bad(`must be at most ${maxLength} characters`)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
    if (/[\u0000-\u001f\u007f]/.test(text)) return bad('must not contain control characters (such as line breaks)')
    return ok(text)
  }
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

export function host(raw: string): ParseResult<string> {
  const text = raw.trim().replace(/^\[(.*)\]$/, '$1')
  if (isIP(text) || HOSTNAME.test(text)) return ok(text)
  return bad('must be an IP address (such as 127.0.0.1 or ::1) or a host name (such as localhost)')
}

/** Names proxy-addr (Express's `trust proxy`) understands besides addresses and ranges. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** IP addresses and CIDR ranges, separated by commas or spaces; empty means none. */
export function proxyList(raw: string): ParseResult<string[]> {
  const items = raw.split(/[\s,]+/).filter(Boolean)
  for (const item of items) {
    if (PROXY_NAMES.has(item.toLowerCase())) continue
    const [address = '', prefix, ...rest] = item.split('/')
    const family = isIP(address)
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32))
    if (!family || !prefixOk || rest.length > 0) {
      return bad(`must list IP addresses or CIDR ranges (such as 127.0.0.1, 10.0.0.0/8 or loopback) separated by commas; ${JSON.stringify(item.slice(0, 60))} is neither`)
    }
  }
  return ok(items.map((item) => (PROXY_NAMES.has(item.toLowerCase()) ? item.toLowerCase() : item)))
}

export function secret(minLength: number): (raw: string) => ParseResult<string> {
  return (raw) => {
    if (raw.length < minLength) return bad(`is too short: at least ${minLength} characters are needed, it has ${raw.length}`)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
    if (/[\u0000-\u001f\u007f]/.test(raw)) return bad('must not contain control characters (such as line breaks)')
    return ok(raw)
  }
}

export function optionalUrl(raw: string): ParseResult<string | null> {
  if (raw.trim() === '') return ok(null)
  return httpUrl(raw)
}

export function optionalText(raw: string): ParseResult<string | null> {
  return ok(raw.trim() === '' ? null : raw.trim())
}

/** Free text (line breaks allowed) of at most maxLength characters; empty means none. */
export function shortText(maxLength: number): (raw: string) => ParseResult<string | null> {
  return (raw) => {
    const text = raw.trim()
    if (text === '') return ok(null)
    if (text.length > maxLength) return bad(`must be at most ${maxLength} characters`)
    // eslint-disable-next-line no-control-regex -- control characters other than line breaks are noise at best
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return bad('must not contain control characters')
    return ok(text.replace(/\r\n?/g, '\n'))
  }
}

/** Absolute http(s) URLs separated by spaces or commas, at most maxItems; empty means none. */
export function urlList(maxItems: number): (raw: string) => ParseResult<string[]> {
  return (raw) => {
    const items = raw.split(/[\s,]+/).filter(Boolean)
    if (items.length > maxItems) return bad(`must list at most ${maxItems} URLs`)
    const urls: string[] = []
    for (const item of items) {
      const parsed = httpUrl(item)
      if (!parsed.ok) return bad(`must list absolute http(s) URLs separated by spaces; ${JSON.stringify(item.slice(0, 60))} ${parsed.reason}`)
      urls.push(parsed.value)
    }
    return ok(urls)
  }
}

/** The site URL when none is configured: the listen address, with wildcard addresses named localhost. */
export function listenUrl(host: string, port: number): string {
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  return `http://${urlHost}:${port}`
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}
