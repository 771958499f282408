import type { Migration } from '../types'

// Pictures from other sites (mention authors' avatars, reply-context photos), fetched once and kept as our
// own media, so readers' browsers never call a third-party host. One row per remote URL: the media row it
// became, or why it could not be had (a failure is remembered, so a dead image is not fetched on every page).
export const migration070: Migration = {
  name: '070_remote_media',
  up: (conn) => {
    conn.exec(`
      CREATE TABLE remote_media (
        url TEXT PRIMARY KEY,
        media_id INTEGER REFERENCES media(id) ON DELETE CASCADE,
        failure TEXT,
        fetched_at INTEGER NOT NULL,
        CHECK ((media_id IS NULL) <> (failure IS NULL))
      );
      CREATE INDEX idx_remote_media_media ON remote_media (media_id);
    `)
  },
}
