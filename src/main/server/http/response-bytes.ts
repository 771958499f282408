import type { Response } from 'express'

/**
 * Count the body bytes a response writes (streamed responses have no Content-Length). Wraps res.write and
 * res.end once; every later call sees the same count. Only the first two arguments of the many overloads are
 * looked at; everything is passed through unchanged.
 */
export function responseBytes(res: Response): () => number {
  const existing = (res.locals as { responseBytes?: () => number }).responseBytes
  if (existing) return existing
  let bytes = 0
  const write = res.write.bind(res) as (...args: unknown[]) => boolean
  const end = res.end.bind(res) as (...args: unknown[]) => Response
  const count = (chunk: unknown, encoding: unknown): void => {
    if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength
  }
  res.write = function (chunk: unknown, encoding?: unknown, cb?: unknown) {
    count(chunk, encoding)
    return write(chunk, encoding, cb)
  } as Response['write']
  res.end = function (chunk?: unknown, encoding?: unknown, cb?: unknown) {
    if (typeof chunk !== 'function') count(chunk, encoding)
    return end(chunk, encoding, cb)
  } as Response['end']
  const read = (): number => bytes
  ;(res.locals as { responseBytes?: () => number }).responseBytes = read
  return read
}
