// Query-string parameters read one way everywhere: Express parses `?a=1&a=2` into an array and `?a[b]=1`
// into an object, so a route that assumes a string would crash or misread.
import { appError } from '../errors'

/** An Express request, or anything else with a parsed query string. */
type WithQuery = { query: Record<string, unknown> }

function badRequest(detail: string) {
  return appError('BAD_REQUEST', { vars: { detail } })
}

/** One string parameter: absent → undefined; repeated or nested values are a 400, not a crash. */
export function stringParam(req: WithQuery, name: string): string | undefined {
  const value = req.query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw badRequest(`${name} must be given once, as text.`)
  return value
}

export interface WholeNumberOptions {
  /** The value when the parameter is absent or empty. */
  fallback: number
  min: number
  max: number
  /** Above `max`: take `max` instead of a 400 (an API limit a client may ask too much of). */
  capAtMax?: boolean
  /** Unreadable or out of range: the fallback instead of a 400 (the admin's own pages forgive a hand-edited URL). */
  lenient?: boolean
}

/** Digits with no sign, fraction or leading zero: one address per page, so caches and links agree. */
const WHOLE_NUMBER = /^(0|[1-9]\d{0,8})$/

/** A whole-number parameter (`?page=2`, `?limit=20`): anything but a whole number in range is a clear 400. */
export function wholeNumberParam(req: WithQuery, name: string, options: WholeNumberOptions): number {
  const { fallback, min, max } = options
  let raw: string | undefined
  try {
    raw = stringParam(req, name)
  } catch (err) {
    if (options.lenient) return fallback
    throw err
  }
  if (raw === undefined || raw === '') return fallback
  const value = WHOLE_NUMBER.test(raw) ? Number(raw) : Number.NaN
  if (value >= min && value <= max) return value
  if (value > max && options.capAtMax) return max
  if (options.lenient) return fallback
  throw badRequest(`${name} must be a whole number from ${min} to ${max}.`)
}
