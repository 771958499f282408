/**
 * Crash safety: kill -9 the server again and again while clients create and edit notes over Micropub and
 * the admin form, and upload photos to the media endpoint. After every kill, before restarting: every
 * acknowledged (2xx) write is present and intact, no note holds anything but a whole version a client sent,
 * PRAGMA integrity_check is ok, the search index agrees with the notes, and every media row has all its
 * variant files whole (no orphan row). After the restart: no temp file and no variant without a row is left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import sharp from 'sharp'
import { newDataDir, startServer, type ServerProcess } from './harness/process'
import { request } from './harness/http'
import { csrfFor, signInWithLink, type AdminSession } from './harness/admin'
import { createRng } from './harness/prng'
import { recordSecret } from './harness/secrets'
import { recordFigure } from './harness/figures'

const ROUNDS = Number(process.env.CHAOS_CRASH_ROUNDS ?? 20)
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31))
const CLIENTS = 4

interface NoteHistory {
  /** Every content version a client sent for this note, in order. */
  sent: string[]
  /** The index in `sent` of the latest acknowledged version (-1: the create was never acknowledged). */
  ackedIndex: number
}

const dataDir = newDataDir('crash')
const mediaDir = join(dataDir, 'media')
/** A multipart body with one photo for the media endpoint (a photo-sized JPEG: processing takes a while). */
let uploadBody: Buffer = Buffer.alloc(0)
const BOUNDARY = 'chaosphotoboundary'
/** Served media names (largest and variants): uploads and files left in the media dir are checked by these. */
const MEDIA_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(?:-\d{2,4})?\.(?:jpg|png|gif|webp|avif)$/
let token = ''
let admin: AdminSession | null = null
let server: ServerProcess | null = null

beforeAll(async () => {
  const photo = await sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 50 } } })
    .jpeg({ quality: 90 })
    .toBuffer()
  uploadBody = Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`, 'latin1'),
    photo,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`, 'latin1'),
  ])
  server = await startServer({ dataDir, setup: true })
  token = server.token ?? ''
  recordSecret('personal token', token)
  recordSecret('login link', server.loginLink)
  if (server.loginLink) {
    admin = await signInWithLink(server.url, server.loginLink)
    recordSecret('session cookie', admin.cookie.split('=')[1])
  }
})
afterAll(async () => {
  await server?.stop()
})

function content(rng: ReturnType<typeof createRng>, marker: string): string {
  // Big enough to span several pages, so a torn write would show; self-describing with its own hash.
  const words = Array.from({ length: 200 + rng.int(2000) }, () => rng.pick(['alpha', 'beta', 'gamma', 'delta', 'lorem', 'ipsum', 'stern', 'punk', 'note', 'kill']))
  const body = `${marker} ${words.join(' ')}`
  return `${body} sha${createHash('sha256').update(body).digest('hex').slice(0, 16)}`
}

