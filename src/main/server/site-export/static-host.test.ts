import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseFeed } from '@rowanmanning/feed-parser'
import { mf2 } from 'microformats-parser'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentedConfig, substitute } from '../../../../test/helpers/deployment-doc'
import { freePort, nginxMainConfig, proxyTempDir, removeDir, startNginx, type ProxyProcess } from '../../../../test/helpers/reverse-proxy'
import { startTestServer, type TestServer } from '../../../../test/helpers/server'
import type { StoredMedia } from '../media'
import { DATA_EXPORT_FOLDER, MANIFEST_NAME } from '.'

// The static copy, served by real nginx with the block docs/deployment.md gives, against the live server:
// every public URL's mf2 (pages) or bytes (feeds, media, CSS) the same; deleted notes 410; re-exports
// rewrite only the files whose bytes changed.

let ts: TestServer
let nginxDir: string
let nginx: ProxyProcess
let mirrorUrl: string
let exportDir: string
let photo: StoredMedia
const slugs: Record<string, string> = {}

async function upload(width: number, height: number, colour: string): Promise<StoredMedia> {
  const { media } = ts.server.context
  const temp = media.tempPath()
  await sharp({ create: { width, height, channels: 3, background: colour } }).jpeg().toFile(temp)
  return media.storeTempFile(temp, { declaredType: 'image/jpeg', declaredName: 'photo.jpg' })
}

async function exportNow() {
  const outcome = await ts.server.context.siteExport.actions.run('data')
  expect(outcome.ok, outcome.message).toBe(true)
  return outcome
}

/** Every file of the copy (relative path → bytes), the manifest left out. */
function snapshot(): Map<string, { bytes: Buffer; ino: number; mtimeMs: number }> {
  const files = new Map<string, { bytes: Buffer; ino: number; mtimeMs: number }>()
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name !== MANIFEST_NAME) {
        const info = statSync(full)
        files.set(relative(exportDir, full), { bytes: readFileSync(full), ino: info.ino, mtimeMs: info.mtimeMs })
      }
    }
  }
  walk(exportDir)
  return files
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: 'manual' })
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) }
}

/** The live URL path for the mirror: `?page=N` lists become `/page/N/` paths. */
function mirrorPath(path: string): string {
  const [base, query] = path.split('?')
  const page = /^page=(\d+)$/.exec(query ?? '')
  return page ? `${base!.replace(/\/$/, '')}/page/${page[1]}/` : base!
}

const ENDPOINT_RELS = ['micropub', 'webmention', 'indieauth-metadata', 'authorization_endpoint', 'token_endpoint']

beforeAll(async () => {
  ts = await startTestServer({ STARPUNK_NOTES_PER_PAGE: '2', STARPUNK_AUTHOR_NAME: 'Ada' })
  exportDir = join(ts.dataDir, DATA_EXPORT_FOLDER)
  photo = await upload(1200, 900, '#c33')
  const { notes, micropub } = ts.server.context
  slugs.first = (await notes.create({ content: '# First note\n\nHello **world**.', tags: ['IndieWeb', 'node.js'] })).slug
  slugs.umlaut = (await notes.create({ content: '# Grüße aus Köln\n\nUnicode slug.', tags: ['IndieWeb'] })).slug
  const photoUrl = (await micropub.create('entry', { content: ['A red photo'], photo: [{ value: photo.url, alt: 'Red field' }], category: ['photos'] }, {})).location
  slugs.photo = new URL(photoUrl).pathname.split('/').pop()!
  slugs.edited = (await notes.create({ content: 'A note that will be edited.', tags: ['edits'] })).slug
  slugs.doomed = (await notes.create({ content: 'A note that will be deleted.', tags: ['doomed'] })).slug
  slugs.last = (await notes.create({ content: 'The newest note, linking [home](/).' })).slug
  await notes.create({ content: 'A draft nobody sees.', published: false })
  await notes.remove((await notes.create({ content: 'Deleted before any export.' })).slug)
  await exportNow()

  // nginx's workers run as another user: let them into the (temp) data dir to read the copy.
  chmodSync(ts.dataDir, 0o755)
  nginxDir = proxyTempDir('starpunk-mirror-nginx-')
  const port = await freePort()
  mirrorUrl = `http://127.0.0.1:${port}`
  const block = substitute(documentedConfig('nginx-mirror'), [
    ['listen 80;', `listen 127.0.0.1:${port};`],
    ['root /srv/starpunk-mirror;', `root ${exportDir};`],
  ])
  const confPath = join(nginxDir, 'nginx.conf')
  writeFileSync(confPath, nginxMainConfig(nginxDir, block))
  nginx = await startNginx(nginxDir, confPath, port)
})

afterAll(async () => {
  await nginx?.stop()
  removeDir(nginxDir)
  await ts?.close()
})

