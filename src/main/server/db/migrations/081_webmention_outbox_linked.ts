import type { Migration } from '../types'

// Which outbox targets the note's latest version links to: the next version tells those it no longer
// links to as well (once), without telling every target the note ever had on each edit.
export const migration081: Migration = {
  name: '081_webmention_outbox_linked',
  up: (conn) => {
    conn.exec(`ALTER TABLE webmention_outbox ADD COLUMN linked INTEGER NOT NULL DEFAULT 1;`)
  },
}
