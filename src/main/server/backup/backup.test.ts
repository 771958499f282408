import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import sharp from 'sharp'
import { create as tarCreate, extract as tarExtract, list as tarList } from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import { loginAsAdmin } from '../../../../test/helpers/admin'
import { AppError } from '../errors'
import { createBackup, createBackupService, restoreBackup, type Manifest } from '.'
import type { DataLayout } from './layout'

const SITE = 'https://blog.example'
const dirs: string[] = []
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `starpunk-backup-${prefix}-`))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const layoutOf = (ts: TestServer): DataLayout => {
  const { config } = ts.server.context
  return { dataDir: config.dataDir, databasePath: config.databasePath, mediaDir: config.mediaDir, nativeBinding: null }
}

async function upload(ts: TestServer, colour: string) {
  const { media } = ts.server.context
  const temp = media.tempPath()
  await sharp({ create: { width: 700, height: 500, channels: 3, background: colour } }).jpeg().toFile(temp)
  return media.storeTempFile(temp, { declaredType: 'image/jpeg', declaredName: 'photo.jpg' })
}

/** The code of what a promise rejects with (it must reject with a catalog error). */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    return (err as AppError).code
  }
  throw new Error('expected a refusal')
}

/** Every same-site URL reachable from the home page (pages, notes, tags, feeds, media), as paths. */
async function crawl(base: string): Promise<string[]> {
  const seen = new Set<string>(['/', '/feed.rss', '/feed.atom', '/feed.json', '/opml.xml', '/search?q=loop', '/notes/no-such-note'])
  const queue = [...seen]
  while (queue.length > 0) {
    const path = queue.shift() as string
    const res = await fetch(base + path, { headers: { 'x-request-id': 'crawl' } })
    const type = res.headers.get('content-type') ?? ''
    if (!/html|xml|json/.test(type)) continue
    const text = await res.text()
    for (const match of text.matchAll(/(?:href|src|url)="([^"]+)"|<link>([^<]+)<\/link>|"(?:url|id|image)":\s*"([^"]+)"/g)) {
      const raw = (match[1] ?? match[2] ?? match[3] ?? '').replace(/&amp;/g, '&')
      const url = new URL(raw, SITE + path)
      if (url.origin !== SITE) continue
      const next = url.pathname + url.search
      if (/^\/(admin|indieauth|micropub|auth|\.well-known|health|metrics|webmention)/.test(next) || seen.has(next)) continue
      seen.add(next)
      queue.push(next)
    }
  }
  return [...seen].sort()
}

