import type { Migration } from '../types'

// What the posts our replies, likes, reposts and bookmarks point at say about themselves, fetched in the
// background and kept (one row per target URL; a failure is kept too, so it is not asked again at once).
export const migration090: Migration = {
  name: '090_reply_contexts',
  up: (conn) => {
    conn.exec(`
      CREATE TABLE reply_contexts (
        url TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('ok', 'failed')),
        title TEXT,
        text TEXT,
        author_name TEXT,
        author_url TEXT,
        author_photo TEXT,
        published TEXT,
        final_url TEXT,
        reason TEXT,
        fetched_at INTEGER NOT NULL
      );
    `)
  },
}
