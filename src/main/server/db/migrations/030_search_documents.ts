import type { Migration } from '../types'

// What search indexes for each note: its title and plain text (from the sanitised HTML), plus the folded
// word list the LIKE fallback scans. Kept in sync by the search module inside every note write. A plain
// table, so it exists on every SQLite; the FTS5 index over it (search_fts, external content) is created
// by the search module at startup only where FTS5 exists. No foreign key on purpose: search removes its
// own row (and the FTS5 entry, which needs the old text) when a note is purged.
export const migration030: Migration = {
  name: '030_search_documents',
  up: (conn) => {
    conn.exec(`
      CREATE TABLE search_documents (
        note_id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        folded TEXT NOT NULL,
        source_updated_at TEXT NOT NULL
      );
    `)
  },
}
