import type { Migration } from '../types'

// Webmention, both directions. Received requests are a queue that survives restarts (a row stays 'queued'
// until a verification finishes, so a crash mid-way verifies it again); verified mentions are kept apart
// from the requests that carried them, one per (source, target), so a re-sent Webmention updates its row.
// The outbox has no foreign key to notes: a deleted or purged note must still tell the sites it linked to.
export const migration050: Migration = {
  name: '050_webmention',
  up: (conn) => {
    conn.exec(`
      CREATE TABLE webmention_requests (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        source_host TEXT NOT NULL,
        note_id INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'verified', 'rejected')),
        reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX idx_webmention_requests_queue ON webmention_requests (state, created_at);
      CREATE INDEX idx_webmention_requests_host ON webmention_requests (source_host, created_at);
      CREATE INDEX idx_webmention_requests_pair ON webmention_requests (source, target, state);

      CREATE TABLE webmentions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        source_host TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('reply', 'like', 'repost', 'bookmark', 'rsvp', 'mention')),
        moderation TEXT NOT NULL CHECK (moderation IN ('approved', 'held')),
        url TEXT NOT NULL,
        author_name TEXT,
        author_photo TEXT,
        author_url TEXT,
        content_html TEXT,
        content_text TEXT,
        rsvp TEXT,
        published TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (source, target)
      );
      CREATE INDEX idx_webmentions_note ON webmentions (note_id, moderation, type);
      CREATE INDEX idx_webmentions_moderation ON webmentions (moderation, created_at);

      CREATE TABLE webmention_blocked_domains (
        domain TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE webmention_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        note_id INTEGER NOT NULL,
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'no-endpoint')),
        generation INTEGER NOT NULL DEFAULT 1,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        endpoint TEXT,
        last_status INTEGER,
        last_error TEXT,
        location TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (source, target)
      );
      CREATE INDEX idx_webmention_outbox_due ON webmention_outbox (state, next_attempt_at);
      CREATE INDEX idx_webmention_outbox_note ON webmention_outbox (note_id);
    `)
  },
}
