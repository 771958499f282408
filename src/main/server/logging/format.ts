/**
 * Pure helpers of the logger: redaction of secrets in structured fields and messages, and the two line
 * formats. Kept free of I/O so they are cheap to test and to benchmark.
 */
import type { LogEntry } from '../../../shared/contract'
import { errnoCode } from '../errors/errno'

export const REDACTED = '[REDACTED]'

/**
 * Field names whose values never reach a log, compared case-insensitively with `-`/`_` removed, at any
 * depth. Substrings catch variants (access_token, refreshToken, x-health-token, set-cookie, clientSecret).
 */
const SECRET_NAME = /token|secret|passw|authorization|cookie|verifier|apikey|credential|signature|session(id)?$/
/** Names about a secret rather than holding one (tokenEndpoint, tokenCount, authorizationUrl, tokenExpiresAt). */
const ABOUT_A_SECRET = /(endpoint|url|uri|count|scopes?|type|expires(at)?|length|ttl(ms|seconds)?)$/

const nameCache = new Map<string, boolean>()

export function isSecretName(key: string): boolean {
  let hit = nameCache.get(key)
  if (hit === undefined) {
    const name = key.toLowerCase().replace(/[-_]/g, '')
    hit = SECRET_NAME.test(name) && !ABOUT_A_SECRET.test(name)
    if (nameCache.size < 10_000) nameCache.set(key, hit)
  }
  return hit
}

/** `Bearer abc...` or `Basic abc...` anywhere in a string (a header pasted into a message). */
const CREDENTIAL_IN_TEXT = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi

export interface Redactor {
  /** A copy of `value` with secret-named fields and known secret values replaced. */
  value(value: unknown): unknown
  /** Redact the top level of an object the caller owns in place (nested values are copied, never mutated). */
  ownFields(fields: Record<string, unknown>): Record<string, unknown>
  text(text: string): string
}

const MAX_DEPTH = 6
const MAX_STRING = 8_192
const MAX_ARRAY = 100

/** `secrets` are literal values (the session secret, the health token) that are masked wherever they appear. */
export function createRedactor(secrets: readonly string[] = []): Redactor {
  const known = secrets.filter((s) => s.length >= 8)
  const text = (input: string): string => {
    let out = input.length > MAX_STRING ? `${input.slice(0, MAX_STRING)}...[truncated ${input.length - MAX_STRING} chars]` : input
    // Cheap pre-check: most strings hold neither word, and the regex is then skipped.
    if (out.includes('earer') || out.includes('asic')) out = out.replace(CREDENTIAL_IN_TEXT, `$1 ${REDACTED}`)
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED)
    return out
  }
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return text(value)
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'bigint') return value.toString()
      if (typeof value === 'function' || typeof value === 'symbol') return String(value)
      return value
    }
    if (depth >= MAX_DEPTH) return '[Truncated]'
    if (value instanceof Error) {
      const cause = (value as Error & { cause?: unknown }).cause
      const code = errnoCode(value)
      return {
        type: value.name,
        message: text(value.message),
        ...(value.stack ? { stack: text(value.stack) } : {}),
        ...(code ? { code } : {}),
        ...(cause !== undefined ? { cause: walk(cause, depth + 1) } : {}),
      }
    }
    if (value instanceof Date) return value.toISOString()
    if (Array.isArray(value)) {
      const out = value.slice(0, MAX_ARRAY).map((item) => walk(item, depth + 1))
      if (value.length > MAX_ARRAY) out.push(`[${value.length - MAX_ARRAY} more]`)
      return out
    }
    if (value instanceof Map) return walk(Object.fromEntries(value), depth)
    if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) {
      out[key] = isSecretName(key) ? REDACTED : walk((value as Record<string, unknown>)[key], depth + 1)
    }
    return out
  }
  const ownFields = (fields: Record<string, unknown>): Record<string, unknown> => {
    for (const key in fields) {
      const value = fields[key]
      if (isSecretName(key)) fields[key] = REDACTED
      else if (typeof value === 'string') fields[key] = text(value)
      else if (value !== null && typeof value === 'object') fields[key] = walk(value, 1)
      else if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') fields[key] = walk(value, 1)
    }
    return fields
  }
  return { value: (v) => walk(v, 0), text, ownFields }
}

// eslint-disable-next-line no-control-regex -- control characters are what must not reach a log line raw
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

