import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { LogEntry, LogLevel } from '../../../shared/contract'
import { createLogging, DEFAULT_BUFFER_CAPACITY, RingBuffer, LOG_FILE_NAME } from './logging'
import { acceptRequestId, parseTraceparent } from './http'
import { REDACTED, formatHuman, isSecretName } from './format'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'starpunk-log-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const base = (): { logLevel: LogLevel; logFormat: 'json' | 'human'; logDir: string } => ({ logLevel: 'INFO', logFormat: 'json', logDir: join(dir, 'logs') })

function capture(overrides: Partial<ReturnType<typeof base>> = {}, options: Parameters<typeof createLogging>[1] = {}) {
  const lines: string[] = []
  const logging = createLogging({ ...base(), ...overrides }, { write: (l) => lines.push(l), ...options })
  return { logging, lines, parsed: () => lines.map((l) => JSON.parse(l) as LogEntry) }
}

describe('levels', () => {
  it('writes at and above the threshold only, and setLevel changes it at run time', () => {
    const { logging, parsed } = capture({ logLevel: 'WARNING' })
    const log = logging.logger
    log.debug('d')
    log.info('i')
    log.warn('w')
    log.error('e')
    log.critical('c')
    expect(parsed().map((e) => e.level)).toEqual(['WARNING', 'ERROR', 'CRITICAL'])
    expect(log.isLevelEnabled('INFO')).toBe(false)
    logging.setLevel('DEBUG')
    log.debug('now')
    expect(parsed().at(-1)).toMatchObject({ level: 'DEBUG', msg: 'now' })
    logging.setLevel('OFF')
    log.critical('silent')
    expect(parsed().at(-1)?.msg).toBe('now')
  })

  it('numbers lines and carries child bindings', () => {
    const { logging, parsed } = capture()
    logging.logger.child({ component: 'db' }).child({ table: 'notes' }).info('migrated', { n: 1 })
    logging.logger.info('plain')
    const [first, second] = parsed()
    expect(first).toMatchObject({ msg: 'migrated', fields: { component: 'db', table: 'notes', n: 1 } })
    expect(second?.seq).toBe((first?.seq ?? 0) + 1)
    expect(second?.fields).toBeUndefined()
  })
})

describe('request context', () => {
  it('every line inside runWithRequest carries the request ID and trace id, also after an await', async () => {
    const { logging, parsed } = capture()
    await logging.runWithRequest({ requestId: 'req-1', traceId: 'a'.repeat(32) }, async () => {
      logging.logger.info('before')
      // Across a macrotask, not just a microtask.
      await new Promise((r) => setImmediate(r))
      logging.logger.child({ component: 'notes' }).info('after')
    })
    logging.logger.info('outside')
    const [before, after, outside] = parsed()
    expect(before).toMatchObject({ requestId: 'req-1', fields: { traceId: 'a'.repeat(32) } })
    expect(after).toMatchObject({ requestId: 'req-1', fields: { component: 'notes' } })
    expect(outside?.requestId).toBeUndefined()
  })
})

describe('redaction', () => {
  it('removes secret-named fields at any depth and credentials in text', () => {
    const secret = 'S3cr3t-session-value-0123456789abcdef'
    const { logging, lines } = capture({}, { secrets: [secret] })
    logging.logger.info('login with Bearer abc.def-ghi', {
      headers: { Authorization: 'Bearer xyz123', cookie: 'sid=1', 'X-Health-Token': 'tok' },
      body: { nested: [{ password: 'pw1', access_token: 'at1', code_verifier: 'cv1', client_secret: 'cs1' }] },
      note: `the secret is ${secret}`,
      refreshToken: 'rt1',
      sessionSecret: 'ss1',
      ok: 'visible',
    })
    const line = lines[0] ?? ''
    for (const leaked of ['xyz123', 'sid=1', 'tok"', 'pw1', 'at1', 'cv1', 'cs1', secret, 'rt1', 'ss1', 'abc.def-ghi']) {
      expect(line, leaked).not.toContain(leaked)
    }
    expect(line).toContain('visible')
    const entry = JSON.parse(line) as LogEntry
    expect((entry.fields?.headers as Record<string, unknown>).Authorization).toBe(REDACTED)
    expect(entry.msg).toBe(`login with Bearer ${REDACTED}`)
  })

  it('keeps names that are about a secret rather than holding one', () => {
    for (const name of ['token', 'access_token', 'refreshToken', 'X-Health-Token', 'set-cookie', 'Authorization', 'client_secret', 'password', 'sessionId', 'code_verifier']) {
      expect(isSecretName(name), name).toBe(true)
    }
    for (const name of ['tokenEndpoint', 'token_endpoint', 'authorizationUrl', 'tokenCount', 'tokenExpiresAt', 'redirect_uri', 'scope', 'sessions', 'sessionTimeoutSeconds', 'method']) {
      expect(isSecretName(name), name).toBe(false)
    }
  })

  it('never mutates the caller\'s objects while redacting', () => {
    const { logging, lines } = capture()
    const fields = { password: 'pw', nested: { token: 'tk', keep: 1 } }
    logging.logger.child({ secret: 'bound' }).info('x', fields)
    expect(fields).toEqual({ password: 'pw', nested: { token: 'tk', keep: 1 } })
    expect(lines[0]).not.toMatch(/pw|tk|bound/)
  })

  it('serialises errors with their stack, and survives cycles and deep nesting', () => {
    const { logging, parsed } = capture()
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    logging.logger.error('failed', { err: new Error('boom'), cyclic })
    const fields = parsed()[0]?.fields as { err: { type: string; message: string; stack: string } }
    expect(fields.err.type).toBe('Error')
    expect(fields.err.message).toBe('boom')
    expect(fields.err.stack).toContain('logging.test.ts')
    expect(JSON.stringify(fields)).toContain('[Truncated]')
  })
})

