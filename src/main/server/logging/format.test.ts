import { describe, expect, it } from 'vitest'
import type { LogEntry } from '../../../shared/contract'
import { formatHuman, formatHumanAccess, formatJson, formatJsonAccess, type AccessLineFields } from './format'

const paths = ['/', '/notes/a-note', '/tags/caf\u00e9', '/search"quoted"', '/back\\slash', '/new\nline\r\u001b[31m', '/\u2028sep', '/emoji\u{1F600}', '/lone\ud800surrogate']
const variants: AccessLineFields[] = [
  ...paths.map((path, i) => ({ method: i % 2 ? 'HEAD' : 'GET', path, status: 200 + i, durationMs: i * 1.37, bytes: i * 1000 })),
  { method: 'GET', path: '/feed.rss', status: 499, durationMs: 12.5, bytes: 0, aborted: true },
  { method: 'POST', path: '/micropub', status: 503, durationMs: Number.NaN, bytes: Number.POSITIVE_INFINITY, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' },
  { method: 'G"E\nT', path: '/x', status: 400, durationMs: -0, bytes: 1, aborted: true, traceId: 'a"b' },
]

function entryOf(fields: AccessLineFields, requestId: string | undefined): LogEntry {
  return { seq: 42, boot: 'bootid', time: '2026-12-01T21:01:43.405Z', level: fields.status >= 500 ? 'WARNING' : 'INFO', msg: 'request', ...(requestId === undefined ? {} : { requestId }), fields: fields as unknown as Record<string, unknown> }
}

describe('access-line formats', () => {
  it('write exactly what the generic formats write, for any path, status, timing and request ID', () => {
    for (const fields of variants) {
      for (const requestId of ['6d973442-739d-4ed7-8f95-3e1a9aa499a4', 'in"bound\n', undefined]) {
        const entry = entryOf({ ...fields }, requestId)
        expect(formatJsonAccess(entry)).toBe(formatJson(entry))
        expect(formatHumanAccess(entry)).toBe(formatHuman(entry))
      }
    }
  })

  it('keep every JSON line parseable and every human line one physical line', () => {
    for (const fields of variants) {
      const entry = entryOf({ ...fields }, 'id')
      const parsed = JSON.parse(formatJsonAccess(entry)) as LogEntry
      expect(parsed.fields?.path).toBe(fields.path)
      expect(formatHumanAccess(entry)).not.toMatch(/[\n\r\u2028]/)
    }
  })
})
