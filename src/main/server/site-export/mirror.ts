import type { Logger } from '../logging'
import type { SiteExporter } from './service'
import type { ExportReport } from './types'

export interface SiteMirrorDeps {
  exporter: SiteExporter
  /** The mirror folder (STARPUNK_MIRROR_DIR). */
  dir: string
  /** The mirror's public URL: the site URL. */
  baseUrl(): string
  logger: Logger
  /** Wait this long after a change before exporting, so a burst of edits costs one export (default 1 s). */
  debounceMs?: number
  /** After a failed export, try again this much later (default 30 s). */
  retryMs?: number
}

export interface SiteMirror {
  /** A note changed: export again soon, in the background. Never blocks the caller. */
  changed(): void
  /**
   * Resolves once an export that started after every change so far has finished: true when it succeeded,
   * false when it failed (the mirror then tries again later). Outgoing Webmentions wait on this, because
   * receivers fetch the source from the mirror.
   */
  whenCurrent(): Promise<boolean>
  /** The last finished export (null before the first). */
  last(): { report: ExportReport | null; error: string | null; finishedAt: string } | null
  /** Stop the timers and wait for an export under way. */
  close(): Promise<void>
}

/** The mirror folder kept up to date after every change: debounced, one export at a time, off the request path. */
export function createSiteMirror(deps: SiteMirrorDeps): SiteMirror {
  const debounceMs = deps.debounceMs ?? 1_000
  const retryMs = deps.retryMs ?? 30_000
  /** Counts changes; an export covers every change counted before it started. */
  let changes = 0
  let covered = -1
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null
  let closed = false
  let last: ReturnType<SiteMirror['last']> = null
  const waiters: Array<{ upTo: number; resolve: (current: boolean) => void }> = []

  function schedule(delay: number): void {
    if (closed || timer) return
    timer = setTimeout(() => {
      timer = null
      void run()
    }, delay)
    timer.unref()
  }

  async function run(): Promise<void> {
    if (running) {
      // The export under way may have read before the latest change: go again after it.
      await running
      schedule(0)
      return
    }
    const upTo = changes
    running = (async () => {
      try {
        const report = await deps.exporter.export({ dir: deps.dir, baseUrl: deps.baseUrl() })
        covered = Math.max(covered, upTo)
        last = { report, error: null, finishedAt: new Date().toISOString() }
        deps.logger.info('mirror exported', { written: report.written.length, removed: report.removed.length, unchanged: report.unchanged, ms: report.durationMs })
        settle(true)
      } catch (err) {
        last = { report: null, error: err instanceof Error ? err.message : String(err), finishedAt: new Date().toISOString() }
        deps.logger.error('mirror export failed', { err })
        settle(false)
        schedule(retryMs)
      }
    })()
    try {
      await running
    } finally {
      running = null
    }
    if (changes > upTo) schedule(debounceMs)
  }

  function settle(succeeded: boolean): void {
    for (let i = waiters.length - 1; i >= 0; i -= 1) {
      const waiter = waiters[i]!
      if (!succeeded || covered >= waiter.upTo) {
        waiters.splice(i, 1)
        waiter.resolve(succeeded && covered >= waiter.upTo)
      }
    }
  }

  return {
    changed() {
      changes += 1
      schedule(debounceMs)
    },
    whenCurrent() {
      if (covered >= changes) return Promise.resolve(true)
      if (closed) return Promise.resolve(false)
      return new Promise<boolean>((resolve) => waiters.push({ upTo: changes, resolve }))
    },
    last: () => last,
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      timer = null
      if (running) await running.catch(() => undefined)
      for (const waiter of waiters.splice(0)) waiter.resolve(false)
    },
  }
}