function slugFromLocation(location: string | string[] | undefined): string | null {
  if (typeof location !== 'string') return null
  const m = /\/(?:admin\/)?notes\/([^/?#]+)/.exec(new URL(location, 'http://x').pathname)
  return m ? decodeURIComponent(m[1]!) : null
}

describe(`crash safety (seed ${SEED}, ${ROUNDS} kill -9 rounds)`, () => {
  it('every acknowledged write survives kill -9 whole; integrity and search index hold', async () => {
    expect(token, 'the micropub/tokens capability must mint a personal token').not.toBe('')
    expect(admin, 'the auth capability must issue a login link for the admin form').not.toBeNull()
    const rng = createRng(SEED)
    const notes = new Map<string, NoteHistory>()
    /** Creates in flight whose slug we do not know yet: their content may or may not be in the database. */
    const unackedCreates = new Set<string>()
    let acked = 0
    let attempted = 0
    let seq = 0
    const problems: string[] = []
    const timings: number[] = []
    /** Media files acknowledged with 201: they must be there, with a row, after every crash. */
    const uploads = new Set<string>()
    let uploadsAcked = 0
    let uploadsAttempted = 0
    const startTimings: number[] = []
    /** How long each round's warm-up upload took, with no other client running. */
    const uploadTimings: number[] = []

    for (let round = 1; round <= ROUNDS; round++) {
      const startAt = Date.now()
      if (!server || !server.alive()) server = await startServer({ dataDir })
      startTimings.push(Date.now() - startAt)
      // Start-up removed what the crash left: temp files of half-processed uploads, variants without a row.
      if (existsSync(mediaDir)) {
        const db = new Database(join(dataDir, 'starpunk.db'), { readonly: true })
        try {
          const known = new Set((db.prepare('SELECT filename FROM media_variants UNION SELECT filename FROM media').all() as Array<{ filename: string }>).map((r) => r.filename))
          for (const name of readdirSync(mediaDir)) {
            if (name.endsWith('.tmp')) problems.push(`round ${round}: temp file ${name} left after the restart`)
            else if (MEDIA_FILE.test(name) && !known.has(name)) problems.push(`round ${round}: media file ${name} without a row after the restart`)
          }
        } finally {
          db.close()
        }
      }
      const url = server.url
      if (admin) admin.csrf = await csrfFor(url, admin.cookie)
      /** One photo to the media endpoint, with the Micropub token. */
      const upload = (base: string) =>
        request(base, '/micropub/media', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
          body: uploadBody,
          timeoutMs: 60_000,
        })
      let killed = false
      const editing = new Set<string>()
      // sharp (libvips) loads with a process's first image, not at start-up (the idle footprint): each round
      // makes one upload before the kill clock starts, so the uploads inside the window are not all that first,
      // slow one. Warm-up uploads are checked after every later kill like the rest, but are not counted as
      // acknowledged below (the assertions at the end are about writes the kill could cut).
      const warmStartedAt = Date.now()
      const warm = await upload(url)
      uploadTimings.push(Date.now() - warmStartedAt)
      if (warm.status === 201 && typeof warm.headers.location === 'string') uploads.add(new URL(warm.headers.location).pathname.slice('/media/'.length))
      else problems.push(`round ${round}: warm-up upload → ${warm.status} ${warm.text.slice(0, 200)}`)
      const roundStart = Date.now()

      const client = async (clientId: number) => {
        while (!killed) {
          const marker = `zq${round}x${clientId}x${++seq}`
          // One editor per note at a time: with two concurrent edits the server may order them either way,
          // and "the later acknowledgement wins" would no longer be a property of the server.
          const known = [...notes.entries()].filter(([slug, h]) => h.ackedIndex >= 0 && !editing.has(slug))
          const op =
            clientId === 0 && rng.bool(0.5)
              ? 'upload'
              : known.length === 0 || rng.bool(0.5)
                ? rng.bool(0.6)
                  ? 'mp-create'
                  : 'form-create'
                : rng.bool(0.5)
                  ? 'mp-update'
                  : 'form-update'
          const text = content(rng, marker)
          attempted++
          try {
            if (op === 'upload') {
              uploadsAttempted++
              const reply = await upload(url)
              const location = reply.headers.location
              if (reply.status === 201 && typeof location === 'string') {
                uploads.add(new URL(location).pathname.slice('/media/'.length))
                uploadsAcked++
                acked++
              } else if (reply.status >= 500 && reply.status !== 503) problems.push(`upload → ${reply.status} ${reply.text.slice(0, 200)}`)
            } else if (op === 'mp-create' || op === 'form-create') {
              unackedCreates.add(text)
              const reply =
                op === 'mp-create'
                  ? await request(url, '/micropub', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: ['h-entry'], properties: { content: [text] } }) })
                  : await request(url, '/admin/notes', {
                      method: 'POST',
                      headers: { cookie: admin!.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
                      body: new URLSearchParams({ content: text, tags: 'chaos', published: '1', _csrf: admin!.csrf }).toString(),
                    })
              const slug = slugFromLocation(reply.headers.location)
              if ((reply.status === 201 || reply.status === 303) && slug) {
                unackedCreates.delete(text)
                notes.set(slug, { sent: [text], ackedIndex: 0 })
                acked++
              } else if (reply.status >= 500 && reply.status !== 503) problems.push(`${op} → ${reply.status} ${reply.text.slice(0, 200)}`)
            } else {
              const [slug, history] = rng.pick(known)
              editing.add(slug)
              history.sent.push(text)
              const index = history.sent.length - 1
              const reply =
                op === 'mp-update'
                  ? await request(url, '/micropub', {
                      method: 'POST',
                      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                      body: JSON.stringify({ action: 'update', url: `http://127.0.0.1:8080/notes/${encodeURIComponent(slug)}`, replace: { content: [text] } }),
                    })
                  : await request(url, `/admin/notes/${encodeURIComponent(slug)}`, {
                      method: 'POST',
                      headers: { cookie: admin!.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
                      body: new URLSearchParams({ content: text, tags: 'chaos', published: '1', _csrf: admin!.csrf }).toString(),
                    })
              editing.delete(slug)
              if (reply.status === 204 || reply.status === 200 || reply.status === 303) {
                history.ackedIndex = index
                acked++
              } else if (reply.status >= 500 && reply.status !== 503) problems.push(`${op} → ${reply.status} ${reply.text.slice(0, 200)}`)
            }
          } catch {
            // Connection cut by the kill: this write was not acknowledged. The note stays locked for this
            // round (its fate is only known after the restart), so nobody edits it on top.
          }
        }
      }
      const clients = Array.from({ length: CLIENTS }, (_, i) => client(i))
      // The kill comes at a random moment of a window long enough for an upload to finish while the other
      // clients write (the window scales with this machine's warm-up upload, at least 1.2 s): some uploads are
      // cut mid-processing, some are acknowledged first. A fixed window left every upload cut on a slow runner.
      const windowMs = Math.max(1200, 4 * uploadTimings[uploadTimings.length - 1]!)
      await new Promise((r) => setTimeout(r, 300 + rng.int(windowMs)))
      killed = true
      await server.kill9()
      await Promise.all(clients)
      timings.push(Date.now() - roundStart)

      // Inspect the files exactly as the crash left them (SQLite recovers the WAL on open).
      const db = new Database(join(dataDir, 'starpunk.db'))
      try {
        const integrity = db.pragma('integrity_check', { simple: true })
        if (integrity !== 'ok') problems.push(`round ${round}: integrity_check = ${String(integrity)}`)
        const rows = db.prepare('SELECT id, slug, content, updated_at, deleted_at FROM notes').all() as Array<{ id: number; slug: string; content: string; updated_at: string; deleted_at: string | null }>
        const bySlug = new Map(rows.map((r) => [r.slug, r]))
        for (const [slug, history] of notes) {
          const row = bySlug.get(slug)
          if (!row) {
            problems.push(`round ${round}: acknowledged note ${slug} is missing`)
            continue
          }
          // Acceptable: the last acknowledged version, or a later one that was sent (committed, reply lost).
          const acceptable = history.sent.slice(history.ackedIndex)
          if (!acceptable.includes(row.content)) {
            const everSent = history.sent.includes(row.content)
            problems.push(`round ${round}: note ${slug} holds ${everSent ? 'an older version than the acknowledged one' : 'content no client sent (torn?)'}`)
          }
        }
        for (const row of rows) {
          if (!bySlug.has(row.slug) || notes.has(row.slug)) continue
        }
        const unknown = rows.filter((r) => !notes.has(r.slug) && !unackedCreates.has(r.content))
        for (const r of unknown) problems.push(`round ${round}: note ${r.slug} holds content no client sent`)
        // Notes created but never acknowledged are legitimate (committed, reply lost): adopt them.
        for (const r of rows) {
          if (!notes.has(r.slug) && unackedCreates.has(r.content)) {
            notes.set(r.slug, { sent: [r.content], ackedIndex: 0 })
            unackedCreates.delete(r.content)
          }
        }
        unackedCreates.clear()
        // The search index is written in the same transaction as the note: it must agree after any crash.
        const docs = new Map((db.prepare('SELECT note_id, source_updated_at FROM search_documents').all() as Array<{ note_id: number; source_updated_at: string }>).map((d) => [d.note_id, d.source_updated_at]))
        for (const r of rows) {
          if (r.deleted_at) continue
          if (docs.get(r.id) !== r.updated_at) problems.push(`round ${round}: search index ${docs.has(r.id) ? 'stale' : 'missing'} for note ${r.slug}`)
        }
        const ids = new Set(rows.map((r) => r.id))
        for (const id of docs.keys()) if (!ids.has(id)) problems.push(`round ${round}: search index row for a note that does not exist (${id})`)
        // Media: a row only once all its files are whole (written, fsync'd and renamed before the row).
        const media = db.prepare('SELECT id, filename FROM media').all() as Array<{ id: number; filename: string }>
        const variants = db.prepare('SELECT filename, media_id, bytes FROM media_variants').all() as Array<{ filename: string; media_id: number; bytes: number }>
        for (const row of media) {
          const own = variants.filter((v) => v.media_id === row.id)
          if (!own.some((v) => v.filename === row.filename)) problems.push(`round ${round}: media row ${row.filename} without its largest variant`)
          for (const v of own) {
            const path = join(mediaDir, v.filename)
            if (!existsSync(path)) problems.push(`round ${round}: media row ${row.filename} lacks its file ${v.filename} (orphan row)`)
            else if (statSync(path).size !== v.bytes) problems.push(`round ${round}: ${v.filename} is ${statSync(path).size} bytes, its row says ${v.bytes} (half file)`)
          }
        }
        const stored = new Set(media.map((m) => m.filename))
        for (const name of uploads) if (!stored.has(name)) problems.push(`round ${round}: acknowledged upload ${name} is missing`)
      } finally {
        db.close()
      }
      if (problems.length > 20) break
    }

    // One last restart: the server comes up on the crashed files, serves an acknowledged note and finds it.
    server = await startServer({ dataDir })
    const sample = [...notes.entries()].filter(([, h]) => h.ackedIndex >= 0).slice(-3)
    for (const [slug, history] of sample) {
      const page = await request(server.url, `/notes/${encodeURIComponent(slug)}`)
      expect(page.status, slug).toBe(200)
      const acceptableMarkers = history.sent.slice(history.ackedIndex).map((t) => t.split(' ')[0]!)
      expect(acceptableMarkers.some((m) => page.text.includes(m)), `${slug} page shows an acceptable version`).toBe(true)
    }
    for (const name of [...uploads].slice(-2)) {
      const served = await request(server.url, `/media/${name}`)
      expect(served.status, name).toBe(200)
    }
    const figures = { seed: SEED, rounds: ROUNDS, roundMs: timings, startMs: startTimings, warmUploadMs: uploadTimings, writesAttempted: attempted, writesAcknowledged: acked, uploadsAttempted, uploadsAcknowledged: uploadsAcked, notes: notes.size, problems: problems.length }
    process.stdout.write(`crash: ${JSON.stringify(figures)}\n`)
    recordFigure('crash', figures)
    expect(problems, problems.slice(0, 20).join('\n')).toEqual([])
    expect(acked, 'the clients must get writes acknowledged for the test to mean anything').toBeGreaterThan(ROUNDS)
    expect(uploadsAcked, 'some uploads must be acknowledged for the media checks to mean anything').toBeGreaterThan(0)
  })
})
