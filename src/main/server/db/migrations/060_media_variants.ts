import type { Migration } from '../types'

// Uploads go through the image pipeline: each one is a media row (the largest variant, under the name its
// URL has always had) plus one row per variant file, all written in one transaction after the files exist.
// Rows from before the pipeline have processed_at NULL: their file still carries whatever the camera wrote,
// so it is never served until it has been reprocessed (refused names the check an old upload failed).
export const migration060: Migration = {
  name: '060_media_variants',
  up: (conn) => {
    conn.exec(`
      ALTER TABLE media ADD COLUMN width INTEGER;
      ALTER TABLE media ADD COLUMN height INTEGER;
      ALTER TABLE media ADD COLUMN source_mime TEXT;
      ALTER TABLE media ADD COLUMN original TEXT;
      ALTER TABLE media ADD COLUMN processed_at TEXT;
      ALTER TABLE media ADD COLUMN refused TEXT;
      CREATE TABLE media_variants (
        filename TEXT PRIMARY KEY,
        media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        mime TEXT NOT NULL
      );
      CREATE INDEX idx_media_variants_media ON media_variants (media_id, width);
      CREATE INDEX idx_media_created ON media (created_at);
    `)
  },
}
