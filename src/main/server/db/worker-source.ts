import { FILE_ERROR_CODES } from './sqlite-errors'

/**
 * The reader thread, as plain CommonJS source run with `new Worker(source, { eval: true })`. A source
 * string (rather than a file path) runs the same under tsx, vitest and a bundled Electron main process,
 * where a separate .ts/.js worker file would need its own build step and path resolution.
 *
 * Protocol (main → worker): { type: 'query', id, op: 'all' | 'get', sql, params } | { type: 'close' }
 * (worker → main): { type: 'ready' } | { type: 'rows', id, rows } (leading parts of a large result, in order) |
 *                  { type: 'result', id, ok: true, rows (the last part), ms, heapBytes } |
 *                  { type: 'result', id, ok: false, error: { name, message, code }, ms }
 */
/**
 * The reader thread's test for "the file went away or is damaged", generated from the list the main thread
 * uses (isUnavailableError), so the two cannot drift apart. Defines `isFileError(code)`.
 */
export const FILE_ERROR_SOURCE = `const FILE_ERROR_PREFIXES = ${JSON.stringify(FILE_ERROR_CODES.prefixes)}
const FILE_ERROR_EXACT = ${JSON.stringify(FILE_ERROR_CODES.exact)}
function isFileError(code) {
  return typeof code === 'string' && (FILE_ERROR_PREFIXES.some((prefix) => code.startsWith(prefix)) || FILE_ERROR_EXACT.includes(code))
}`

export const READER_WORKER_SOURCE = String.raw`
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const { getHeapStatistics } = require('node:v8')
const Database = require(workerData.modulePath)
const STATEMENT_CACHE_SIZE = 200
let db = null
const statements = new Map()

function open() {
  if (db) return db
  const options = { fileMustExist: true }
  if (workerData.nativeBinding) options.nativeBinding = workerData.nativeBinding
  const conn = new Database(workerData.path, options)
  try {
    // A reader thread may block on a lock for the whole busy timeout: it blocks only itself, never the event loop.
    conn.pragma('busy_timeout = ' + Number(workerData.busyTimeoutMs))
    // Readers must never write: a mistaken INSERT through the pool fails instead of racing the writer.
    conn.pragma('query_only = ON')
    // better-sqlite3 builds SQLite with a 16 MiB page cache per connection; readers re-read hot pages from
    // the OS page cache cheaply, so each keeps 1 MiB instead of 16 resident (each thread's malloc arena
    // keeps what its cache once held).
    conn.pragma('cache_size = -1000')
  } catch (err) {
    conn.close()
    throw err
  }
  db = conn
  return db
}

function reset() {
  statements.clear()
  if (db) {
    try { db.close() } catch (_) { /* already broken */ }
  }
  db = null
}

function statement(sql) {
  let stmt = statements.get(sql)
  if (stmt) {
    statements.delete(sql)
    statements.set(sql, stmt)
    return stmt
  }
  stmt = open().prepare(sql)
  statements.set(sql, stmt)
  if (statements.size > STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value)
  return stmt
}

// Structured clone turns Buffers into Uint8Arrays; better-sqlite3 binds only Buffers.
function toBindable(value) {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value
}

function run(op, sql, params) {
  const stmt = statement(sql)
  let args
  if (params === undefined || params === null) args = []
  else if (Array.isArray(params)) args = params.map(toBindable)
  else {
    const named = {}
    for (const key of Object.keys(params)) named[key] = toBindable(params[key])
    args = [named]
  }
  return op === 'get' ? stmt.get(...args) : stmt.all(...args)
}

// A large result goes over in parts of about this many characters, each its own message: every serialised
// copy then stays small, and glibc, which raises its mmap and trim thresholds to the largest block freed, does
// not end up keeping megabytes in each thread's arena after a page of long notes.
const PART_CHARS = 64 * 1024

function rowChars(row) {
  let chars = 16
  for (const key in row) {
    const value = row[key]
    chars += key.length + (typeof value === 'string' || (value && typeof value.length === 'number') ? value.length : 8)
  }
  return chars
}

// Posts every part but the last as { type: 'rows', id, rows }; returns the last, for the result message.
function sendLeadingParts(id, rows) {
  let part = []
  let chars = 0
  for (const row of rows) {
    const size = rowChars(row)
    if (part.length > 0 && chars + size > PART_CHARS) {
      parentPort.postMessage({ type: 'rows', id, rows: part })
      part = []
      chars = 0
    }
    part.push(row)
    chars += size
  }
  return part
}

// Errors that mean the file went away or is damaged: drop the connection so the next query reopens it
// (recovers on its own once the file is back).
${FILE_ERROR_SOURCE}

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    reset()
    parentPort.close()
    return
  }
  if (msg.type !== 'query') return
  const start = performance.now()
  try {
    let rows = run(msg.op, msg.sql, msg.params)
    if (msg.op === 'all') rows = sendLeadingParts(msg.id, rows)
    parentPort.postMessage({ type: 'result', id: msg.id, ok: true, rows, ms: performance.now() - start, heapBytes: getHeapStatistics().total_heap_size })
  } catch (err) {
    const code = err && typeof err.code === 'string' ? err.code : undefined
    if (isFileError(code)) reset()
    parentPort.postMessage({
      type: 'result',
      id: msg.id,
      ok: false,
      error: { name: (err && err.name) || 'Error', message: (err && err.message) || String(err), code },
      ms: performance.now() - start,
    })
  }
})

// Warm the connection now; a failure here is not fatal: the next query retries the open and reports it.
try { open() } catch (_) { db = null }
parentPort.postMessage({ type: 'ready' })
`
