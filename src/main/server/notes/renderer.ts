import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { outsideAsar } from '../db'
import { appError } from '../errors'
import { once } from '../lazy'
import type { ComponentCheck } from '../component-check'
import type { Logger } from '../logging'
import { NOTE_ALLOW_LIST } from './markdown'
import { RENDER_WORKER_SOURCE } from './render-worker-source'

/**
 * Markdown → sanitised HTML, off the event loop. marked and sanitize-html are linear at best and a note can
 * be hundreds of KiB: on the main thread one large or hostile note would stall every other request. All
 * rendering goes to one worker thread — measured, the main thread spends ~10× less time per ordinary note
 * posting it there than rendering it itself, so there is no "small notes inline" path.
 */
export interface NoteRenderer {
  /** Markdown (which may hold raw HTML) → HTML safe to insert into a page. */
  markdown(source: string): Promise<string>
  /** HTML from elsewhere (a Micropub `content.html`) → the same safe HTML. */
  sanitize(html: string): Promise<string>
  stats(): RendererStats
  /** Stop the thread; jobs still waiting fail with RENDER_UNAVAILABLE. */
  close(): Promise<void>
}

export interface RendererStats {
  /** Jobs waiting for the thread, plus the one it is working on. */
  pending: number
  rendered: number
  /** Jobs stopped because they ran past the time limit (the thread is replaced). */
  timeouts: number
  /** Threads started (the first one included). */
  started: number
  /** The last thread could not load its libraries: the next job tries again. */
  broken: boolean
}

export interface NoteRendererOptions {
  logger: Logger
  /** A job running longer is stopped (its thread replaced) and fails NOTE_TOO_COMPLEX. */
  timeoutMs?: number
  /** Retire the thread after a job that leaves its heap larger than this (RETIRE_ABOVE_HEAP_BYTES). */
  retireAboveHeapBytes?: number
}

/** Well above what the largest accepted note takes (linear work, well under a second here). */
export const RENDER_TIMEOUT_MS = 20_000
/** Jobs that may wait for the thread; more are refused at once (bounded memory under a flood). */
const MAX_PENDING = 200

