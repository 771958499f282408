import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openNotesFixture, type NotesFixture } from '../notes/testing'
import { PageCache } from './page-cache'

let fx: NotesFixture
beforeEach(async () => {
  fx = await openNotesFixture()
})
afterEach(async () => {
  await fx.close()
})

describe('PageCache', () => {
  it('rebuilds after a note write, not after writes to other tables', async () => {
    const cache = new PageCache({ db: fx.db, source: fx.notes })
    let builds = 0
    const build = async () => `page ${++builds}`
    expect((await cache.get('home', build)).body.toString()).toBe('page 1')
    expect((await cache.get('home', build)).body.toString()).toBe('page 1')
    // A session sliding, a token used...: not content, the cache stays.
    await fx.db.write((conn) =>
      conn.prepare('INSERT INTO login_links (token_hash, created_at, expires_at) VALUES (?, ?, ?)').run('h', Date.now(), Date.now() + 1000),
    )
    expect((await cache.get('home', build)).body.toString()).toBe('page 1')
    await fx.notes.create({ content: 'new note' })
    expect((await cache.get('home', build)).body.toString()).toBe('page 2')
  })

  it('rebuilds after a commit by another connection (another process)', async () => {
    const cache = new PageCache({ db: fx.db, source: fx.notes })
    let builds = 0
    const build = async () => `page ${++builds}`
    await cache.get('home', build)
    const other = await openNotesFixture(fx.dir)
    await other.notes.create({ content: 'from elsewhere' })
    await other.db.close()
    expect((await cache.get('home', build)).body.toString()).toBe('page 2')
  })

  it('does not keep a body built while a write landed', async () => {
    const cache = new PageCache({ db: fx.db, source: fx.notes })
    let builds = 0
    const racing = async () => {
      builds++
      await fx.notes.create({ content: `write during build ${builds}` })
      return 'stale'
    }
    await cache.get('home', racing)
    expect((await cache.get('home', async () => 'fresh')).body.toString()).toBe('fresh')
  })

  it('bounds the number of entries', async () => {
    const cache = new PageCache({ db: fx.db, source: fx.notes, maxEntries: 2 })
    let builds = 0
    const build = async () => `b${++builds}`
    await cache.get('a', build)
    await cache.get('b', build)
    await cache.get('c', build) // evicts 'a'
    expect((await cache.get('a', build)).body.toString()).toBe('b4')
    expect((await cache.get('c', build)).body.toString()).toBe('b3')
  })
})
