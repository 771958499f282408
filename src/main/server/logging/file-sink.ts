/**
 * Size-rotated log files, logrotate style: `starpunk.log` is current, `starpunk.log.1` the newest rotated,
 * up to `starpunk.log.<count>`. Writes are synchronous appends of already-batched chunks (one call per
 * event-loop turn): a line is on disk before the turn ends, so a crash loses nothing already logged.
 * Measured faster here than rotating-file-stream's async stream (docs/performance.md, Logging).
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface RotatingFileOptions {
  dir: string
  fileName: string
  /** Rotate once the current file reaches this many bytes. */
  maxBytes: number
  /** Rotated generations kept (besides the current file). */
  count: number
  /** Told once when the file cannot be written (the sink then stops writing). */
  onError: (err: NodeJS.ErrnoException) => void
}

export interface RotatingFile {
  readonly path: string
  write(chunk: string): void
  close(): void
}

export function openRotatingFile(options: RotatingFileOptions): RotatingFile {
  const path = join(options.dir, options.fileName)
  mkdirSync(options.dir, { recursive: true })
  let fd: number | null = openSync(path, 'a', 0o640)
  let size = fstatSync(fd).size
  let failed = false

  const fail = (err: unknown): void => {
    if (failed) return
    failed = true
    if (fd !== null) {
      try {
        closeSync(fd)
      } catch {
        // Already unusable.
      }
      fd = null
    }
    options.onError(err as NodeJS.ErrnoException)
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
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    renameSync(path, `${path}.1`)
    fd = openSync(path, 'a', 0o640)
    size = 0
  }

  return {
    path,
    write(chunk) {
      if (fd === null || failed) return
      try {
        const buffer = Buffer.from(chunk, 'utf8')
        let offset = 0
        while (offset < buffer.length) offset += writeSync(fd, buffer, offset)
        size += buffer.length
        if (size >= options.maxBytes) rotate()
      } catch (err) {
        fail(err)
      }
    },
    close() {
      if (fd === null) return
      try {
        closeSync(fd)
      } catch {
        // Closing twice or on a vanished disk: nothing left to save.
      }
      fd = null
    },
  }
}
