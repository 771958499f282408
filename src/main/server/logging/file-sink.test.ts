import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openRotatingFile, type RotatingFileOptions } from './file-sink'
import { createLogging, LOG_FILE_NAME } from './logging'
import { logFileCheck } from './readiness'

let root: string
let logDir: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'starpunk-sink-'))
  logDir = join(root, 'logs')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

/** A sink on a hand-driven clock, counting its notices. */
function sink(overrides: Partial<RotatingFileOptions> = {}) {
  let clock = 1_000_000
  const errors: string[] = []
  let resumes = 0
  const file = openRotatingFile({
    dir: logDir,
    fileName: LOG_FILE_NAME,
    maxBytes: 1_000_000,
    count: 2,
    onError: (err) => errors.push(err.code ?? 'none'),
    onResume: () => resumes++,
    retryIntervalMs: 1_000,
    now: () => clock,
    ...overrides,
  })
  return {
    file,
    errors,
    resumes: () => resumes,
    advance: (ms: number) => {
      clock += ms
    },
  }
}

const logFile = () => join(logDir, LOG_FILE_NAME)
const repair = () => {
  rmSync(logDir, { force: true })
  mkdirSync(logDir)
}

describe('log file sink: a directory that cannot be used', () => {
  it('starts failed (no throw) when a file sits where the directory should be, says so once, reports ENOTDIR', () => {
    writeFileSync(logDir, 'not a directory')
    const s = sink()
    expect(s.file.status()).toMatchObject({ ok: false, code: 'ENOTDIR' })
    expect(s.file.status().since).toMatch(/^\d{4}-\d\d-\d\dT/)
    s.file.write('a\n')
    s.advance(5_000)
    s.file.write('b\n')
    expect(s.errors).toEqual(['ENOTDIR'])
    expect(s.resumes()).toBe(0)
  })

  it('resumes on the first write at least the retry interval after the last attempt, not before', () => {
    writeFileSync(logDir, 'not a directory')
    const s = sink()
    repair()
    s.advance(500)
    s.file.write('too soon\n')
    expect(existsSync(logFile())).toBe(false)
    expect(s.file.status().ok).toBe(false)
    s.advance(500)
    s.file.write('resumed line\n')
    expect(readFileSync(logFile(), 'utf8')).toBe('resumed line\n')
    expect(s.file.status().ok).toBe(true)
    expect(s.resumes()).toBe(1)
    s.file.write('next\n')
    expect(readFileSync(logFile(), 'utf8')).toBe('resumed line\nnext\n')
    expect(s.resumes()).toBe(1)
    s.file.close()
  })

  it('a failed retry waits another interval and stays quiet (one notice per failure, not per attempt)', () => {
    writeFileSync(logDir, 'not a directory')
    const s = sink()
    for (let i = 0; i < 5; i++) {
      s.advance(1_000)
      s.file.write(`still broken ${i}\n`)
    }
    expect(s.errors).toEqual(['ENOTDIR'])
    repair()
    s.advance(1_000)
    s.file.write('back\n')
    expect(readFileSync(logFile(), 'utf8')).toBe('back\n')
    s.file.close()
  })

  it('a write that fails (full disk) fails the sink once; a reopen that opens but cannot write is not "resumed"', () => {
    // /dev/full opens fine and answers every write with ENOSPC: a full disk, for real.
    const s = sink({ dir: '/dev', fileName: 'full' })
    expect(s.file.status().ok).toBe(true)
    s.file.write('lost\n')
    expect(s.file.status()).toMatchObject({ ok: false, code: 'ENOSPC' })
    for (let i = 0; i < 3; i++) {
      s.advance(1_000)
      s.file.write('lost again\n')
    }
    expect(s.errors).toEqual(['ENOSPC'])
    expect(s.resumes()).toBe(0)
    expect(s.file.status().ok).toBe(false)
    s.file.close()
  })

  it('recheck (readiness) retries at once, unpaced, and reopens a log file deleted under it', () => {
    writeFileSync(logDir, 'not a directory')
    const s = sink()
    expect(s.file.recheck().ok).toBe(false)
    repair()
    expect(s.file.recheck().ok).toBe(true)
    expect(s.resumes()).toBe(1)
    s.file.write('one\n')
    // The file is deleted while open: writes would vanish into the unlinked inode until recheck reopens.
    rmSync(logFile())
    expect(s.file.recheck().ok).toBe(true)
    s.file.write('two\n')
    expect(readFileSync(logFile(), 'utf8')).toBe('two\n')
    // The whole directory goes and a file takes its place: recheck reports it.
    rmSync(logDir, { recursive: true })
    writeFileSync(logDir, 'x')
    expect(s.file.recheck()).toMatchObject({ ok: false, code: 'ENOTDIR' })
    expect(s.errors).toEqual(['ENOTDIR', 'ENOTDIR'])
    s.file.close()
  })

  it('after close, writes and rechecks touch nothing', () => {
    const s = sink()
    s.file.close()
    rmSync(logDir, { recursive: true })
    s.advance(10_000)
    s.file.write('after close\n')
    s.file.recheck()
    expect(existsSync(logDir)).toBe(false)
  })
})

