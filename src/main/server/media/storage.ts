/**
 * The media directory as storage that can break under us: deleted, replaced by a file, made read-only,
 * or full. Uploads recreate a missing directory; anything else becomes MEDIA_STORAGE_UNAVAILABLE (503), a
 * clear answer that names the errno code and never the path.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ComponentCheck } from '../component-check'
import { appError, type AppError } from '../errors'
import { errnoCode, mkdirFailure } from '../errors/errno'
import type { Logger } from '../logging'

/** errno codes that mean "the storage cannot take this file", as opposed to a bug or a bad upload. */
const STORAGE_CODES = new Set(['ENOENT', 'ENOTDIR', 'EEXIST', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EBUSY'])

/** A media dir problem a person can act on, in words (the code goes alongside). */
const REASONS: Record<string, string> = {
  ENOENT: 'is missing',
  ENOTDIR: 'is not a directory',
  EISDIR: 'is not usable',
  EACCES: 'is not writable (permission denied)',
  EPERM: 'is not writable (permission denied)',
  EROFS: 'is on a read-only disk',
  ENOSPC: 'is on a full disk',
  EDQUOT: 'is over its disk quota',
}

/** How long a client should wait before retrying: a broken directory needs a person, not a moment. */
export const MEDIA_RETRY_AFTER_SECONDS = '60'

/** True when `err` is a file system failure of the media storage (not a bug, not a bad upload). */
export function isStorageError(err: unknown): boolean {
  const code = errnoCode(err)
  return code !== undefined && STORAGE_CODES.has(code)
}

/** The 503 a client sees for a storage failure: the code and a reason, no path. */
export function mediaStorageError(err: unknown): AppError {
  const code = errnoCode(err) ?? 'ERROR'
  return appError('MEDIA_STORAGE_UNAVAILABLE', {
    vars: { reason: REASONS[code] ?? 'is not usable', code },
    headers: { 'Retry-After': MEDIA_RETRY_AFTER_SECONDS },
    cause: err,
  })
}

/**
 * mkdir -p the media directory. Resolves true when it had to be created (it was deleted while running);
 * throws MEDIA_STORAGE_UNAVAILABLE when something else is in its place or the disk refuses.
 */
export async function ensureMediaDir(dir: string, logger: Logger): Promise<boolean> {
  let created: string | undefined
  try {
    created = await mkdir(dir, { recursive: true })
  } catch (err) {
    // Logged once, with its errno code, by the error handler that answers the request (the cause).
    throw mediaStorageError(mkdirFailure(err))
  }
  if (created !== undefined) logger.warn('media directory was missing; created it again')
  return created !== undefined
}

/**
 * The `media` readiness component: the media directory exists (a missing one is created again, which is a
 * pass: uploads would do the same), is a directory, and really takes a write and a delete (mkdir -p refuses
 * a file in its place, and so would the probe's write, with ENOTDIR). Register it as
 * optional: readers are served without it, so a failure shows as `warn` at the top level.
 */
export function mediaDirCheck(dir: string, logger: Logger): ComponentCheck {
  return async () => {
    const time = new Date().toISOString()
    const probe = join(dir, `.health-probe-${process.pid}-${randomBytes(4).toString('hex')}`)
    try {
      const recreated = await ensureMediaDir(dir, logger)
      await writeFile(probe, 'ok', { flag: 'wx' })
      await unlink(probe)
      return {
        'media:writable': [
          { componentType: 'system', observedValue: true, status: 'pass', time, ...(recreated ? { output: 'The media directory was missing and has been created again.' } : {}) },
        ],
      }
    } catch (err) {
      await unlink(probe).catch(() => undefined)
      const cause = (err as { cause?: unknown }).cause ?? err
      const code = errnoCode(cause) ?? 'ERROR'
      return {
        'media:writable': [
          {
            componentType: 'system',
            observedValue: false,
            status: 'fail',
            time,
            output:
              `The media directory ${REASONS[code] ?? 'is not usable'} (${code}): uploads fail, everything else works. ` +
              'Make <data dir>/media a directory writable by the user running StarPunk; uploads resume by themselves.',
          },
        ],
      }
    }
  }
}
