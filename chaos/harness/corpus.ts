/** A large corpus written straight into a stopped server's database, for genuinely slow reads. */
import Database from 'better-sqlite3'
import { createRng } from './prng'

const WORDS = ['river', 'stone', 'lantern', 'orbit', 'meadow', 'copper', 'signal', 'harbor', 'velvet', 'quartz', 'ember', 'tundra', 'pixel', 'saffron', 'glacier', 'thistle']

/** Insert `count` notes (about `bytesEach` of text) with their LIKE-engine search documents, in one transaction. */
export function seedCorpus(dbPath: string, count: number, bytesEach: number, seed = 1): void {
  const rng = createRng(seed)
  const db = new Database(dbPath)
  try {
    db.pragma('journal_mode = WAL')
    const note = db.prepare('INSERT INTO notes (slug, content, content_html, title, published, created_at, updated_at) VALUES (?, ?, ?, NULL, 1, ?, ?)')
    const doc = db.prepare('INSERT INTO search_documents (note_id, title, body, folded, source_updated_at) VALUES (?, ?, ?, ?, ?)')
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const parts: string[] = []
        let size = 0
        while (size < bytesEach) {
          const w = rng.pick(WORDS)
          parts.push(w)
          size += w.length + 1
        }
        const text = parts.join(' ')
        const at = new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString()
        const info = note.run(`corpus-${i}`, text, `<p>${text}</p>`, at, at)
        doc.run(info.lastInsertRowid, '', text, `|${text}`, at)
      }
    })()
  } finally {
    db.close()
  }
}
