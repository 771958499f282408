import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Logger } from '../logging'
import { fileForPath, inside, readManifest, removeExported, sameBytes, sameSize, writeAtomic, writeManifest } from './files'
import type { ExportOptions, ExportProgress, ExportReport, SiteInventory, SiteRenderer, SiteResponse } from './types'

export interface SiteExporterDeps {
  inventory: SiteInventory
  /** The site's own routes rendering for a static copy at baseUrl (see site-export-app.ts). */
  openRenderer(baseUrl: string): Promise<SiteRenderer>
  /** The live site URL: absolute URLs stored with it (a photo's URL in a note) move to the copy's base. */
  siteUrl(): string
  /** The feeds, OPML and assets every copy carries (paths of files, not pages). */
  files: readonly string[]
  logger: Logger
  /** Pages asked for at once (default 4). */
  concurrency?: number
}

export interface SiteExporter {
  /** Write (or bring up to date) a static copy of the public site. One export at a time; others wait. */
  export(options: ExportOptions): Promise<ExportReport>
}

/** The feeds, OPML and search stub every copy carries besides notes, lists and media. */
export const SITE_FILES = ['/feed.rss', '/feed.atom', '/feed.json', '/opml.xml'] as const

const GONE_FILE = 'gone.html'
/** A path that no route answers: its 404 page is the copy's 404.html. */
const NOT_FOUND_PROBE = '/404.html'
const MAX_LIST_PAGES = 100_000

export function createSiteExporter(deps: SiteExporterDeps): SiteExporter {
  let queue: Promise<unknown> = Promise.resolve()
  return {
    export(options) {
      const run = queue.then(() => exportOnce(deps, options))
      queue = run.catch(() => undefined)
      return run
    },
  }
}

/** Text whose absolute URLs may name the live site (pages, feeds, JSON, CSS). */
function isText(contentType: string): boolean {
  return /^(text\/|application\/([\w.+-]*\+)?(xml|json))/i.test(contentType)
}

/** Absolute URLs on `from` rewritten onto `to` (both without a trailing slash), only where a URL ends. */
export function rebase(text: string, from: string, to: string): string {
  if (from === to) return text
  const escape = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const end = `(?=[/"'<>\\s)?#]|$)`
  // A base below the live URL (https://a.example/copy under https://a.example) is already rebased: leave it.
  const below = to.startsWith(from) ? `(?!${escape(to.slice(from.length))}${end})` : ''
  return text.replace(new RegExp(`${escape(from)}${below}${end}`, 'g'), to)
}

