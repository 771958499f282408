import type { Migration } from '../types'

// Small key/value facts the search module keeps about its index, e.g. that a LIKE-engine run changed
// search_documents while an FTS5 index existed and was not maintained (so the next FTS5 start rebuilds
// it without a full integrity-check having to find out).
export const migration031: Migration = {
  name: '031_search_state',
  up: (conn) => {
    conn.exec('CREATE TABLE search_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
  },
}
