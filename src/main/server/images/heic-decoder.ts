import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { outsideAsar } from '../db'
import { once } from '../lazy'
import { appError } from '../errors'
import type { Logger } from '../logging'
import { HEIC_WORKER_SOURCE } from './heic-worker-source'

/** Bare pixels of a decoded HEIC: RGBA, 8 bits per channel, upright, no colour profile. */
export interface DecodedHeic {
  width: number
  height: number
  rgba: Buffer
}

export interface HeicDecoder {
  /** Decode the primary image of the HEIC/HEIF file at `path`. Throws IMAGE_TOO_LARGE, IMAGE_CORRUPT, IMAGE_TOO_COMPLEX. */
  decode(path: string, maxPixels: number): Promise<DecodedHeic>
  /** Threads started so far. */
  started(): number
  close(): Promise<void>
}

export interface HeicDecoderOptions {
  logger: Logger
  /** A decode running longer is stopped (its thread ended) and fails IMAGE_TOO_COMPLEX. */
  timeoutMs: number
  /**
   * The thread stops after this long without work: WebAssembly memory only grows, so a thread that decoded
   * a 48-megapixel photo would otherwise keep a few hundred MB for the life of the process. Starting one
   * costs ~0.4 s (compiling libheif), paid again only after a quiet spell.
   */
  idleMs?: number
}

const IDLE_MS = 10_000

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { id: number; ok: true; width: number; height: number; data: ArrayBuffer }
  | { id: number; ok: false; reason: 'too-large' | 'corrupt'; width: number; height: number; message: string }

interface Job {
  id: number
  path: string
  maxPixels: number
  resolve: (image: DecodedHeic) => void
  reject: (err: Error) => void
}

export function tooLarge(width: number, height: number, maxPixels: number, frames = 1) {
  return appError('IMAGE_TOO_LARGE', {
    vars: {
      width,
      height: frames > 1 ? `${height} × ${frames} frames` : height,
      megapixels: ((width * height * frames) / 1e6).toFixed(1),
      limit: (maxPixels / 1e6).toFixed(1),
    },
  })
}

/** One thread, one decode at a time (libheif in WebAssembly is single-threaded); callers queue. */
export function createHeicDecoder({ logger, timeoutMs, idleMs = IDLE_MS }: HeicDecoderOptions): HeicDecoder {
  const log = logger.child({ component: 'images' })
  const require = createRequire(import.meta.url)
  // In a packaged app, the unpacked copy (electron-builder.yml, asarUnpack), as for the render thread.
  const workerData = once(() => ({ heicDecodePath: outsideAsar(require.resolve('heic-decode'), existsSync) }))
  const queue: Job[] = []
  let worker: Worker | null = null
  let ready: Promise<void> | null = null
  let current: Job | null = null
  let jobTimer: NodeJS.Timeout | null = null
  let idleTimer: NodeJS.Timeout | null = null
  let started = 0
  let nextId = 1
  let closed = false

  const unavailable = (cause: unknown) => appError('IMAGE_PROCESSING_UNAVAILABLE', { cause })

  function stopThread() {
    const thread = worker
    worker = null
    ready = null
    if (thread) void thread.terminate()
  }

  function spawn(): Promise<void> {
    const thread = new Worker(HEIC_WORKER_SOURCE, { eval: true, workerData: workerData(), stdin: false })
    worker = thread
    started++
    let becameReady = false
    return new Promise<void>((resolve, reject) => {
      thread.on('message', (msg: WorkerMessage) => {
        if ('type' in msg) {
          if (msg.type === 'ready') {
            becameReady = true
            resolve()
          } else reject(new Error(msg.message))
          return
        }
        if (!current || current.id !== msg.id) return
        const job = current
        finish()
        if (msg.ok) job.resolve({ width: msg.width, height: msg.height, rgba: Buffer.from(msg.data) })
        else if (msg.reason === 'too-large') job.reject(tooLarge(msg.width, msg.height, job.maxPixels))
        else job.reject(appError('IMAGE_CORRUPT', { cause: new Error(`HEIC decode failed: ${msg.message}`) }))
      })
      thread.on('error', (err) => {
        log.error('HEIC decoder thread failed', { err })
        if (!becameReady) reject(err)
      })
      thread.on('exit', (code) => {
        if (!becameReady) reject(new Error(`HEIC decoder thread exited with code ${code} before it was ready`))
        // Stopped on purpose (idle, timeout, close): nothing more to do.
        if (worker !== thread) return
        worker = null
        ready = null
        // A thread that dies in the middle of a decode (WebAssembly out of memory, an abort in libheif)
        // was killed by that file.
        if (current && becameReady) {
          const job = current
          finish()
          job.reject(appError('IMAGE_CORRUPT', { cause: new Error(`HEIC decoder thread exited with code ${code}`) }))
        }
      })
      thread.unref()
    })
  }

  function finish() {
    if (jobTimer) clearTimeout(jobTimer)
    jobTimer = null
    current = null
    worker?.unref()
    queueMicrotask(pump)
  }

  function pump() {
    if (current || closed) return
    if (queue.length === 0) {
      if (worker && !idleTimer) {
        idleTimer = setTimeout(() => {
          idleTimer = null
          if (!current && queue.length === 0) stopThread()
        }, idleMs)
        idleTimer.unref()
      }
      return
    }
    if (idleTimer) clearTimeout(idleTimer)
    idleTimer = null
    const job = queue.shift()!
    current = job
    if (!ready) ready = spawn()
    // The thread keeps the process alive while it has work, starting up included (a command-line run has
    // nothing else holding the event loop open).
    worker?.ref()
    ready.then(
      () => {
        if (current !== job || !worker) return
        jobTimer = setTimeout(() => {
          if (current !== job) return
          log.warn('decoding a HEIC took too long; stopped it', { timeoutMs })
          // Drop the stuck thread first so its exit does not fail the job a second time.
          stopThread()
          finish()
          job.reject(appError('IMAGE_TOO_COMPLEX'))
        }, timeoutMs)
        worker.postMessage({ id: job.id, path: job.path, maxPixels: job.maxPixels })
      },
      (err: unknown) => {
        log.error('HEIC decoder thread could not start', { err })
        ready = null
        const failed = [job, ...queue.splice(0)]
        current = null
        for (const waiting of failed) waiting.reject(unavailable(err))
      },
    )
  }

  return {
    decode(path, maxPixels) {
      if (closed) return Promise.reject(unavailable(new Error('HEIC decoder closed')))
      return new Promise<DecodedHeic>((resolve, reject) => {
        queue.push({ id: nextId++, path, maxPixels, resolve, reject })
        pump()
      })
    },
    started: () => started,
    async close() {
      closed = true
      if (idleTimer) clearTimeout(idleTimer)
      for (const job of queue.splice(0)) job.reject(unavailable(new Error('HEIC decoder closed')))
      const thread = worker
      worker = null
      ready = null
      if (current) {
        const job = current
        finish()
        job.reject(unavailable(new Error('HEIC decoder closed')))
      }
      if (thread) await thread.terminate()
    },
  }
}
