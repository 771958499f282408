/**
 * "Back up now" for a running server: one backup at a time into `<data dir>/backups`, the newest
 * STARPUNK_BACKUP_KEEP kept. The databases are copied in a worker thread (sqlite-worker.ts) and the archive is
 * compressed on libuv's thread pool, so requests keep being served and written meanwhile. Knows nothing of
 * HTTP: the console and the admin call it.
 */
import { readdir, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { appError, toAppError } from '../errors'
import type { Logger } from '../logging'
import { createBackup } from './archive'
import { layoutPaths, type DataLayout } from './layout'

export interface BackupInfo {
  /** The archive's file name in `<data dir>/backups`. */
  file: string
  /** When the backup was taken (ISO 8601). */
  createdAt: string
  bytes: number
}

export interface BackupStatus {
  running: boolean
  last: BackupInfo | null
  /** Archives in the backups folder. */
  count: number
  /** How many are kept (STARPUNK_BACKUP_KEEP). */
  keep: number
}

export interface BackupService {
  /** Take a backup now; BACKUP_IN_PROGRESS while one runs. Resolves when the archive has its name. */
  runNow(): Promise<BackupInfo>
  status(): Promise<BackupStatus>
  /** Remove what a crash during a backup left (staging folders, temp archives). */
  start(): Promise<void>
  /** Wait for a running backup to finish (it reads the database files). */
  close(): Promise<void>
}

export interface BackupServiceDeps {
  layout: DataLayout
  keep: number
  appVersion: string
  logger: Logger
  now?: () => Date
}

/** `starpunk-2026-12-01T14-30-00-123Z.tar.gz`: sorts by time, and says it. */
const ARCHIVE_NAME = /^starpunk-(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z\.tar\.gz$/

export function archiveName(at: Date): string {
  return `starpunk-${at.toISOString().replace(/[:.]/g, '-')}.tar.gz`
}

function createdAtOf(name: string): string | null {
  const m = ARCHIVE_NAME.exec(name)
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z` : null
}

export function createBackupService(deps: BackupServiceDeps): BackupService {
  const dir = layoutPaths(deps.layout).backupsDir
  const now = deps.now ?? (() => new Date())
  let running: Promise<BackupInfo> | null = null

  /** The archives in the folder, newest first. */
  async function archives(): Promise<string[]> {
    const names = await readdir(dir).catch(() => [] as string[])
    return names.filter((n) => ARCHIVE_NAME.test(n)).sort().reverse()
  }

  async function prune(): Promise<number> {
    const extra = (await archives()).slice(deps.keep)
    for (const name of extra) await unlink(join(dir, name)).catch(() => undefined)
    return extra.length
  }

  async function run(): Promise<BackupInfo> {
    const started = Date.now()
    const at = now()
    const file = join(dir, archiveName(at))
    try {
      const result = await createBackup({
        layout: deps.layout,
        file,
        appVersion: deps.appVersion,
        now: () => at,
      })
      const removed = await prune()
      deps.logger.info('backup written', { file: archiveName(at), bytes: result.bytes, files: result.files, durationMs: Date.now() - started, removedOld: removed })
      return { file: archiveName(at), createdAt: result.createdAt, bytes: result.bytes }
    } catch (err) {
      deps.logger.error('backup failed', { err })
      throw toAppError(err)
    }
  }

  return {
    runNow() {
      if (running) return Promise.reject(appError('BACKUP_IN_PROGRESS'))
      const current = run().finally(() => {
        running = null
      })
      running = current
      return current
    },
    async status() {
      const names = await archives()
      const newest = names[0]
      let last: BackupInfo | null = null
      if (newest) {
        const bytes = await stat(join(dir, newest)).then((s) => s.size, () => null)
        const createdAt = createdAtOf(newest)
        if (bytes !== null && createdAt) last = { file: newest, createdAt, bytes }
      }
      return { running: running !== null, last, count: names.length, keep: deps.keep }
    },
    async start() {
      const names = await readdir(dir).catch(() => [] as string[])
      const leftovers = names.filter((n) => n.startsWith('.staging-') || (n.startsWith('.starpunk-') && n.endsWith('.tmp')))
      for (const name of leftovers) await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined)
      if (leftovers.length > 0) deps.logger.info('removed what an interrupted backup left', { count: leftovers.length })
    },
    async close() {
      await running?.catch(() => undefined)
    },
  }
}