describe('human format', () => {
  it('is readable and CR/LF or ANSI from user input cannot forge a line', () => {
    const { logging, lines } = capture({}, { writeFormat: 'human' })
    logging.runWithRequest({ requestId: 'r1' }, () => {
      logging.logger.warn('search for "x"\n2026-01-01T00:00:00.000Z CRITICAL forged', { q: 'a\r\nCRITICAL fake\u001b[31m', n: 3, word: 'plain' })
    })
    const line = lines[0] ?? ''
    expect(line.split('\n')).toHaveLength(1)
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z WARNING +\[r1\] search for "x"\\n2026/)
    expect(line).toContain('q="a\\r\\nCRITICAL fake\\u001b[31m"')
    expect(line).toContain('n=3 word=plain')
    expect(line).not.toContain('\u001b')
  })

  it('puts a stack on indented continuation lines only', () => {
    const entry: LogEntry = { seq: 1, boot: 'b1', time: '2026-01-01T00:00:00.000Z', level: 'ERROR', msg: 'x', fields: { stack: 'Error: a\nb\n    at f (file.ts:1:1)' } }
    const physical = formatHuman(entry).split('\n')
    expect(physical[0]).toBe('2026-01-01T00:00:00.000Z ERROR    x')
    for (const line of physical.slice(1)) expect(line.startsWith('    ')).toBe(true)
  })
})

describe('ring buffer', () => {
  it('is bounded, counts what it dropped, and serves recent entries after a seq', () => {
    const buffer = new RingBuffer(3)
    for (let seq = 1; seq <= 5; seq++) buffer.push({ seq, boot: 'b1', time: '', level: 'INFO', msg: String(seq) })
    expect(buffer.dropped).toBe(2)
    expect(buffer.recent().map((e) => e.seq)).toEqual([3, 4, 5])
    expect(buffer.recent(2).map((e) => e.seq)).toEqual([4, 5])
    expect(buffer.recent(10, 3).map((e) => e.seq)).toEqual([4, 5])
    expect(buffer.recent(10, 5)).toEqual([])
  })

  it('is bounded by default (the console stream, not the archive)', () => {
    const { logging } = capture()
    expect(logging.buffer.capacity).toBe(DEFAULT_BUFFER_CAPACITY)
    for (let i = 0; i < DEFAULT_BUFFER_CAPACITY + 500; i++) logging.logger.info('n', { i })
    expect(logging.buffer.recent()).toHaveLength(DEFAULT_BUFFER_CAPACITY)
    expect(logging.buffer.dropped).toBe(500)
    expect(logging.buffer.recent(1)[0]?.fields?.i).toBe(DEFAULT_BUFFER_CAPACITY + 499)
  })

  it('subscribe delivers new entries until unsubscribed; a throwing listener breaks nothing', () => {
    const { logging, lines } = capture({}, { bufferCapacity: 10 })
    const seen: string[] = []
    logging.buffer.subscribe(() => {
      throw new Error('bad listener')
    })
    const unsubscribe = logging.buffer.subscribe((e) => seen.push(e.msg))
    logging.logger.info('one')
    unsubscribe()
    logging.logger.info('two')
    expect(seen).toEqual(['one'])
    expect(lines).toHaveLength(2)
    expect(logging.buffer.recent().map((e) => e.msg)).toEqual(['one', 'two'])
  })
})

