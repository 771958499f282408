import Database from 'better-sqlite3'
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

  it('invalidate(key) drops that one page, keeps the others, and never keeps a build it overlapped', async () => {
    const cache = new PageCache({ db: fx.db, source: fx.notes })
    const builds = { a: 0, b: 0 }
    const buildA = async () => `a ${++builds.a}`
    const buildB = async () => `b ${++builds.b}`
    await cache.get('note:a', buildA)
    await cache.get('note:b', buildB)
    // A write the change key does not follow (a Webmention row in the same database).
    await fx.db.write((conn) => conn.prepare('INSERT INTO login_links (token_hash, created_at, expires_at) VALUES (?, ?, ?)').run('x', Date.now(), Date.now() + 1000))
    expect((await cache.get('note:a', buildA)).body.toString()).toBe('a 1')
    cache.invalidate('note:a')
    expect((await cache.get('note:a', buildA)).body.toString()).toBe('a 2')
    expect((await cache.get('note:a', buildA)).body.toString()).toBe('a 2')
    expect((await cache.get('note:b', buildB)).body.toString()).toBe('b 1')
    // Invalidated while its build was running: served to that caller, not kept.
    let release: () => void = () => undefined
    cache.invalidate('note:b')
    const gate = new Promise<void>((resolve) => (release = resolve))
    const during = cache.get('note:b', async () => {
      await gate
      return `b ${++builds.b}`
    })
    cache.invalidate('note:b')
    release()
    expect((await during).body.toString()).toBe('b 2')
    expect((await cache.get('note:b', buildB)).body.toString()).toBe('b 3')
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

  it('peekThisTurn: this process\'s writes at once, another connection\'s commit from the next event-loop turn, never back to an older version', async () => {
    /** A synchronous commit by another connection to the same file. */
    const commitElsewhere = (tag: string) => {
      const other = new Database(fx.config.databasePath)
      try {
        other.prepare('INSERT INTO tags (name, display) VALUES (?, ?)').run(tag, tag)
      } finally {
        other.close()
      }
    }
    const cache = new PageCache({ db: fx.db, source: fx.notes })
    const built = await cache.get('home', async () => 'page')
    expect(cache.peekThisTurn('home')).toBe(built)
    await fx.notes.create({ content: 'a write by this process' })
    expect(cache.peekThisTurn('home')).toBeUndefined()

    const again = await cache.get('home', async () => 'page again')
    await new Promise((resolve) => setImmediate(resolve))
    expect(cache.peekThisTurn('home')).toBe(again)
    // A synchronous commit by another connection, in this same turn: the exact peek sees it at once...
    commitElsewhere('elsewhere')
    expect(cache.peek('home')).toBeUndefined()
    const third = await cache.get('home', async () => 'third')
    // ...and peekThisTurn never goes back to the version read before it (which would empty the cache again).
    expect(cache.peekThisTurn('home')).toBe(third)

    // A commit elsewhere seen only by peekThisTurn: from the next turn on.
    await new Promise((resolve) => setImmediate(resolve))
    expect(cache.peekThisTurn('home')).toBe(third)
    commitElsewhere('later')
    await new Promise((resolve) => setImmediate(resolve))
    expect(cache.peekThisTurn('home')).toBeUndefined()
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

  it('concurrent misses for one key share one build; a write meanwhile starts a fresh one', async () => {
    const cache = new PageCache({ db: fx.db, source: fx.notes })
    let builds = 0
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const slow = async () => {
      const n = ++builds
      await gate
      return `page ${n}`
    }
    const burst = [cache.get('feed', slow), cache.get('feed', slow), cache.get('feed', slow)]
    const other = cache.get('home', slow)
    release()
    expect((await Promise.all(burst)).map((e) => e.body.toString())).toEqual(['page 1', 'page 1', 'page 1'])
    expect((await other).body.toString()).toBe('page 2')
    expect(builds).toBe(2)
    // A failed build is not remembered: the next request tries again.
    await expect(cache.get('broken', async () => Promise.reject(new Error('no')))).rejects.toThrow('no')
    expect((await cache.get('broken', async () => 'works')).body.toString()).toBe('works')
    // After a note write, a request does not join a build of the old version.
    let releaseOld: () => void = () => {}
    const oldGate = new Promise<void>((resolve) => (releaseOld = resolve))
    const old = cache.get('list', async () => {
      await oldGate
      return 'old'
    })
    await fx.notes.create({ content: 'changes everything' })
    const fresh = cache.get('list', async () => 'new')
    releaseOld()
    expect((await old).body.toString()).toBe('old')
    expect((await fresh).body.toString()).toBe('new')
    expect((await cache.get('list', async () => 'again')).body.toString()).toBe('new')
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

  it('bounds the bytes it keeps: the oldest bodies go first, and a body over the bound is served but not kept', async () => {
    const cache = new PageCache({ db: fx.db, source: fx.notes, maxBytes: 10 })
    let builds = 0
    const sized = (size: number) => async () => `${++builds}`.padEnd(size, '.')
    await cache.get('a', sized(4))
    await cache.get('b', sized(4))
    await cache.get('c', sized(4)) // 12 bytes would pass 10: evicts 'a'
    expect((await cache.get('b', sized(4))).body.toString()).toBe('2...')
    expect((await cache.get('c', sized(4))).body.toString()).toBe('3...')
    expect((await cache.get('a', sized(4))).body.toString()).toBe('4...') // rebuilt, evicting 'b'
    const huge = await cache.get('huge', sized(11))
    expect(huge.body.toString()).toBe('5..........')
    expect((await cache.get('huge', sized(11))).body.toString()).toBe('6..........')
    // Keeping nothing for the huge body left the others in place.
    expect((await cache.get('c', sized(4))).body.toString()).toBe('3...')
  })
})