/** The live site's public URLs, read from what it links (lists page by page until no next one). */
async function publicPaths(): Promise<{ pages: string[]; files: string[] }> {
  const pages = new Set<string>(['/search'])
  const lists = ['/', '/type/note', ...['indieweb', 'node.js', 'photos', 'edits', 'doomed'].map((t) => `/tags/${encodeURIComponent(t)}`)]
  for (const list of lists) {
    for (let page = 1; ; page += 1) {
      const path = page === 1 ? list : `${list}?page=${page}`
      const res = await get(`${ts.url}${path}`)
      if (res.status !== 200) break
      pages.add(path)
      for (const item of mf2(res.body.toString('utf8'), { baseUrl: ts.url }).items[0]?.children ?? []) {
        const url = item.properties.url?.[0]
        if (typeof url === 'string') pages.add(new URL(url).pathname)
      }
    }
  }
  const files = ['/feed.rss', '/feed.atom', '/feed.json', '/opml.xml', '/sitemap.xml', '/robots.txt', '/favicon.ico', '/apple-touch-icon.png', '/icons/icon-192.png', '/manifest.webmanifest', '/static/style.css', ...photo.variants.map((v) => new URL(v.url).pathname)]
  return { pages: [...pages], files }
}

describe('static mirror served by nginx', () => {
  it('serves every public page with the same microformats as the live server, without endpoint links', async () => {
    const { pages } = await publicPaths()
    // Home (3 pages of 2), 6 notes, 5 tag lists (two pages for #indieweb? no: 2 notes), the search stub.
    expect(pages).toContain('/?page=3')
    expect(pages).toContain('/type/note')
    expect(pages).toContain(`/notes/${encodeURIComponent(slugs.umlaut!)}`)
    for (const path of pages) {
      const live = await get(`${ts.url}${path}`)
      const copy = await get(`${mirrorUrl}${mirrorPath(path)}`)
      expect(copy.status, path).toBe(200)
      expect(copy.type, path).toBe(live.type)
      const liveMf2 = mf2(live.body.toString('utf8'), { baseUrl: ts.url })
      const copyMf2 = mf2(copy.body.toString('utf8'), { baseUrl: ts.url })
      expect(copyMf2.items, path).toEqual(liveMf2.items)
      // Same rel links, except the endpoints (only the live server has them) and list pages as paths.
      const rels = (parsed: typeof liveMf2, drop: string[]) => Object.fromEntries(Object.entries(parsed.rels).filter(([rel]) => !drop.includes(rel)))
      expect(rels(copyMf2, ['prev', 'next', 'canonical'])).toEqual(rels(liveMf2, [...ENDPOINT_RELS, 'prev', 'next', 'canonical']))
      for (const rel of ENDPOINT_RELS) {
        expect(liveMf2.rels[rel], `${path} live ${rel}`).toBeDefined()
        expect(copyMf2.rels[rel], `${path} copy ${rel}`).toBeUndefined()
      }
      // Every prev/next link of the copy is a page nginx serves.
      for (const link of [...(copyMf2.rels.prev ?? []), ...(copyMf2.rels.next ?? [])]) {
        expect((await get(`${mirrorUrl}${new URL(link).pathname}`)).status, link).toBe(200)
      }
    }
    const stub = (await get(`${mirrorUrl}/search?q=hello`)).body.toString('utf8')
    expect(stub).toContain('This copy of the site cannot search')
  })

  it('serves feeds, OPML, the stylesheet and every media variant byte for byte, with the live content types', async () => {
    const { files } = await publicPaths()
    expect(files.filter((f) => f.startsWith('/media/')).length).toBeGreaterThan(1)
    for (const path of files) {
      const live = await get(`${ts.url}${path}`)
      const copy = await get(`${mirrorUrl}${path}`)
      expect(copy.status, path).toBe(200)
      expect(copy.type.replace(/\s/g, '').toLowerCase(), path).toBe(live.type.replace(/\s/g, '').toLowerCase())
      expect(copy.body.equals(live.body), path).toBe(true)
    }
    // Same feed items through an independent feed parser.
    for (const path of ['/feed.rss', '/feed.atom']) {
      const items = (body: Buffer) => parseFeed(body.toString('utf8')).items.map((item) => ({ id: item.id, url: item.url, title: item.title, content: item.content }))
      expect(items((await get(`${mirrorUrl}${path}`)).body)).toEqual(items((await get(`${ts.url}${path}`)).body))
    }
    const feed = await get(`${mirrorUrl}/feed`)
    expect(feed.type).toMatch(/^application\/rss\+xml/)
  })

  it('answers an unknown address with the 404 page and a note deleted before the export with 410 and its gone page', async () => {
    const missing = await get(`${mirrorUrl}/notes/no-such-note`)
    expect(missing.status).toBe(404)
    expect(missing.body.toString('utf8')).toContain('<title>Not found')
    expect(missing.body.toString('utf8')).not.toContain('request ID')
    const deletedSlug = (await ts.server.context.notes.list({ limit: 10, offset: 0, onlyDeleted: true, includeDeleted: true })).notes[0]!.slug
    for (const path of [`/notes/${deletedSlug}`, `/notes/${deletedSlug}/`]) {
      const gone = await get(`${mirrorUrl}${path}`)
      expect(gone.status, path).toBe(410)
      expect(gone.body.toString('utf8')).toContain('This note was deleted.')
    }
    // The gone page itself is not an address of its own.
    expect((await get(`${mirrorUrl}/notes/${deletedSlug}/gone.html`)).status).toBe(404)
    // Drafts are nowhere in the copy.
    expect(readFileSync(join(exportDir, 'feed.json'), 'utf8')).not.toContain('A draft nobody sees')
  })
})

