/**
 * Size-rotated log files, logrotate style: `starpunk.log` is current, `starpunk.log.1` the newest rotated,
 * up to `starpunk.log.<count>`. Writes are synchronous appends of already-batched chunks (logging.ts: a
 * turn's lines, or under load up to 10 ms of them), so a crash loses at most the batch not yet handed over.
 * Measured faster here than rotating-file-stream's async stream (docs/performance.md, Logging).
 *
 * A log directory that cannot be used (missing permissions, a file in its place, a full disk) never stops
 * the server: the sink goes into a failed state, and the next write at least `retryIntervalMs` after the
 * last attempt tries again (mkdir -p + open). No timer: nothing keeps the process alive or spins.
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { errnoCode, mkdirFailure } from '../errors/errno'

/** How often, at most, a failed sink tries to reopen its file (on the next write after this long). */
export const DEFAULT_RETRY_INTERVAL_MS = 1_000

export interface RotatingFileOptions {
  dir: string
  fileName: string
  /** Rotate once the current file reaches this many bytes. */
  maxBytes: number
  /** Rotated generations kept (besides the current file). */
  count: number
  /** Told once each time the file goes from usable to unusable (at open or on a write). */
  onError: (err: NodeJS.ErrnoException) => void
  /** Told once each time the file becomes usable again after a failure. */
  onResume?: () => void
  /** Minimum time between reopen attempts while failed. Default DEFAULT_RETRY_INTERVAL_MS. */
  retryIntervalMs?: number
  /** Clock (tests). */
  now?: () => number
}

/** Whether the log file is being written, and if not, why (an errno code, never a path) and since when. */
export interface LogFileStatus {
  ok: boolean
  /** The errno code of the failure (ENOTDIR, EACCES, ENOSPC...), when failed. */
  code?: string
  /** ISO time the file last changed state (failed, or resumed). */
  since?: string
}

export interface RotatingFile {
  readonly path: string
  /** Append chunk at once (a Buffer is written before the call returns, so it may be reused afterwards). */
  write(chunk: string | Buffer): void
  /** The current state, without touching the disk. */
  status(): LogFileStatus
  /**
   * Look at the disk now (readiness): when failed, try to reopen at once (not paced); when open, check the
   * path still leads to the open file (a deleted or moved-away file would swallow lines) and reopen if not.
   */
  recheck(): LogFileStatus
  close(): void
}

/** mkdir -p, saying ENOTDIR (not mkdir's EEXIST) when a file sits where the directory should be. */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true })
  } catch (err) {
    throw mkdirFailure(err)
  }
}

/** Never throws: a directory that cannot be used at start is a failed sink that retries, not a crash. */
export function openRotatingFile(options: RotatingFileOptions): RotatingFile {
  const path = join(options.dir, options.fileName)
  const now = options.now ?? Date.now
  const retryIntervalMs = options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS
  let fd: number | null = null
  let size = 0
  let closed = false
  let failure: { code: string; since: string } | null = null
  let resumedAt: string | undefined
  let lastAttempt = 0

  const dropFd = (): void => {
    if (fd === null) return
    try {
      closeSync(fd)
    } catch {
      // Already unusable.
    }
    fd = null
  }

  const fail = (err: unknown): void => {
    dropFd()
    if (failure) {
      // Still failed: keep `since` and stay quiet, but report the latest cause.
      failure.code = errnoCode(err) ?? 'ERROR'
      return
    }
    failure = { code: errnoCode(err) ?? 'ERROR', since: new Date(now()).toISOString() }
    options.onError(err as NodeJS.ErrnoException)
  }

  const resumed = (): void => {
    if (!failure) return
    failure = null
    resumedAt = new Date(now()).toISOString()
    options.onResume?.()
  }

  /** mkdir -p + open for append. True when the file is open afterwards (not yet "resumed": see write). */
  const open = (): boolean => {
    lastAttempt = now()
    try {
      makeDir(options.dir)
      const opened = openSync(path, 'a', 0o640)
      try {
        size = fstatSync(opened).size
      } catch (err) {
        closeSync(opened)
        throw err
      }
      fd = opened
      return true
    } catch (err) {
      fail(err)
      return false
    }
  }

  const rotate = (): void => {
    if (fd === null) return
    closeSync(fd)
    fd = null
    rmSync(`${path}.${options.count}`, { force: true })
    for (let generation = options.count - 1; generation >= 1; generation--) {
      try {
        renameSync(`${path}.${generation}`, `${path}.${generation + 1}`)
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err
      }
    }
    renameSync(path, `${path}.1`)
    fd = openSync(path, 'a', 0o640)
    size = 0
  }

  const status = (): LogFileStatus =>
    failure ? { ok: false, code: failure.code, since: failure.since } : { ok: true, ...(resumedAt ? { since: resumedAt } : {}) }

  open()

  return {
    path,
    write(chunk) {
      if (closed) return
      // Failed: lines still reach the console and the ring buffer; the file is retried at a bounded pace.
      if (fd === null && (now() - lastAttempt < retryIntervalMs || !open())) return
      try {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
        let offset = 0
        while (offset < buffer.length) offset += writeSync(fd as number, buffer, offset)
        size += buffer.length
        // Resumed only once a line is really on disk: a full disk opens fine and then refuses the write.
        resumed()
        if (size >= options.maxBytes) rotate()
      } catch (err) {
        fail(err)
      }
    },
    status,
    recheck() {
      if (closed) return status()
      if (fd === null) {
        // Readiness asks now, so it is not paced; an open that works is as far as a probe can go without
        // writing a line of its own.
        if (open()) resumed()
        return status()
      }
      try {
        const onDisk = statSync(path)
        const current = fstatSync(fd)
        if (onDisk.ino === current.ino && onDisk.dev === current.dev) return status()
      } catch {
        // The path no longer leads anywhere: reopen below.
      }
      dropFd()
      open()
      return status()
    },
    close() {
      closed = true
      dropFd()
    },
  }
}