describe('back up while writes run, restore, and serve the same blog', () => {
  let original: TestServer
  let restored: TestServer
  let archive: string
  const loopSlugs: string[] = []
  let writesDuringBackup = 0

  beforeAll(async () => {
    // The same site URL for both servers, so absolute links in pages and feeds can be compared byte for byte.
    original = await startTestServer({ STARPUNK_SITE_URL: SITE, STARPUNK_NOTES_PER_PAGE: '5' })
    const { micropub } = original.server.context
    const red = await upload(original, '#c33')
    const blue = await upload(original, '#33c')
    await micropub.create('entry', { content: ['A red photo'], photo: [{ value: red.url, alt: 'Red' }], category: ['colour'] }, { 'mp-slug': ['red'] })
    await micropub.create('entry', { content: ['A blue photo'], photo: [{ value: blue.url, alt: 'Blue' }], category: ['colour', 'blue'] }, { 'mp-slug': ['blue'] })
    for (let i = 0; i < 12; i++) await micropub.create('entry', { content: [`Note ${i} with **Markdown** and a [link](https://example.org/${i})`], category: [`tag${i % 3}`] }, {})

    // Micropub writes in a loop on the real server while the backup runs.
    let stop = false
    let backingUp = false
    const loop = (async () => {
      for (let i = 0; !stop; i++) {
        const slug = `loop-${i}`
        await micropub.create('entry', { content: [`Written in the loop, number ${i}`], category: ['loop'] }, { 'mp-slug': [slug] })
        loopSlugs.push(slug)
        if (backingUp) writesDuringBackup++
      }
    })()
    while (loopSlugs.length < 3) await new Promise((r) => setTimeout(r, 5))
    const backups = original.server.consolePort.backups
    if (!backups) throw new Error('the server has no backups')
    backingUp = true
    const info = await backups.runNow()
    backingUp = false
    stop = true
    await loop
    archive = join(original.dataDir, 'backups', info.file)

    const target = join(tempDir('restore'), 'data')
    await restoreBackup({ file: archive, dataDir: target })
    restored = await startTestServer({ STARPUNK_SITE_URL: SITE, STARPUNK_NOTES_PER_PAGE: '5' }, { dataDir: target })
  }, 120_000)

  afterAll(async () => {
    await restored?.close()
    await original?.close()
  })

  it('wrote while the backup ran, and the copy is one consistent moment: a prefix of the loop', async () => {
    expect(writesDuringBackup).toBeGreaterThan(0)
    const inCopy = (await restored.server.context.notes.list({ limit: 1000, offset: 0, includeDrafts: true })).notes.map((n) => n.slug).filter((s) => s.startsWith('loop-'))
    const k = inCopy.length
    expect(k).toBeGreaterThanOrEqual(3)
    expect(new Set(inCopy)).toEqual(new Set(loopSlugs.slice(0, k)))
  })

  it('serves every public page, feed and media file with the same body as the original (after the notes written later are removed there)', async () => {
    // What differs, exactly: notes the loop wrote after the copy was taken. Remove them from the original.
    const inCopy = new Set((await restored.server.context.notes.list({ limit: 1000, offset: 0, includeDrafts: true })).notes.map((n) => n.slug))
    const later = loopSlugs.filter((s) => !inCopy.has(s))
    for (const slug of later) {
      await original.server.context.notes.remove(slug)
      await original.server.context.notes.purge(slug)
    }
    const paths = await crawl(original.url)
    expect(paths.filter((p) => p.startsWith('/notes/')).length).toBeGreaterThan(14)
    expect(paths.some((p) => p.startsWith('/media/'))).toBe(true)
    expect(paths.some((p) => p.startsWith('/tags/'))).toBe(true)
    expect(paths.some((p) => p.includes('page=2'))).toBe(true)
    expect(await crawl(restored.url)).toEqual(paths)
    for (const path of paths) {
      const [a, b] = await Promise.all([original.url, restored.url].map((base) => fetch(base + path, { headers: { 'x-request-id': 'compare' } })))
      expect({ path, status: b?.status }).toEqual({ path, status: a?.status })
      const [bodyA, bodyB] = await Promise.all([a, b].map(async (res) => Buffer.from(await (res as Response).arrayBuffer())))
      expect(bodyB?.equals(bodyA as Buffer), `body of ${path}`).toBe(true)
    }
  })

  it('keeps the session secret and config, so sessions and settings survive', () => {
    expect(readFileSync(join(restored.dataDir, 'session-secret'), 'utf8')).toBe(readFileSync(join(original.dataDir, 'session-secret'), 'utf8'))
    expect(restored.server.context.config.sessionSecret).toBe(original.server.context.config.sessionSecret)
  })

  it('writes the archive with mode 0600, and restored files private', () => {
    expect(statSync(archive).mode & 0o777).toBe(0o600)
    expect(statSync(join(restored.dataDir, 'session-secret')).mode & 0o777).toBe(0o600)
    // Nothing but the archive is left in the backups folder (no staging folder, no temp file).
    expect(readdirSync(join(original.dataDir, 'backups'))).toEqual([archive.split('/').pop()])
  })
})

