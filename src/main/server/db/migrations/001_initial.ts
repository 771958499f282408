import type { Migration } from '../types'

// Times: notes carry ISO-8601 UTC text (readable in exports and feeds); auth tables carry epoch ms
// integers (compared on every request).
export const migration001: Migration = {
  name: '001_initial',
  up: (conn) => {
    conn.exec(`
      CREATE TABLE notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        slug TEXT NOT NULL UNIQUE,
        content TEXT NOT NULL,
        content_html TEXT NOT NULL,
        title TEXT,
        published INTEGER NOT NULL DEFAULT 1 CHECK (published IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT,
        properties TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX idx_notes_visible ON notes (deleted_at, published, created_at DESC);
      CREATE INDEX idx_notes_created ON notes (created_at DESC);

      CREATE TABLE tags (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        display TEXT NOT NULL
      );
      CREATE TABLE note_tags (
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        PRIMARY KEY (note_id, tag_id)
      );
      CREATE INDEX idx_note_tags_tag ON note_tags (tag_id);

      CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token_hash TEXT NOT NULL UNIQUE,
        me TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        absolute_expires_at INTEGER NOT NULL
      );
      CREATE INDEX idx_sessions_expires ON sessions (expires_at);

      CREATE TABLE login_links (
        token_hash TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );

      CREATE TABLE auth_state (
        state TEXT PRIMARY KEY,
        code_verifier TEXT NOT NULL,
        me TEXT NOT NULL,
        authorization_endpoint TEXT NOT NULL,
        token_endpoint TEXT,
        redirect_to TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );

      CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token_hash TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL CHECK (source IN ('personal', 'indieauth')),
        name TEXT NOT NULL,
        client_id TEXT,
        me TEXT NOT NULL,
        scope TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        last_used_at INTEGER
      );

      CREATE TABLE authorization_codes (
        code_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        scope TEXT NOT NULL,
        me TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        code_challenge_method TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );

      CREATE TABLE media (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        filename TEXT NOT NULL UNIQUE,
        mime TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        note_id INTEGER REFERENCES notes(id) ON DELETE SET NULL
      );
    `)
  },
}