describe('re-exports', () => {
  it('rewrite only the files whose bytes changed after one edit, and nothing when nothing changed', async () => {
    const before = snapshot()
    await ts.server.context.notes.update(slugs.edited!, { content: 'A note that was edited once.' })
    const outcome = await exportNow()
    const after = snapshot()
    const changed = [...after].filter(([path, file]) => !before.get(path)?.bytes.equals(file.bytes)).map(([path]) => path)
    const report = ts.server.context.siteExport.actions.status().last!
    expect(report.written).toBe(changed.length)
    expect(changed).toContain(`notes/${slugs.edited}/index.html`)
    expect(changed).toContain('feed.rss')
    expect(changed).not.toContain(`notes/${slugs.first}/index.html`)
    for (const [path, file] of after) {
      if (changed.includes(path)) continue
      const old = before.get(path)!
      expect({ path, ino: file.ino, mtimeMs: file.mtimeMs }).toEqual({ path, ino: old.ino, mtimeMs: old.mtimeMs })
    }
    expect(outcome.removed).toBe(0)

    const again = await exportNow()
    expect({ written: again.written, removed: again.removed }).toEqual({ written: 0, removed: 0 })
    expect(again.unchanged).toBe(again.files)
  })

  it('turn a deleted note into a gone page and remove its files; a purged note stays gone', async () => {
    const { notes } = ts.server.context
    expect(existsSync(join(exportDir, 'notes', slugs.doomed!, 'index.html'))).toBe(true)
    expect(existsSync(join(exportDir, 'tags', 'doomed', 'index.html'))).toBe(true)
    await notes.remove(slugs.doomed!)
    const outcome = await exportNow()
    expect(outcome.ok).toBe(true)
    expect(existsSync(join(exportDir, 'notes', slugs.doomed!, 'index.html'))).toBe(false)
    expect(existsSync(join(exportDir, 'tags', 'doomed'))).toBe(false)
    expect(readFileSync(join(exportDir, 'notes', slugs.doomed!, 'gone.html'), 'utf8')).toContain('This note was deleted.')
    expect((await get(`${mirrorUrl}/notes/${slugs.doomed}`)).status).toBe(410)
    expect((await get(`${mirrorUrl}/tags/doomed`)).status).toBe(404)
    expect(readFileSync(join(exportDir, 'feed.rss'), 'utf8')).not.toContain(slugs.doomed!)

    await notes.purge(slugs.doomed!)
    await exportNow()
    expect((await get(`${mirrorUrl}/notes/${slugs.doomed}`)).status).toBe(410)
  })

  it('leave files the export did not make alone', async () => {
    writeFileSync(join(exportDir, 'CNAME'), 'blog.example.org\n')
    await exportNow()
    expect(readFileSync(join(exportDir, 'CNAME'), 'utf8')).toBe('blog.example.org\n')
  })
})

describe('npm run export-site', () => {
  it('writes a copy for another base URL, with stored absolute URLs moved onto it', () => {
    const dir = join(ts.dataDir, 'cli-copy')
    const run = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', '--tsconfig', 'tsconfig.node.json', 'src/main/site-cli.ts', dir, '--base-url', 'https://copy.example.net/'], {
      // The live server's site URL is its listening URL (a test port): the CLI is told the same.
      env: { ...process.env, STARPUNK_DATA_DIR: ts.dataDir, STARPUNK_SITE_URL: ts.url, STARPUNK_FETCH_ENABLED: 'false' },
      encoding: 'utf8',
    })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^Exported \d+ files to .* for https:\/\/copy\.example\.net: \d+ written/)
    const photoPage = readFileSync(join(dir, 'notes', slugs.photo!, 'index.html'), 'utf8')
    expect(photoPage).toContain(`https://copy.example.net/media/${photo.filename}`)
    for (const file of ['index.html', 'feed.rss', 'feed.atom', 'feed.json', 'opml.xml', `notes/${slugs.photo}/index.html`]) {
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toContain(ts.url)
    }
    const home = mf2(readFileSync(join(dir, 'index.html'), 'utf8'), { baseUrl: 'https://copy.example.net' })
    expect(home.items[0]!.children!.map((e) => e.properties.url![0])).toSatisfy((urls: unknown[]) => urls.every((u) => String(u).startsWith('https://copy.example.net/notes/')))

    const bad = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', '--tsconfig', 'tsconfig.node.json', 'src/main/site-cli.ts', dir, '--base-url', 'ftp://x'], { env: { ...process.env, STARPUNK_DATA_DIR: ts.dataDir }, encoding: 'utf8' })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--base-url must start with http:// or https://')
  })
})