interface Job {
  id: number
  op: 'markdown' | 'html'
  input: string
  resolve: (html: string) => void
  reject: (err: Error) => void
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { id: number; ok: true; html: string; heapBytes: number }
  | { id: number; ok: false; message: string; heapBytes: number }

/**
 * A thread whose V8 heap has grown past this is retired after its job (a fresh one is about 11 MiB here).
 * V8 keeps a heap it has grown, and Markdown at the note cap leaves megabytes of garbage per note that a
 * busy thread may not collect for a long while: this bounds what rendering holds, whatever the note sizes.
 */
export const RETIRE_ABOVE_HEAP_BYTES = 24 * 1024 * 1024
/** An idle thread is stopped after this long. */
const IDLE_RETIRE_MS = 30_000

export function createNoteRenderer({ logger, timeoutMs = RENDER_TIMEOUT_MS, retireAboveHeapBytes = RETIRE_ABOVE_HEAP_BYTES }: NoteRendererOptions): NoteRenderer {
  const log = logger.child({ component: 'render' })
  const require = createRequire(import.meta.url)
  // In a packaged app, the unpacked copies (electron-builder.yml, asarUnpack): a worker thread should not
  // depend on Electron's archive support, as for the database reader threads.
  const resolve = (name: string) => outsideAsar(require.resolve(name), existsSync)
  // Resolved when the first thread starts: resolving packages reads their package.json files, start-up work
  // that most starts never need.
  const threadData = once(() => ({
    markedUrl: pathToFileURL(resolve('marked')).href,
    sanitizeHtmlPath: resolve('sanitize-html'),
    allowList: NOTE_ALLOW_LIST,
  }))
  const queue: Job[] = []
  const stats: Omit<RendererStats, 'pending'> = { rendered: 0, timeouts: 0, started: 0, broken: false }
  let worker: Worker | null = null
  let ready: Promise<void> | null = null
  let current: Job | null = null
  let timer: NodeJS.Timeout | null = null
  let idleTimer: NodeJS.Timeout | null = null
  let nextId = 1
  let closed = false

  const unavailable = (cause: unknown) => appError('RENDER_UNAVAILABLE', { cause })

  function spawn(): Promise<void> {
    let workerData: ReturnType<typeof threadData>
    try {
      workerData = threadData()
    } catch (err) {
      stats.broken = true
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    // A small young generation, as for the reader threads: a render's garbage is collected early.
    const thread = new Worker(RENDER_WORKER_SOURCE, { eval: true, workerData, stdin: false, resourceLimits: { maxYoungGenerationSizeMb: 4 } })
    worker = thread
    stats.started++
    let becameReady = false
    const started = new Promise<void>((resolve, reject) => {
      thread.on('message', (msg: WorkerMessage) => {
        if ('type' in msg) {
          if (msg.type === 'ready') {
            becameReady = true
            stats.broken = false
            resolve()
          } else {
            stats.broken = true
            reject(new Error(msg.message))
          }
          return
        }
        if (!current || current.id !== msg.id) return
        const job = current
        finish()
        if (msg.heapBytes > retireAboveHeapBytes) renew()
        if (msg.ok) {
          stats.rendered++
          job.resolve(msg.html)
        } else {
          job.reject(new Error(`rendering failed: ${msg.message}`))
        }
      })
      thread.on('error', (err) => {
        log.error('render thread failed', { err })
        if (!becameReady) reject(err)
      })
      thread.on('exit', (code) => {
        if (worker !== thread) return
        worker = null
        ready = null
        if (!becameReady) {
          stats.broken = true
          reject(new Error(`render thread exited with code ${code} before it was ready`))
        }
        if (current) {
          const job = current
          finish()
          job.reject(unavailable(new Error(`render thread exited with code ${code}`)))
        }
        if (!closed && becameReady) log.error('render thread exited; the next note starts a new one', { exitCode: code })
      })
    })
    return started
  }

  function finish() {
    if (timer) clearTimeout(timer)
    timer = null
    current = null
    worker?.unref()
    queueMicrotask(pump)
    // An idle thread holds its heap for nothing: stop it after a while; the next note starts a new one.
    if (idleTimer) clearTimeout(idleTimer)
    idleTimer = setTimeout(() => {
      idleTimer = null
      if (!current && queue.length === 0) retire()
    }, IDLE_RETIRE_MS)
    idleTimer.unref()
  }

  /** Stop the thread between jobs (its exit handler ignores a thread that is no longer current). */
  function retire() {
    const thread = worker
    if (!thread || current) return
    worker = null
    ready = null
    void thread.terminate()
  }

  /** Retire a thread whose heap grew and start its replacement now, so the next note need not wait for it. */
  function renew() {
    retire()
    // A queued job may already be starting one (pump runs after this); an idle fresh thread is retired later.
    if (closed || ready) return
    const starting = spawn()
    ready = starting
    worker?.unref()
    starting.catch(() => {
      if (ready === starting) ready = null
    })
  }

  function pump() {
    if (current || closed || queue.length === 0) return
    const job = queue.shift()!
    current = job
    if (!ready) ready = spawn()
    // The thread keeps the process alive only while it has work, starting included (finish() lets go).
    worker?.ref()
    ready.then(
      () => {
        if (current !== job || !worker) return
        timer = setTimeout(() => {
          if (current !== job) return
          stats.timeouts++
          log.warn('rendering a note took too long; stopped it', { op: job.op, chars: job.input.length, timeoutMs })
          // The thread is stuck in the job: drop it first, so the next job starts a new one.
          const stuck = worker
          worker = null
          ready = null
          void stuck?.terminate()
          finish()
          job.reject(appError('NOTE_TOO_COMPLEX'))
        }, timeoutMs)
        worker.postMessage({ id: job.id, op: job.op, input: job.input })
      },
      (err: unknown) => {
        log.error('render thread could not start', { err })
        ready = null
        // Fail everything waiting now: each would meet the same failure. The next job tries again.
        const failed = [job, ...queue.splice(0)]
        current = null
        for (const waiting of failed) waiting.reject(unavailable(err))
      },
    )
  }

  function submit(op: Job['op'], input: string): Promise<string> {
    if (closed) return Promise.reject(unavailable(new Error('renderer closed')))
    if (queue.length >= MAX_PENDING) return Promise.reject(unavailable(new Error('too many notes waiting to be rendered')))
    return new Promise<string>((resolve, reject) => {
      queue.push({ id: nextId++, op, input, resolve, reject })
      pump()
    })
  }

  return {
    markdown: (source) => submit('markdown', source),
    sanitize: (html) => submit('html', html),
    stats: () => ({ ...stats, pending: queue.length + (current ? 1 : 0) }),
    async close() {
      closed = true
      if (idleTimer) clearTimeout(idleTimer)
      for (const job of queue.splice(0)) job.reject(unavailable(new Error('renderer closed')))
      const thread = worker
      // Pure computation, nothing to flush: stopping the thread at once is safe. Its exit handler fails
      // the job in progress, if any.
      if (thread) await thread.terminate()
    },
  }
}

/**
 * Readiness component `render:queue`: notes waiting for (or in) the render thread. Warns when the thread
 * could not start (saving notes fails until it can); never makes the blog "not ready", reading works.
 */
export function renderCheck(renderer: NoteRenderer): ComponentCheck {
  return () => {
    const stats = renderer.stats()
    return {
      'render:queue': [
        {
          componentType: 'component',
          observedValue: stats.pending,
          observedUnit: 'jobs',
          status: stats.broken ? 'warn' : 'pass',
          time: new Date().toISOString(),
          ...(stats.broken ? { output: 'The Markdown render thread could not start: saving notes fails until it can. See the server log.' } : {}),
        },
      ],
    }
  }
}