async function exportOnce(deps: SiteExporterDeps, options: ExportOptions): Promise<ExportReport> {
  const started = Date.now()
  const dir = resolve(options.dir)
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const liveUrl = deps.siteUrl().replace(/\/+$/, '')
  await mkdir(dir, { recursive: true })
  const previous = await readManifest(dir)
  const current = new Set<string>()
  const report: ExportReport = { written: [], unchanged: 0, removed: [], gone: 0, files: 0, bytes: 0, skipped: [], durationMs: 0 }
  const progress: ExportProgress = { phase: 'listing', done: 0, total: 0 }
  const tell = () => options.onProgress?.({ ...progress })
  tell()

  const { inventory } = deps
  const [slugs, goneSlugs, tags, extraLists, media] = await Promise.all([
    inventory.publishedSlugs(),
    inventory.goneSlugs(),
    inventory.tags(),
    inventory.extraLists?.() ?? Promise.resolve([]),
    inventory.mediaFiles(),
  ])
  const live = new Set(slugs)
  const renderer = await deps.openRenderer(baseUrl)

  /** Record one file of the copy, writing it only when its bytes differ from what is there. */
  async function put(relative: string, body: Buffer): Promise<void> {
    current.add(relative)
    report.files += 1
    report.bytes += body.length
    const full = inside(dir, relative)
    if (await sameBytes(full, body)) report.unchanged += 1
    else {
      await writeAtomic(full, body)
      report.written.push(relative)
    }
    progress.done += 1
    tell()
  }

  function bodyOf(response: SiteResponse): Buffer {
    if (liveUrl === baseUrl || !isText(response.contentType)) return response.body
    return Buffer.from(rebase(response.body.toString('utf8'), liveUrl, baseUrl), 'utf8')
  }

  /** One path through the site's routes into its file; a status other than the expected one is skipped. */
  async function exportPath(path: string, kind: 'page' | 'file', as: string = path, expect = 200): Promise<boolean> {
    const relative = fileForPath(as, kind)
    if (relative === null) {
      report.skipped.push({ path, status: 0 })
      return false
    }
    const response = await renderer.get(path)
    if (response.status !== expect) {
      progress.done += 1
      if (response.status !== 404) deps.logger.warn('site export: unexpected status', { path, status: response.status })
      report.skipped.push({ path, status: response.status })
      return false
    }
    await put(relative, bodyOf(response))
    return true
  }

  /** A list (home, a tag) page by page until its routes say there is no next one. */
  async function exportList(basePath: string): Promise<void> {
    for (let page = 1; page <= MAX_LIST_PAGES; page += 1) {
      progress.total += 1
      const path = page === 1 ? basePath : `${basePath}?page=${page}`
      const as = page === 1 ? basePath : `${basePath.replace(/\/$/, '')}/page/${page}/`
      const relative = fileForPath(as, 'page')
      const response = relative === null ? null : await renderer.get(path)
      if (!response || response.status !== 200) {
        progress.total -= 1
        // Page 1 of a tag that no visible note carries any more, or the page after the last one.
        if (page === 1 && response?.status !== 404) report.skipped.push({ path, status: response?.status ?? 0 })
        return
      }
      await put(relative!, bodyOf(response))
    }
  }

  const goneNow = goneSlugs.filter((slug) => !live.has(slug))
  // Gone pages of notes purged since an earlier export stay (the address is still gone), unless live again.
  const keptGone = [...previous].filter((file) => {
    const match = /^notes\/(.+)\/gone\.html$/.exec(file)
    return match !== null && !live.has(match[1]!) && !goneNow.includes(match[1]!)
  })
  progress.total += slugs.length + goneNow.length + keptGone.length + deps.files.length + 2 + media.length
  progress.phase = 'pages'
  tell()

  let failed: unknown = null
  try {
    const tasks: Array<() => Promise<unknown>> = [
      () => exportList('/'),
      ...tags.map((tag) => () => exportList(`/tags/${encodeURIComponent(tag)}`)),
      ...extraLists.map((path) => () => exportList(path)),
      ...slugs.map((slug) => () => exportPath(`/notes/${encodeURIComponent(slug)}`, 'page')),
      ...deps.files.map((path) => () => exportPath(path, 'file')),
      () => exportPath('/search', 'page'),
      () => exportPath(NOT_FOUND_PROBE, 'file', '/404.html', 404),
      ...goneNow.map((slug) => async () => {
        const relative = fileForPath(`/notes/${encodeURIComponent(slug)}/${GONE_FILE}`, 'file')
        if (relative === null) return
        report.gone += 1
        await put(relative, Buffer.from(renderer.gonePage(`/notes/${encodeURIComponent(slug)}`), 'utf8'))
      }),
      ...keptGone.map((relative) => async () => {
        // Its note is purged: nothing to render it from again, so the file stays as it is.
        current.add(relative)
        report.gone += 1
        report.files += 1
        report.unchanged += 1
        progress.done += 1
      }),
    ]
    await runAll(tasks, deps.concurrency ?? 4)

    progress.phase = 'media'
    tell()
    // A media file's name is written once and never changes (one-year immutable on the server): same size is same file.
    await runAll(
      media.map((file) => async () => {
        const relative = fileForPath(`/media/${encodeURIComponent(file.filename)}`, 'file')
        if (relative === null) return
        if (await sameSize(inside(dir, relative), file.bytes)) {
          current.add(relative)
          report.files += 1
          report.bytes += file.bytes
          report.unchanged += 1
          progress.done += 1
          tell()
          return
        }
        await exportPath(`/media/${encodeURIComponent(file.filename)}`, 'file')
      }),
      deps.concurrency ?? 4,
    )

    progress.phase = 'cleaning'
    tell()
    for (const relative of previous) {
      if (current.has(relative)) continue
      await removeExported(dir, relative)
      report.removed.push(relative)
    }
  } catch (err) {
    failed = err
  } finally {
    await renderer.close()
    // On failure the record keeps the earlier files too, so a later run still knows to remove them.
    await writeManifest(dir, failed === null ? current : new Set([...previous, ...current]))
  }
  if (failed !== null) throw asError(failed)
  report.durationMs = Date.now() - started
  progress.phase = 'done'
  progress.total = progress.done
  tell()
  report.written.sort()
  report.removed.sort()
  return report
}

/** Run tasks with at most `limit` at once; the first failure stops the rest and is thrown. */
async function runAll(tasks: Array<() => Promise<unknown>>, limit: number): Promise<void> {
  let next = 0
  let failure: unknown = null
  const worker = async () => {
    while (failure === null && next < tasks.length) {
      const task = tasks[next++]!
      try {
        await task()
      } catch (err) {
        failure ??= err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker))
  if (failure !== null) throw asError(failure)
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}