describe('archives', () => {
  let ts: TestServer
  let good: string
  beforeAll(async () => {
    ts = await startTestServer({ STARPUNK_SITE_URL: SITE })
    const photo = await upload(ts, '#3c3')
    await ts.server.context.micropub.create('entry', { content: ['Hello'], photo: [photo.url] }, {})
    writeFileSync(join(ts.dataDir, 'config.json'), JSON.stringify({ STARPUNK_SITE_NAME: 'Backed up' }))
    good = join(tempDir('good'), 'good.tar.gz')
    await createBackup({ layout: layoutOf(ts), file: good, appVersion: 'test' })
  }, 60_000)
  afterAll(async () => {
    await ts.close()
  })

  /** Unpack `good`, let `change` alter the files (the manifest is rewritten to match unless told not to), pack again. */
  async function altered(change: (dir: string) => void, options: { rehash?: boolean; extra?: string[]; preservePaths?: boolean } = {}): Promise<string> {
    const dir = tempDir('alter')
    const inner = join(dir, 'x')
    mkdirSync(inner)
    await tarExtract({ file: good, cwd: inner })
    change(inner)
    if (options.rehash !== false) {
      const manifest = JSON.parse(readFileSync(join(inner, 'manifest.json'), 'utf8')) as Manifest
      for (const f of manifest.files) {
        const bytes = readFileSync(join(inner, f.path))
        f.size = bytes.length
        f.sha256 = createHash('sha256').update(bytes).digest('hex')
      }
      writeFileSync(join(inner, 'manifest.json'), JSON.stringify(manifest))
    }
    const file = join(dir, 'altered.tar.gz')
    await tarCreate({ gzip: true, cwd: inner, file, portable: true, preservePaths: options.preservePaths ?? false }, readdirSync(inner).concat(options.extra ?? []))
    return file
  }

  it('holds the databases, media, config and secret, and nothing else', async () => {
    const paths: string[] = []
    await tarList({ file: good, onReadEntry: (e) => void paths.push(e.path) })
    expect(paths).toEqual(expect.arrayContaining(['manifest.json', 'starpunk.db', 'metrics.db', 'config.json', 'session-secret']))
    expect(paths.filter((p) => p.startsWith('media/') && p.endsWith('.jpg')).length).toBeGreaterThan(1)
    expect(paths.every((p) => /^(manifest\.json|starpunk\.db|metrics\.db|config\.json|session-secret|media\/.*)$/.test(p))).toBe(true)
    expect(statSync(good).mode & 0o777).toBe(0o600)
  })

  it('never overwrites an existing file', async () => {
    expect(await refusal(createBackup({ layout: layoutOf(ts), file: good, appVersion: 'test' }))).toBe('BACKUP_FILE_EXISTS')
  })

  it('restores into a new dir, with the config and media', async () => {
    const target = join(tempDir('ok'), 'data')
    const result = await restoreBackup({ file: good, dataDir: target })
    expect(result.sessionSecret).toBe('file')
    expect(JSON.parse(readFileSync(join(target, 'config.json'), 'utf8'))).toEqual({ STARPUNK_SITE_NAME: 'Backed up' })
    expect(readdirSync(join(target, 'media'))).toEqual(readdirSync(ts.server.context.config.mediaDir).filter((n) => !n.startsWith('.')).sort())
    const conn = new Database(join(target, 'starpunk.db'), { readonly: true })
    expect(conn.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 1 })
    conn.close()
    expect(readdirSync(join(target, '..'))).toEqual(['data'])
  })

  it('refuses a non-empty target, unless --replace, which moves it aside', async () => {
    const target = join(tempDir('busy'), 'data')
    mkdirSync(target)
    writeFileSync(join(target, 'keep.txt'), 'mine')
    expect(await refusal(restoreBackup({ file: good, dataDir: target }))).toBe('RESTORE_TARGET_NOT_EMPTY')
    expect(readdirSync(target)).toEqual(['keep.txt'])
    const result = await restoreBackup({ file: good, dataDir: target, replace: true })
    expect(result.movedAside).not.toBeNull()
    expect(readFileSync(join(result.movedAside as string, 'keep.txt'), 'utf8')).toBe('mine')
    expect(readdirSync(target)).toContain('starpunk.db')
  })

  it('restores into an empty existing dir', async () => {
    const target = tempDir('empty')
    await restoreBackup({ file: good, dataDir: target })
    expect(readdirSync(target)).toContain('starpunk.db')
  })

  it('refuses a missing file, a file that is not an archive, and a cut-short archive', async () => {
    const dir = tempDir('bad')
    expect(await refusal(restoreBackup({ file: join(dir, 'nope.tar.gz'), dataDir: join(dir, 'a') }))).toBe('BACKUP_NOT_FOUND')
    writeFileSync(join(dir, 'notes.txt'), 'just some text, not a backup')
    expect(await refusal(restoreBackup({ file: join(dir, 'notes.txt'), dataDir: join(dir, 'b') }))).toBe('BACKUP_NOT_AN_ARCHIVE')
    const bytes = readFileSync(good)
    writeFileSync(join(dir, 'cut.tar.gz'), bytes.subarray(0, Math.floor(bytes.length / 2)))
    expect(await refusal(restoreBackup({ file: join(dir, 'cut.tar.gz'), dataDir: join(dir, 'c') }))).toBe('BACKUP_CORRUPT')
    // A gzip'd file that holds no manifest is not ours either.
    const other = join(dir, 'other')
    mkdirSync(other)
    writeFileSync(join(other, 'config.json'), '{}')
    await tarCreate({ gzip: true, cwd: other, file: join(dir, 'other.tar.gz') }, ['config.json'])
    expect(await refusal(restoreBackup({ file: join(dir, 'other.tar.gz'), dataDir: join(dir, 'd') }))).toBe('BACKUP_NOT_AN_ARCHIVE')
    expect(readdirSync(dir).sort()).toEqual(['cut.tar.gz', 'notes.txt', 'other', 'other.tar.gz'])
  })

  it('refuses path traversal, absolute paths, symbolic links and unexpected entries, writing nothing', async () => {
    const outside = tempDir('outside')
    const cases: Array<[string, string]> = [
      [await altered((d) => writeFileSync(join(d, '..', 'evil.txt'), 'x'), { extra: ['../evil.txt'], preservePaths: true }), 'traversal'],
      [await altered(() => writeFileSync(join(outside, 'abs.txt'), 'x'), { extra: [join(outside, 'abs.txt')], preservePaths: true }), 'absolute'],
      [await altered((d) => symlinkSync('/etc/passwd', join(d, 'media', 'link.jpg')), { rehash: false }), 'symlink'],
      [await altered((d) => writeFileSync(join(d, 'run.sh'), 'echo hi'), { rehash: false }), 'unexpected file'],
      [await altered((d) => mkdirSync(join(d, 'media', 'sub'))), 'unexpected folder'],
    ]
    for (const [file, label] of cases) {
      const parent = tempDir('refused')
      const code = await refusal(restoreBackup({ file, dataDir: join(parent, 'data') }))
      expect({ label, code }).toEqual({ label, code: 'BACKUP_UNSAFE_ENTRY' })
      expect(readdirSync(parent), label).toEqual([])
    }
    expect(readdirSync(outside)).toEqual(['abs.txt'])
  })

  it('refuses a damaged database (even with a matching manifest) and a file that does not match its checksum', async () => {
    const damaged = await altered((d) => {
      const path = join(d, 'starpunk.db')
      const bytes = readFileSync(path)
      // Page 2 onwards: B-tree pages the integrity check reads.
      bytes.fill(0xa5, 4096, Math.min(bytes.length, 4096 * 6))
      writeFileSync(path, bytes)
    })
    const parent = tempDir('corrupt')
    expect(await refusal(restoreBackup({ file: damaged, dataDir: join(parent, 'data') }))).toBe('BACKUP_CORRUPT')
    expect(readdirSync(parent)).toEqual([])
    const notDb = await altered((d) => writeFileSync(join(d, 'starpunk.db'), 'not a database at all'))
    expect(await refusal(restoreBackup({ file: notDb, dataDir: join(parent, 'data') }))).toBe('BACKUP_CORRUPT')
    const mismatched = await altered((d) => writeFileSync(join(d, 'config.json'), '{"STARPUNK_SITE_NAME":"Changed"}'), { rehash: false })
    expect(await refusal(restoreBackup({ file: mismatched, dataDir: join(parent, 'data') }))).toBe('BACKUP_CORRUPT')
    expect(readdirSync(parent)).toEqual([])
  })

  it('fails with BACKUP_FAILED, leaving nothing behind, when the archive cannot be written there', async () => {
    const dir = tempDir('blocked')
    // A file where the folder should be: refused whoever runs the test (root ignores permissions).
    writeFileSync(join(dir, 'folder'), 'a file')
    expect(await refusal(createBackup({ layout: layoutOf(ts), file: join(dir, 'folder', 'x.tar.gz'), appVersion: 'test' }))).toBe('BACKUP_FAILED')
    expect(readdirSync(dir)).toEqual(['folder'])
    // No staging folder left in the data dir either.
    expect(readdirSync(join(ts.dataDir, 'backups'))).toEqual([])
  })
})

