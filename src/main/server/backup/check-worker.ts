/**
 * `PRAGMA integrity_check` reads every page of a database: on a large one that takes long enough to stall
 * a server's event loop, so it runs in a worker thread (plain CommonJS source with `eval: true`, as the
 * database's reader threads do, so it runs the same under tsx, vitest and a bundled Electron main).
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
try {
  db = new Database(workerData.path, { fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) })
  db.pragma('busy_timeout = 5000')
  const rows = db.pragma('integrity_check')
  const result = { ok: true, messages: rows.map((r) => String(r.integrity_check)).slice(0, 5), hasMigrations: false }
  result.hasMigrations = !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()
  // One self-contained file: the copy carries no WAL (a backup copies the source's journal mode).
  if (workerData.makeSelfContained) db.pragma('journal_mode = DELETE')
  db.close()
  parentPort.postMessage(result)
} catch (err) {
  try { if (db) db.close() } catch {}
  parentPort.postMessage({ ok: false, code: typeof err?.code === 'string' ? err.code : 'ERROR' })
}
`

export type CheckResult = { ok: true; messages: string[]; hasMigrations: boolean } | { ok: false; code: string }

function modulePath(): string {
  try {
    return outsideAsar(createRequire(import.meta.url).resolve('better-sqlite3'), existsSync)
  } catch {
    return 'better-sqlite3'
  }
}

/** Open the database at `path` in a worker thread, check it, and (when asked) switch it to journal_mode=DELETE. */
export function checkDatabaseFile(path: string, options: { nativeBinding: string | null; makeSelfContained: boolean }): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve, reject) => {
    const worker = new Worker(CHECK_SOURCE, { eval: true, workerData: { path, modulePath: modulePath(), nativeBinding: options.nativeBinding, makeSelfContained: options.makeSelfContained }, stdin: false })
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
