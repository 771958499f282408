import { htmlTextStart } from '../../html'
import { discoverPostType } from '../../notes/post-type'
import type { Migration } from '../types'

/** The name-is-a-prefix test reads no further into a note than this. */
const TEXT_CHARS = 2_000

// Each note's W3C Post Type Discovery type, kept in a column so /type/<type> lists use an index. Notes from
// before get theirs from the properties they were stored with.
export const migration080: Migration = {
  name: '080_post_types',
  up: (conn) => {
    conn.exec(`
      ALTER TABLE notes ADD COLUMN post_type TEXT NOT NULL DEFAULT 'note';
      CREATE INDEX idx_notes_type_visible ON notes (post_type, deleted_at, published, created_at DESC);
    `)
    const rows = conn.prepare(`SELECT id, content_html, properties FROM notes WHERE properties <> '{}'`).all() as Array<{ id: number; content_html: string; properties: string }>
    const set = conn.prepare('UPDATE notes SET post_type = ? WHERE id = ?')
    for (const row of rows) {
      let properties: Record<string, unknown[]> = {}
      try {
        const parsed = JSON.parse(row.properties) as unknown
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) properties = parsed as Record<string, unknown[]>
      } catch {
        continue
      }
      const type = discoverPostType(properties, htmlTextStart(row.content_html, TEXT_CHARS))
      if (type !== 'note') set.run(type, row.id)
    }
  },
}