/** Whether text holds a character CONTROL matches: a plain loop, several times cheaper than the regex on the short strings of a log line. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true
  }
  return false
}

/** Make a string safe for one human log line: CR, LF, ESC and friends become visible escapes. */
export function escapeControl(text: string): string {
  if (!hasControl(text)) return text
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    if (c === '\t') return '\\t'
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

/** JSON.stringify(text), without its call for the usual text that needs no escape (printable ASCII, no `"` or `\`). */
function jsonString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(text)
  }
  return `"${text}"`
}

/**
 * The production format: one JSON object per line (JSON escapes every control character). The envelope is
 * built by hand (same keys and order as JSON.stringify(entry)); only msg and fields go through stringify.
 */
export function formatJson(entry: LogEntry): string {
  const line = jsonEnvelope(entry)
  return entry.fields === undefined ? `${line}}` : `${line},"fields":${JSON.stringify(entry.fields)}}`
}

/** A JSON line up to its fields: seq, time, level, msg and the request ID. */
function jsonEnvelope(entry: LogEntry): string {
  const line = `{"seq":${entry.seq},"time":"${entry.time}","level":"${entry.level}","msg":${jsonString(entry.msg)}`
  return entry.requestId === undefined ? line : `${line},"requestId":${jsonString(entry.requestId)}`
}

let isoMs = -1
let isoText = ''

/** ISO 8601 time, computed once per millisecond (toISOString costs about half a microsecond). */
export function isoNow(): string {
  const now = Date.now()
  if (now !== isoMs) {
    isoMs = now
    isoText = new Date(now).toISOString()
  }
  return isoText
}

const BARE = /^[A-Za-z0-9_.:/@+-]+$/

function humanValue(value: unknown): string {
  if (typeof value === 'string') return BARE.test(value) ? value : escapeControl(JSON.stringify(value))
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  // No JSON form: JSON.stringify returns undefined for these.
  if (value === undefined || typeof value === 'symbol' || typeof value === 'function') return escapeControl(String(value))
  return escapeControl(JSON.stringify(value))
}

/** A human line up to its fields: `time LEVEL [request] message`. */
function humanPrefix(entry: LogEntry): string {
  return `${entry.time} ${entry.level.padEnd(8)}${entry.requestId ? ` [${escapeControl(entry.requestId)}]` : ''} ${escapeControl(entry.msg)}`
}

/** The development format: `time LEVEL [request] message key=value ...`, one physical line, always. */
export function formatHuman(entry: LogEntry): string {
  let line = humanPrefix(entry)
  if (entry.fields) {
    for (const key of Object.keys(entry.fields)) {
      const value = entry.fields[key]
      if (value === undefined) continue
      const text = humanValue(value)
      // Stacks are multi-line by nature: keep them, indented, after the line (escaped, so still unforgeable).
      if (key === 'stack' && typeof value === 'string') continue
      line += ` ${escapeControl(key)}=${text}`
    }
    const stack = entry.fields.stack
    if (typeof stack === 'string') line += `\n    ${stack.split('\n').map(escapeControl).join('\n    ')}`
  }
  return line
}

/** The fields of an access line (logging/http.ts builds them), as the two access formatters read them. */
export interface AccessLineFields {
  method: string
  /** The path only: query strings carry one-time tokens and search terms. */
  path: string
  status: number
  durationMs: number
  bytes: number
  aborted?: true
  traceId?: string
}

/** A number as JSON.stringify writes it. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null'
}

/**
 * formatJson for an access line (its fields are an AccessLineFields), character for character: the fields
 * are known, so they are written directly instead of through JSON.stringify and a walk over whatever keys a
 * line has. Once per request, and the generic walk's property reads see every shape of fields in the program
 * (megamorphic).
 */
export function formatJsonAccess(entry: LogEntry): string {
  const f = entry.fields as unknown as AccessLineFields
  let line = `${jsonEnvelope(entry)},"fields":{"method":${jsonString(f.method)},"path":${jsonString(f.path)},"status":${jsonNumber(f.status)},"durationMs":${jsonNumber(f.durationMs)},"bytes":${jsonNumber(f.bytes)}`
  if (f.aborted) line += ',"aborted":true'
  if (f.traceId !== undefined) line += `,"traceId":${jsonString(f.traceId)}`
  return line + '}}'
}

/** formatHuman for an access line, character for character (see formatJsonAccess for why). */
export function formatHumanAccess(entry: LogEntry): string {
  const f = entry.fields as unknown as AccessLineFields
  let line = `${humanPrefix(entry)} method=${humanValue(f.method)} path=${humanValue(f.path)} status=${f.status} durationMs=${f.durationMs} bytes=${f.bytes}`
  if (f.aborted) line += ' aborted=true'
  if (f.traceId !== undefined) line += ` traceId=${humanValue(f.traceId)}`
  return line
}
