/**
 * The database work of a backup, in a worker thread: the copy through SQLite's online backup API, and
 * `PRAGMA integrity_check` (which reads every page). Done on a serving event loop, the last step of a copy
 * alone (which writes out and syncs the copy) stalled it ~140 ms for a 16 MiB database (docs/performance.md,
 * "Backup"). The copy is one step, so one read transaction: a consistent moment, and in WAL mode the server's
 * writers go on meanwhile. Plain CommonJS source with `eval: true`, as the database's reader threads use, so
 * it runs the same under tsx, vitest and a bundled Electron main.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { outsideAsar } from '../db'

const CHECK_SOURCE = String.raw`
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.modulePath)
let db = null
async function main() {
  if (workerData.source) {
    const source = new Database(workerData.source, { fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) })
    try {
      source.pragma('busy_timeout = 5000')
      // 0x7fffffff pages per step: everything in one step, one read transaction.
      await source.backup(workerData.path, { progress: () => 0x7fffffff })
    } finally {
      source.close()
    }
  }
  db = new Database(workerData.path, { fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) })
  db.pragma('busy_timeout = 5000')
  const rows = db.pragma('integrity_check')
  const result = { ok: true, messages: rows.map((r) => String(r.integrity_check)).slice(0, 5), hasMigrations: false }
  result.hasMigrations = !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()
  // One self-contained file: the copy carries no WAL (a backup copies the source's journal mode).
  if (workerData.makeSelfContained) db.pragma('journal_mode = DELETE')
  db.close()
  parentPort.postMessage(result)
}
main().catch((err) => {
  try { if (db) db.close() } catch {}
  parentPort.postMessage({ ok: false, code: typeof err?.code === 'string' ? err.code : 'ERROR' })
})
`

export type CheckResult = { ok: true; messages: string[]; hasMigrations: boolean } | { ok: false; code: string }

function modulePath(): string {
  try {
    return outsideAsar(createRequire(import.meta.url).resolve('better-sqlite3'), existsSync)
  } catch {
    return 'better-sqlite3'
  }
}

/**
 * In a worker thread: copy `options.copyFrom` to `path` first (when given), then check the database at
 * `path` and (when asked) switch it to journal_mode=DELETE.
 */
export function checkDatabaseFile(path: string, options: { nativeBinding: string | null; makeSelfContained: boolean; copyFrom?: string }): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve, reject) => {
    const worker = new Worker(CHECK_SOURCE, { eval: true, workerData: { path, source: options.copyFrom ?? null, modulePath: modulePath(), nativeBinding: options.nativeBinding, makeSelfContained: options.makeSelfContained }, stdin: false })
    let settled = false
    worker.once('message', (result: CheckResult) => {
      settled = true
      resolve(result)
    })
    worker.once('error', (err) => {
      if (!settled) reject(err)
    })
    worker.once('exit', (code) => {
      if (!settled) reject(Object.assign(new Error(`the check thread stopped (exit ${code})`), { code: 'CHECK_THREAD_EXITED' }))
    })
  })
}
