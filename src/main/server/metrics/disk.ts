/**
 * Disk usage: what StarPunk keeps (database, media, logs, metrics history) against the free space of the
 * data directory's file system, and the readiness check that warns past STARPUNK_DISK_WARN_PERCENT.
 */
import { lstat, readdir, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { HealthCheck } from '../../../shared/contract'

export interface DiskPaths {
  dataDir: string
  databasePath: string
  mediaDir: string
  logDir: string
  /** The metrics history file (metrics.db). */
  historyPath: string
}

export interface DiskUsage {
  databaseBytes: number
  mediaBytes: number
  logsBytes: number
  historyBytes: number
  /** Free bytes for an unprivileged writer, and the file system's size; null when statfs failed. */
  freeBytes: number | null
  totalBytes: number | null
  /** Percent of the file system in use (by anything), null when unknown. */
  usedPercent: number | null
  /** True when a directory had more entries than we count (the sizes are then lower bounds). */
  truncated: boolean
}

/** A media dir with more files than this is counted partly: the check must stay cheap. */
const MAX_ENTRIES = 50_000

async function fileBytes(path: string): Promise<number> {
  try {
    const st = await lstat(path)
    return st.isFile() ? st.size : 0
  } catch {
    return 0
  }
}

/** An SQLite file with its WAL and shared-memory files. */
async function sqliteBytes(path: string): Promise<number> {
  const sizes = await Promise.all([fileBytes(path), fileBytes(`${path}-wal`), fileBytes(`${path}-shm`)])
  return sizes.reduce((a, b) => a + b, 0)
}

async function dirBytes(dir: string, budget: { left: number }): Promise<number> {
  let total = 0
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const entry of entries) {
    if (budget.left-- <= 0) return total
    const path = join(dir, entry.name)
    // Symlinks are not followed: a link out of the media dir must not make us walk the whole disk.
    if (entry.isDirectory()) total += await dirBytes(path, budget)
    else if (entry.isFile()) total += await fileBytes(path)
  }
  return total
}

export async function measureDisk(paths: DiskPaths): Promise<DiskUsage> {
  const budget = { left: MAX_ENTRIES }
  const [databaseBytes, historyBytes, mediaBytes, logsBytes] = await Promise.all([
    sqliteBytes(paths.databasePath),
    sqliteBytes(paths.historyPath),
    dirBytes(paths.mediaDir, budget),
    dirBytes(paths.logDir, budget),
  ])
  let freeBytes: number | null = null
  let totalBytes: number | null = null
  let usedPercent: number | null = null
  try {
    const fs = await statfs(paths.dataDir)
    freeBytes = fs.bavail * fs.bsize
    totalBytes = fs.blocks * fs.bsize
    // Like df: used / (used + available to us), so reserved root blocks count as not available.
    const used = (fs.blocks - fs.bfree) * fs.bsize
    usedPercent = used + freeBytes > 0 ? Math.round((used / (used + freeBytes)) * 1000) / 10 : null
  } catch {
    // No data dir: the filesystem check already fails and says why.
  }
  return { databaseBytes, mediaBytes, logsBytes, historyBytes, freeBytes, totalBytes, usedPercent, truncated: budget.left <= 0 }
}

const MIB = 1024 * 1024

/** The decision alone (pure): warn when the file system is fuller than warnPercent. */
export function diskStatus(usage: DiskUsage, warnPercent: number): HealthCheck['status'] {
  return usage.usedPercent !== null && usage.usedPercent > warnPercent ? 'warn' : 'pass'
}

/**
 * A readiness component (`disk:usage`, `disk:starpunk`): never fails readiness (a full disk shows up as
 * failed writes in `filesystem`), warns past the threshold. `onMeasured` gets each measurement (the
 * collector's gauges).
 */
export function diskCheck(options: { paths: DiskPaths; warnPercent: number; onMeasured?: (usage: DiskUsage) => void; now?: () => number }) {
  const now = options.now ?? Date.now
  return async (): Promise<Record<string, HealthCheck[]>> => {
    const usage = await measureDisk(options.paths)
    options.onMeasured?.(usage)
    const time = new Date(now()).toISOString()
    const status = diskStatus(usage, options.warnPercent)
    const ours = usage.databaseBytes + usage.mediaBytes + usage.logsBytes + usage.historyBytes
    const mib = (n: number) => Math.round((n / MIB) * 10) / 10
    const checks: Record<string, HealthCheck[]> = {
      'disk:starpunk': [
        {
          componentType: 'system',
          observedValue: mib(ours),
          observedUnit: 'MiB',
          status: 'pass',
          time,
          output: `database ${mib(usage.databaseBytes)} MiB, media ${mib(usage.mediaBytes)} MiB, logs ${mib(usage.logsBytes)} MiB, history ${mib(usage.historyBytes)} MiB${usage.truncated ? ' (media or logs counted in part: too many files)' : ''}`,
        },
      ],
    }
    if (usage.usedPercent !== null) {
      checks['disk:usage'] = [
        {
          componentType: 'system',
          observedValue: usage.usedPercent,
          observedUnit: 'percent',
          status,
          time,
          ...(status === 'warn'
            ? { output: `The data directory's disk is ${usage.usedPercent}% full (over STARPUNK_DISK_WARN_PERCENT=${options.warnPercent}); ${mib(usage.freeBytes ?? 0)} MiB free.` }
            : {}),
        },
      ]
    }
    return checks
  }
}