describe('files', () => {
  it('writes JSON lines to the log dir and rotates by size, keeping a bounded number of generations', async () => {
    const console: string[] = []
    const logging = createLogging(
      { ...base(), logFormat: 'human', logFiles: { enabled: true, maxBytes: 2_000, count: 3 } },
      { stdout: { write: (s: string) => console.push(s) } },
    )
    for (let i = 0; i < 200; i++) {
      logging.logger.info('line', { i, pad: 'x'.repeat(50) })
      // Let the batcher flush (its setImmediate runs before ours), so the file grows and rotates between bursts.
      if (i % 20 === 0) await new Promise((r) => setImmediate(r))
    }
    await logging.close()
    const files = readdirSync(join(dir, 'logs')).filter((f) => f.startsWith(LOG_FILE_NAME))
    expect(files).toContain(LOG_FILE_NAME)
    expect(files.length).toBeGreaterThan(1)
    expect(files.length).toBeLessThanOrEqual(4)
    for (const f of files) expect(f).toMatch(/^starpunk\.log(\.[1-3])?$/)
    // Every line is somewhere, whole, exactly once (rotation can leave the current file empty).
    const all = files.flatMap((f) => readFileSync(join(dir, 'logs', f), 'utf8').split('\n').filter(Boolean))
    const seen = all.map((l) => (JSON.parse(l) as LogEntry).fields?.i as number)
    expect(seen.length).toBeLessThanOrEqual(200)
    expect(seen).toContain(199)
    expect(new Set(seen).size).toBe(seen.length)
    const consoleLines = console.join('').split('\n').filter(Boolean)
    expect(consoleLines).toHaveLength(200)
    expect(consoleLines[0]).toMatch(/INFO +line i=0/)
  })

  it('can be turned off', async () => {
    const logging = createLogging({ ...base(), logFiles: { enabled: false, maxBytes: 1e6, count: 2 } }, { console: false })
    logging.logger.info('nowhere')
    await logging.close()
    expect(logging.filePath).toBeNull()
    expect(() => readdirSync(join(dir, 'logs'))).toThrow()
    expect(logging.buffer.recent()).toHaveLength(1)
  })
})

describe('request headers', () => {
  it('accepts sane X-Request-IDs only', () => {
    expect(acceptRequestId('abc-123_DEF.4')).toBe('abc-123_DEF.4')
    expect(acceptRequestId('a'.repeat(128))).toBe('a'.repeat(128))
    for (const bad of ['', 'a'.repeat(129), 'has space', 'new\nline', '<script>', 'ümlaut', undefined]) expect(acceptRequestId(bad)).toBeNull()
  })

  it('validates traceparent per W3C Trace Context', () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736'
    expect(parseTraceparent(`00-${trace}-00f067aa0ba902b7-01`)).toBe(trace)
    expect(parseTraceparent(`01-${trace}-00f067aa0ba902b7-01-extra`)).toBe(trace)
    for (const bad of [
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${trace}-${'0'.repeat(16)}-01`,
      `ff-${trace}-00f067aa0ba902b7-01`,
      `00-${trace.toUpperCase()}-00f067aa0ba902b7-01`,
      `00-${trace}-00f067aa0ba902b7-01-extra`,
      `00-${trace.slice(1)}-00f067aa0ba902b7-01`,
      'garbage',
    ]) {
      expect(parseTraceparent(bad), bad).toBeNull()
    }
  })
})

describe('console batching', () => {
  it('writes a quiet line at the end of its turn, and a burst at most once per 10 ms, losing and reordering nothing', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance', 'Date'] })
    const writes: string[] = []
    const logging = createLogging({ ...base(), logFiles: { enabled: false, maxBytes: 1 << 20, count: 1 } }, { stdout: { write: (chunk) => writes.push(chunk) } })
    try {
      logging.logger.info('quiet line')
      expect(writes).toHaveLength(0) // not inside the turn that logged it
      vi.advanceTimersByTime(0)
      expect(writes).toHaveLength(1)
      // A burst right after that write: held until 10 ms after it, then written in one call.
      for (let i = 0; i < 50; i++) {
        logging.logger.info(`burst ${i}`)
        vi.advanceTimersByTime(0)
      }
      expect(writes).toHaveLength(1)
      vi.advanceTimersByTime(10)
      expect(writes).toHaveLength(2)
      const lines = writes.join('').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as LogEntry).msg)
      expect(lines).toEqual(['quiet line', ...Array.from({ length: 50 }, (_, i) => `burst ${i}`)])
      // flush() hands over what waits at once (a forced exit).
      logging.logger.info('last words')
      logging.flush()
      expect(writes.at(-1)).toContain('last words')
    } finally {
      void logging.close()
      vi.useRealTimers()
    }
  })
})
