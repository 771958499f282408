import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { expect, it } from 'vitest'
import { createLogging } from '../../logging'
import { runMigrations } from '../migrate'
import { MIGRATIONS } from './index'

it('080 gives notes written before post types the type their stored properties make', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'starpunk-migrate-070-'))
  const conn = new Database(join(dir, 'starpunk.db'))
  const logging = createLogging({ logLevel: 'ERROR', logFormat: 'json', logDir: dir }, { write: () => {} })
  try {
    const before = MIGRATIONS.findIndex((m) => m.name === '080_post_types')
    runMigrations(conn, logging.logger, MIGRATIONS.slice(0, before))
    const insert = conn.prepare(
      `INSERT INTO notes (slug, content, content_html, created_at, updated_at, properties) VALUES (?, ?, ?, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', ?)`,
    )
    insert.run('plain', 'Hello', '<p>Hello</p>', '{}')
    insert.run('liked', 'Nice', '<p>Nice</p>', JSON.stringify({ 'like-of': ['https://example.com/a'] }))
    insert.run('article', 'Body text', '<p>Body text</p>', JSON.stringify({ name: ['A title'] }))
    insert.run('same-name', 'Hello there', '<p>Hello there</p>', JSON.stringify({ name: ['Hello'] }))
    insert.run('broken', 'x', '<p>x</p>', '{not json')
    runMigrations(conn, logging.logger)
    expect(conn.prepare('SELECT slug, post_type FROM notes ORDER BY id').all()).toEqual([
      { slug: 'plain', post_type: 'note' },
      { slug: 'liked', post_type: 'like' },
      { slug: 'article', post_type: 'article' },
      { slug: 'same-name', post_type: 'note' },
      { slug: 'broken', post_type: 'note' },
    ])
  } finally {
    conn.close()
    await logging.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
