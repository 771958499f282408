import { join } from 'node:path'
import { errnoCode } from '../errors/errno'
import type { Logger } from '../logging'
import type { SiteExporter } from './service'
import type { ExportProgress, ExportReport } from './types'

/**
 * Where the admin's "Export site" may write: a fixed folder in the data dir, or the configured mirror.
 * Never a path from a request: the console and the admin form name one of these, nothing else.
 */
export type ExportTarget = 'data' | 'mirror'

/** The folder an export to the data dir writes (relative to the data dir). */
export const DATA_EXPORT_FOLDER = 'site-export'

export interface ExportOutcome {
  target: ExportTarget
  finishedAt: string
  ok: boolean
  /** A sentence for the admin (no path, no stack). */
  message: string
  written: number
  unchanged: number
  removed: number
  files: number
  bytes: number
  durationMs: number
}

export interface ExportStatus {
  running: boolean
  target: ExportTarget | null
  progress: ExportProgress | null
  last: ExportOutcome | null
  /** Targets this server offers (mirror only when STARPUNK_MIRROR_DIR is set). */
  targets: ExportTarget[]
}

export interface SiteExportActions {
  /** Start an export in the background; false when one is already running (its status says which). */
  start(target: ExportTarget): boolean
  /** Run one and wait for it (the console call), with progress through onStatus. */
  run(target: ExportTarget): Promise<ExportOutcome>
  status(): ExportStatus
  /** Every progress step and the end of each export; returns the unsubscribe function. */
  onStatus(listener: (status: ExportStatus) => void): () => void
}

export interface SiteExportActionsDeps {
  exporter: SiteExporter
  dataDir: string
  mirrorDir: string | null
  baseUrl(): string
  logger: Logger
}

/** Where a target writes; null for the mirror when none is configured. */
export function targetDir(target: ExportTarget, dataDir: string, mirrorDir: string | null): string | null {
  return target === 'data' ? join(dataDir, DATA_EXPORT_FOLDER) : mirrorDir
}

export function createSiteExportActions(deps: SiteExportActionsDeps): SiteExportActions {
  let current: { target: ExportTarget; progress: ExportProgress | null; done: Promise<ExportOutcome> } | null = null
  let last: ExportOutcome | null = null
  const listeners = new Set<(status: ExportStatus) => void>()
  const targets: ExportTarget[] = deps.mirrorDir ? ['data', 'mirror'] : ['data']

  function status(): ExportStatus {
    return { running: current !== null, target: current?.target ?? null, progress: current?.progress ?? null, last, targets }
  }
  function emit(): void {
    const snapshot = status()
    for (const listener of listeners) {
      try {
        listener(snapshot)
      } catch (err) {
        deps.logger.warn('site export listener failed', { err })
      }
    }
  }

  function begin(target: ExportTarget): Promise<ExportOutcome> {
    if (current) return current.done
    const dir = targetDir(target, deps.dataDir, deps.mirrorDir)
    const started = Date.now()
    const state: { target: ExportTarget; progress: ExportProgress | null; done: Promise<ExportOutcome> } = { target, progress: null, done: Promise.resolve(null as never) }
    current = state
    state.done = (async (): Promise<ExportOutcome> => {
      let outcome: ExportOutcome
      try {
        if (dir === null) throw new Error('no mirror directory is configured (STARPUNK_MIRROR_DIR)')
        const report: ExportReport = await deps.exporter.export({
          dir,
          baseUrl: deps.baseUrl(),
          onProgress: (progress) => {
            state.progress = progress
            emit()
          },
        })
        outcome = {
          target,
          finishedAt: new Date().toISOString(),
          ok: true,
          message: `Exported ${report.files} files: ${report.written.length} written, ${report.unchanged} unchanged, ${report.removed.length} removed.`,
          written: report.written.length,
          unchanged: report.unchanged,
          removed: report.removed.length,
          files: report.files,
          bytes: report.bytes,
          durationMs: report.durationMs,
        }
        deps.logger.info('site exported', { target, written: outcome.written, unchanged: outcome.unchanged, removed: outcome.removed })
      } catch (err) {
        deps.logger.error('site export failed', { target, err })
        const code = errnoCode(err)
        outcome = {
          target,
          finishedAt: new Date().toISOString(),
          ok: false,
          message: dir === null ? 'No mirror directory is configured (STARPUNK_MIRROR_DIR).' : `The export failed${code ? ` (${code})` : ''}; the log has the details.`,
          written: 0,
          unchanged: 0,
          removed: 0,
          files: 0,
          bytes: 0,
          durationMs: Date.now() - started,
        }
      }
      last = outcome
      current = null
      emit()
      return outcome
    })()
    emit()
    return state.done
  }

  return {
    start(target) {
      if (current) return false
      void begin(target)
      return true
    },
    run: (target) => begin(target),
    status,
    onStatus(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