describe('"Back up now" keeps the newest N', () => {
  it('prunes the oldest beyond STARPUNK_BACKUP_KEEP and reports the last one', async () => {
    const ts = await startTestServer({ STARPUNK_BACKUP_KEEP: '2' })
    try {
      let clock = Date.UTC(2026, 0, 1, 12)
      const service = createBackupService({ layout: layoutOf(ts), keep: 2, appVersion: 'test', logger: ts.server.context.logger, now: () => new Date((clock += 60_000)) })
      expect((await service.status()).last).toBeNull()
      const made = []
      for (let i = 0; i < 4; i++) made.push(await service.runNow())
      expect(readdirSync(join(ts.dataDir, 'backups')).sort()).toEqual([made[2]?.file, made[3]?.file].sort())
      const status = await service.status()
      expect(status).toMatchObject({ running: false, count: 2, keep: 2, last: { file: made[3]?.file, createdAt: '2026-01-01T12:04:00.000Z' } })
      // One at a time: a second call while one runs is refused.
      const first = service.runNow()
      expect(await refusal(service.runNow())).toBe('BACKUP_IN_PROGRESS')
      await first
    } finally {
      await ts.close()
    }
  })

  it('the console call over HTTP and the admin form (with CSRF) back up, and the dashboard shows the time', async () => {
    const ts = await startTestServer({ STARPUNK_BACKUP_KEEP: '3' })
    try {
      const admin = await loginAsAdmin(ts)
      const call = (name: string) =>
        fetch(`${ts.url}/admin/console/api/call/${name}`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, 'content-type': 'application/json' }, body: '{}' })
      const before = (await (await call('backup:status')).json()) as { ok: boolean; data: { last: unknown } }
      expect(before).toMatchObject({ ok: true, data: { last: null, keep: 3 } })
      const ran = await call('backup:run')
      expect(ran.status).toBe(200)
      const body = (await ran.json()) as { ok: boolean; data: { file: string; createdAt: string; bytes: number } }
      expect(body.ok).toBe(true)
      expect(statSync(join(ts.dataDir, 'backups', body.data.file)).mode & 0o777).toBe(0o600)
      const after = (await (await call('backup:status')).json()) as { data: { last: { file: string } } }
      expect(after.data.last.file).toBe(body.data.file)

      // Without the CSRF token the form changes nothing.
      const forged = await fetch(`${ts.url}/admin/backup`, { method: 'POST', redirect: 'manual', headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: '' })
      expect(forged.status).toBe(403)
      expect(readdirSync(join(ts.dataDir, 'backups'))).toHaveLength(1)
      const posted = await fetch(`${ts.url}/admin/backup`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ _csrf: admin.csrfToken }).toString(),
      })
      expect(posted.status).toBe(303)
      expect(readdirSync(join(ts.dataDir, 'backups'))).toHaveLength(2)
      const dashboard = await (await fetch(`${ts.url}/admin?done=backup`, { headers: { cookie: admin.cookie, accept: 'text/html' } })).text()
      const last = (await ts.server.consolePort.backups?.status())?.last
      expect(dashboard).toContain(`<time dateTime="${last?.createdAt}">`)
      expect(dashboard).toContain('Back up now')
    } finally {
      await ts.close()
    }
  })
})
