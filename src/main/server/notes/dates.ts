// Dates people and clients give us. Date.parse is not used: it takes "1" for 2001-01-01 and rolls
// "2024-02-30" over to March 1. Parsing here is strict and checks the calendar.

/** RFC 3339 §5.6 date-time; `t`/`z` and a space for the `T` are allowed (its §5.6 note). */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one (setUTCFullYear keeps years 0–99 as given).
  const date = new Date(0)
  date.setUTCFullYear(year, month, 0)
  return date.getUTCDate()
}

/** Midnight UTC of a calendar date, or null when there is no such day. */
function utcDay(year: number, month: number, day: number): Date | null {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  return date
}

/**
 * An RFC 3339 date-time with its time zone (`2024-05-01T09:30:00Z`, `2024-05-01T11:30:00.250+02:00`), or
 * null for anything else, impossible dates and times included. A leap second (`:60`) is refused: a
 * JavaScript date cannot hold one. Fractions beyond milliseconds are dropped.
 */
export function parseRfc3339(text: string): Date | null {
  const match = DATE_TIME.exec(text)
  if (!match) return null
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = match
  const date = utcDay(Number(y), Number(mo), Number(d))
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)]
  if (!date || hour > 23 || minute > 59 || second > 59) return null
  let offsetMinutes = 0
  if (!zulu) {
    if (Number(oh) > 23 || Number(om) > 59) return null
    offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om))
  }
  const ms = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0
  date.setUTCHours(hour, minute - offsetMinutes, second, ms)
  return date
}

/**
 * A date-only `YYYY-MM-DD` (taken as midnight UTC) or an RFC 3339 date-time: what hand-written front
 * matter of an imported note may hold. Null for anything else, impossible dates included.
 */
export function parseDateOrDateTime(text: string): Date | null {
  const match = DATE_ONLY.exec(text)
  if (match) return utcDay(Number(match[1]), Number(match[2]), Number(match[3]))
  return parseRfc3339(text)
}
