import { appError, type AppError } from '../errors'

export interface UnverifiedUploadLimits {
  /** Uploads read at the same time before their token could be checked. */
  maxConcurrent: number
  /** Temp bytes all of them may hold together. */
  maxBytes: number
}

export interface UploadTicket {
  /** Count bytes about to be written to a temp file: an error instead when they would pass the shared budget. */
  take(bytes: number): AppError | null
  /** Give back the slot and every byte taken; a second call does nothing. */
  release(): void
}

/** How long a refused client should wait before trying again, seconds. */
const RETRY_AFTER_SECONDS = 5

/**
 * A token in a multipart body can only be checked once the whole body has been read, so until then the
 * upload is a stranger's bytes on our disk. This bounds those: a few at a time, and their temp bytes in all.
 * Uploads whose header token was checked first never pass through here.
 */
export class UnverifiedUploadGate {
  private active = 0
  private bytes = 0

  constructor(private readonly limits: UnverifiedUploadLimits) {}

  /** A slot for one upload, or UPLOADS_BUSY (429) when all are taken. */
  enter(): UploadTicket {
    if (this.active >= this.limits.maxConcurrent) {
      throw appError('UPLOADS_BUSY', { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } })
    }
    this.active++
    let taken = 0
    let released = false
    return {
      take: (bytes) => {
        if (this.bytes + bytes > this.limits.maxBytes) {
          return appError('PAYLOAD_TOO_LARGE', {
            vars: { limit: `${this.limits.maxBytes} bytes that uploads with the access token in the body may hold together` },
            suggestion: 'Send the access token in the Authorization header: such uploads are checked first and get the full size limit.',
          })
        }
        this.bytes += bytes
        taken += bytes
        return null
      },
      release: () => {
        if (released) return
        released = true
        this.active--
        this.bytes -= taken
      },
    }
  }

  /** For health and tests: what is in use now. */
  usage(): { active: number; bytes: number } {
    return { active: this.active, bytes: this.bytes }
  }
}
