import type { Db } from '../db'

const statements = new WeakMap<Db, { get(): unknown }>()

/**
 * A cache key that moves on every committed change: this process's writes (db.version, or a narrower
 * counter such as notes.version) and other processes' writes (SQLite's `PRAGMA data_version`, which changes when another connection
 * commits: e.g. `npm run import-notes` while the server runs). Costs one pragma (~µs).
 */
export function changeKey(db: Db, localVersion: number = db.version): string {
  try {
    let stmt = statements.get(db)
    if (!stmt) {
      stmt = db.writer.prepare('PRAGMA data_version').pluck()
      statements.set(db, stmt)
    }
    return `${localVersion}:${String(stmt.get())}`
  } catch {
    // Closed or busy connection (shutdown): this process's own counter is still right for its writes.
    return `${localVersion}:?`
  }
}
