import { z } from 'zod'
import type { Db } from '../db'
import type { Note } from '../notes'
import { normalizeUrl } from './parse'
import type { MentionRow } from './receiver'
import { MENTION_TYPES } from './types'

/** The front matter key received Webmentions travel under in exported note files. */
export const MENTIONS_KEY = 'webmentions'

/** One received Webmention as an exported note file carries it (what the note page needs to show it again). */
const ExportedMention = z.object({
  source: z.string().max(2048),
  target: z.string().max(2048),
  type: z.enum(MENTION_TYPES as [string, ...string[]]),
  moderation: z.enum(['approved', 'held']),
  url: z.string().max(2048),
  author: z.object({ name: z.string().max(400).nullable(), photo: z.string().max(2048).nullable(), url: z.string().max(2048).nullable() }),
  content_html: z.string().max(256 * 1024).nullable(),
  content_text: z.string().max(20_000).nullable(),
  rsvp: z.string().max(20).nullable(),
  published: z.string().max(64).nullable(),
  received: z.string(),
  updated: z.string(),
})
type ExportedMention = z.output<typeof ExportedMention>

// A stored mention as the receiver keeps it (one table, one row type).
type Row = MentionRow

/**
 * Received Webmentions in and out of exported note files (`npm run export-notes` / `import-notes`): each
 * note's mentions under `webmentions:` in its front matter; import writes them back by (source, target),
 * so importing twice changes nothing. The content was sanitised when it was received; it is sanitised
 * again on the way back in by the caller's sanitiser, as a file can be edited by hand.
 */
export function mentionsPortable(db: Db, sanitize: (html: string) => Promise<string>) {
  return {
    key: MENTIONS_KEY,
    async exportFor(note: Note): Promise<ExportedMention[] | null> {
      const rows = await db.all<Row>('SELECT * FROM webmentions WHERE note_id = ? ORDER BY created_at, id', [note.id])
      if (rows.length === 0) return null
      return rows.map((row) => ({
        source: row.source,
        target: row.target,
        type: row.type,
        moderation: row.moderation,
        url: row.url,
        author: { name: row.author_name, photo: row.author_photo, url: row.author_url },
        content_html: row.content_html,
        content_text: row.content_text,
        rsvp: row.rsvp,
        published: row.published,
        received: new Date(row.created_at).toISOString(),
        updated: new Date(row.updated_at).toISOString(),
      }))
    },
    async importFor(note: Note, items: unknown[]): Promise<number> {
      const mentions: ExportedMention[] = []
      for (const [index, item] of items.entries()) {
        const parsed = ExportedMention.safeParse(item)
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!
          throw new Error(`webmentions[${index}].${issue.path.join('.')}: ${issue.message}`)
        }
        const source = normalizeUrl(parsed.data.source)
        if (!source || !normalizeUrl(parsed.data.target) || !normalizeUrl(parsed.data.url)) throw new Error(`webmentions[${index}]: source, target and url must be http(s) URLs`)
        mentions.push({ ...parsed.data, content_html: parsed.data.content_html === null ? null : await sanitize(parsed.data.content_html) })
      }
      const time = (iso: string) => (Number.isFinite(Date.parse(iso)) ? Date.parse(iso) : Date.now())
      return db.write((conn) => {
        const upsert = conn.prepare(
          `INSERT INTO webmentions (note_id, source, target, source_host, type, moderation, url, author_name, author_photo, author_url,
             content_html, content_text, rsvp, published, created_at, updated_at)
           VALUES (@note_id, @source, @target, @source_host, @type, @moderation, @url, @author_name, @author_photo, @author_url,
             @content_html, @content_text, @rsvp, @published, @created_at, @updated_at)
           ON CONFLICT (source, target) DO UPDATE SET note_id = excluded.note_id, type = excluded.type, moderation = excluded.moderation,
             url = excluded.url, author_name = excluded.author_name, author_photo = excluded.author_photo, author_url = excluded.author_url,
             content_html = excluded.content_html, content_text = excluded.content_text, rsvp = excluded.rsvp,
             published = excluded.published, created_at = excluded.created_at, updated_at = excluded.updated_at`,
        )
        for (const m of mentions) {
          upsert.run({
            note_id: note.id,
            source: m.source,
            target: m.target,
            source_host: new URL(m.source).hostname.toLowerCase(),
            type: m.type,
            moderation: m.moderation,
            url: m.url,
            author_name: m.author.name,
            author_photo: m.author.photo,
            author_url: m.author.url,
            content_html: m.content_html,
            content_text: m.content_text,
            rsvp: m.rsvp,
            published: m.published,
            created_at: time(m.received),
            updated_at: time(m.updated),
          })
        }
        return mentions.length
      })
    },
  }
}