describe('logging with a broken log dir', () => {
  it('keeps the console and buffer, says once on stderr when the file fails and once when it resumes, no stack', async () => {
    writeFileSync(logDir, 'not a directory')
    const stderr: string[] = []
    const stdout: string[] = []
    const logging = createLogging(
      { logLevel: 'INFO', logFormat: 'json', logDir },
      { stdout: { write: (s: string) => stdout.push(s) }, stderr: { write: (s: string) => stderr.push(s) }, fileRetryIntervalMs: 0 },
    )
    expect(logging.fileStatus()).toMatchObject({ enabled: true, ok: false, code: 'ENOTDIR' })
    logging.logger.info('while broken')
    logging.flush()
    expect(stdout.join('')).toContain('while broken')
    expect(logging.buffer.recent().map((e) => e.msg)).toContain('while broken')
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(/log file.*\(ENOTDIR\).*resumes by itself/)
    expect(stderr[0]).not.toMatch(/\n\s+at /)

    repair()
    logging.logger.info('after repair')
    logging.flush()
    expect(readFileSync(logFile(), 'utf8')).toContain('after repair')
    expect(logging.fileStatus()).toMatchObject({ enabled: true, ok: true })
    expect(stderr).toHaveLength(2)
    expect(stderr[1]).toMatch(/writable again; file logging resumed/)
    await logging.close()
  })

  it('the logs readiness component fails with the code only (no path), passes after repair, and passes "off" when files are off', async () => {
    writeFileSync(logDir, 'not a directory')
    const logging = createLogging({ logLevel: 'INFO', logFormat: 'json', logDir }, { console: false, stderr: { write: () => true } })
    const check = logFileCheck(logging)
    const broken = (await check())['logs:file']?.[0]
    expect(broken?.status).toBe('fail')
    expect(broken?.output).toMatch(/not writable \(ENOTDIR\).*resumes by itself/)
    expect(broken?.output).not.toContain(root)
    repair()
    // No log line in between: readiness itself retries, so it tells the disk's state now.
    const fixed = (await check())['logs:file']?.[0]
    expect(fixed?.status).toBe('pass')
    logging.logger.info('reaches the file')
    logging.flush()
    expect(readFileSync(logFile(), 'utf8')).toContain('reaches the file')
    await logging.close()

    const off = createLogging({ logLevel: 'INFO', logFormat: 'json', logDir, logFiles: { enabled: false, maxBytes: 1e6, count: 1 } }, { console: false })
    expect(off.fileStatus()).toEqual({ enabled: false, ok: true })
    expect((await logFileCheck(off)())['logs:file']?.[0]).toMatchObject({ status: 'pass', output: 'file logging off' })
  })
})
