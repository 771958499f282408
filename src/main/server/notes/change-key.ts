import type { Db } from '../db'

const statements = new WeakMap<Db, { get(): unknown }>()

/**
 * The data_version last read from each database in this event-loop turn (forgotten at the turn's end), for
 * changeKeyThisTurn. Every read, exact or not, lands here, so a turn never goes back to an older value.
 */
let thisTurn = new WeakMap<Db, string>()
let forgetScheduled = false
const forgetTurn = (): void => {
  forgetScheduled = false
  thisTurn = new WeakMap()
}

function readDataVersion(db: Db): string {
  let stmt = statements.get(db)
  if (!stmt) {
    stmt = db.writer.prepare('PRAGMA data_version').pluck()
    statements.set(db, stmt)
  }
  const version = String(stmt.get())
  thisTurn.set(db, version)
  if (!forgetScheduled) {
    forgetScheduled = true
    setImmediate(forgetTurn).unref()
  }
  return version
}

/**
 * A cache key that moves on every committed change: this process's writes (db.version, or a narrower
 * counter such as notes.version) and other processes' writes (SQLite's `PRAGMA data_version`, which changes when another connection
 * commits: e.g. `npm run import-notes` while the server runs). Costs one pragma (~µs).
 */
export function changeKey(db: Db, localVersion: number = db.version): string {
  try {
    return `${localVersion}:${readDataVersion(db)}`
  } catch {
    // Closed or busy connection (shutdown): this process's own counter is still right for its writes.
    return `${localVersion}:?`
  }
}

/**
 * changeKey, with other connections' commits read at most once per event-loop turn (the pragma costs a
 * shared lock on the file, 2–10 µs: too much per cached answer). For requests off the network, which
 * arrive in turns of their own: requests answered in one turn are simultaneous, so a commit elsewhere in
 * that turn is seen from the next. This process's writes move localVersion, and so the key, at once.
 */
export function changeKeyThisTurn(db: Db, localVersion: number = db.version): string {
  const known = thisTurn.get(db)
  return known === undefined ? changeKey(db, localVersion) : `${localVersion}:${known}`
}
