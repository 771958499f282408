import { createWriteStream, type WriteStream } from 'node:fs'
import type { Request } from 'express'
import type busboy from 'busboy'
import { appError } from '../errors'
import { mediaStorageError } from './storage'
import type { MediaService } from './types'
import { lazyRequire } from '../lazy'

/** Loaded with the first upload (see lazy/). */
const loadBusboy = lazyRequire<typeof busboy>('busboy')

export interface ReceivedFile {
  field: string
  tempPath: string
  size: number
  /** The client's name for it: informational only, never used for storage. */
  clientName: string
  /** The part's Content-Type as the client gave it: checked against the bytes, never trusted. */
  clientType: string
}

/** busboy says text/plain for a part without a Content-Type: that is no claim at all. */
function declaredTypeOf(mimeType: string | undefined): string {
  return !mimeType || mimeType === 'text/plain' ? '' : mimeType
}

export interface MultipartBody {
  fields: Record<string, string[]>
  files: ReceivedFile[]
}

export interface MultipartLimits {
  maxFileBytes: number
  /** Total bytes of all non-file fields. */
  maxFieldBytes: number
  maxFiles: number
}

/**
 * Stream a multipart/form-data body: files go straight to temp files in the media dir (never held in
 * memory), fields are collected. Over-size files → 413, and every temp file written so far is removed.
 */
export function receiveMultipart(
  req: Request,
  media: MediaService,
  limits: MultipartLimits,
  /** Asked before each chunk of a file is written; an error fails the request (temp files removed). */
  budget?: (bytes: number) => Error | null,
): Promise<MultipartBody> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy
    try {
      parser = loadBusboy()({
        headers: req.headers,
        limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fieldSize: limits.maxFieldBytes, fields: 1000, parts: 1000 + limits.maxFiles },
      })
    } catch (err) {
      reject(appError('MICROPUB_MALFORMED', { vars: { detail: 'the multipart body has no boundary.' }, cause: err }))
      return
    }
    const fields: Record<string, string[]> = {}
    const files: ReceivedFile[] = []
    const pending: Array<Promise<void>> = []
    let fieldBytes = 0
    let failure: Error | null = null
    /** Temp files still being written: once the request fails their parts never end, so close them here. */
    const writing = new Set<WriteStream>()

    const fail = (err: Error) => {
      if (failure) return
      failure = err
      req.unpipe(parser)
      // Without this a part cut off mid-file (client gone, limit hit) never ends, its temp file never closes,
      // and the cleanup below waits for ever, leaving the file behind.
      for (const out of writing) out.destroy()
      // Drain the rest so the client gets our answer instead of a reset connection.
      req.resume()
      void Promise.allSettled(pending).then(() => Promise.all(files.map((f) => media.discard(f.tempPath)))).then(() => reject(err))
    }

    // busboy hands a part whose Content-Disposition has no name over with an undefined name (its types
    // say string): such a part cannot be a property or a file field, so the body is malformed.
    const nameless = () => fail(appError('MICROPUB_MALFORMED', { vars: { detail: 'every multipart part needs a name in its Content-Disposition.' } }))

    parser.on('field', (name: string | undefined, value: string | undefined, info) => {
      if (failure) return
      if (typeof name !== 'string' || typeof value !== 'string') {
        nameless()
        return
      }
      fieldBytes += name.length + value.length
      if (info.valueTruncated || fieldBytes > limits.maxFieldBytes) {
        fail(appError('PAYLOAD_TOO_LARGE', { vars: { limit: `${limits.maxFieldBytes} bytes of fields` } }))
        return
      }
      ;(fields[name] ??= []).push(value)
    })
    parser.on('file', (name: string | undefined, stream, info) => {
      // A body that ends inside this part (no closing boundary) arrives as an 'error' on the part's stream;
      // unheard, that is an uncaught exception that ends the process.
      stream.on('error', (err: Error) => fail(appError('MICROPUB_MALFORMED', { vars: { detail: 'the multipart body ends inside a file.' }, cause: err })))
      if (typeof name !== 'string') nameless()
      if (failure || typeof name !== 'string') {
        stream.resume()
        return
      }
      const tempPath = media.tempPath()
      const file: ReceivedFile = { field: name, tempPath, size: 0, clientName: info.filename ?? '', clientType: declaredTypeOf(info.mimeType) }
      files.push(file)
      stream.on('limit', () => {
        fail(appError('PAYLOAD_TOO_LARGE', { vars: { limit: `${limits.maxFileBytes} bytes per file` } }))
      })
      // The part waits (paused, so busboy holds the body back) until the media directory is known to exist:
      // a deleted one is created again, a broken one answers MEDIA_STORAGE_UNAVAILABLE instead of a 500.
      pending.push(
        media.ensureDir().then(
          () =>
            new Promise<void>((done) => {
              if (failure) {
                stream.resume()
                done()
                return
              }
              const out = createWriteStream(tempPath, { flags: 'wx' })
              writing.add(out)
              out.on('close', () => writing.delete(out))
              // The part failed mid-way: close the temp file so `done` runs and fail() can remove it.
              stream.on('error', () => out.destroy())
              // Registered before pipe(), so a chunk over the budget is refused before it reaches the disk.
              stream.on('data', (chunk: Buffer) => {
                const refused = budget?.(chunk.length)
                if (refused) {
                  fail(refused)
                  return
                }
                file.size += chunk.length
              })
              out.on('close', () => done())
              out.on('error', (err) => {
                // A disk that refuses mid-write (ENOSPC, EACCES...): the request fails, the temp file goes.
                stream.unpipe(out)
                stream.resume()
                fail(mediaStorageError(err))
                done()
              })
              stream.pipe(out)
            }),
          (err: unknown) => {
            stream.resume()
            fail(err instanceof Error ? err : mediaStorageError(err))
          },
        ),
      )
    })
    parser.on('filesLimit', () => fail(appError('MICROPUB_MALFORMED', { vars: { detail: `at most ${limits.maxFiles} files per request.` } })))
    parser.on('fieldsLimit', () => fail(appError('PAYLOAD_TOO_LARGE', { vars: { limit: '1000 fields' } })))
    parser.on('partsLimit', () => fail(appError('PAYLOAD_TOO_LARGE', { vars: { limit: 'parts' } })))
    parser.on('error', (err: Error) => fail(appError('MICROPUB_MALFORMED', { vars: { detail: 'the multipart body is malformed.' }, cause: err })))
    parser.on('close', () => {
      if (failure) return
      void Promise.all(pending).then(() => {
        if (failure) return
        resolve({ fields, files })
      })
    })
    req.on('aborted', () => fail(appError('BAD_REQUEST', { vars: { detail: 'the client stopped sending the body.' } })))
    req.pipe(parser)
  })
}
