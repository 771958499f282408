import { Router, type Request, type Response } from 'express'
import type { ReactNode } from 'react'
import type { Config } from '../config'
import type { Db } from '../db'
import { appError, methodNotAllowed } from '../errors'
import { wholeNumberParam } from '../http'
import { isPostType, POST_TYPES, responseTargets, tagKey, textSummary, type Note, type NotesService, type PostType } from '../notes'
import type { RemoteMediaService } from '../remote-media'
import type { ReplyContextsService } from '../reply-contexts'
import { entryExtras, responseTitle } from './entry-extras'
import { cursorOf, OFFSET_PAGE_LIMIT, pageLinks, parseListPosition, positionHref, positionKey, positionQuery, type ListPosition } from './list-position'
import { PageCache, publicCacheControl, sendCacheable } from './page-cache'
import { siteHref } from './layout'
import { NO_RESPONSES, noteUrl, renderListPage, renderNotePage, type ResponseData } from './pages'
import { addWebSubLinks } from './websub-links'
import { photoInfoFor, type PhotoSource } from './photos'

export interface PublicRoutesDeps {
  config: Config
  db: Db
  notes: NotesService
  /** Our uploads' variants, for srcset and width/height (absent: plain <img>). */
  media?: PhotoSource
  /** Shared with the feeds so one write invalidates both (optional: one is made when absent). */
  cache?: PageCache
  /** Reply contexts shown above responses (absent: plain links). */
  contexts?: ReplyContextsService
  /** Our copies of reply-context authors' photos (absent: no photos). */
  remoteMedia?: Pick<RemoteMediaService, 'known'>
  /** What others said about a note (received Webmentions), shown under it. */
  responsesFor?: (note: Note) => Promise<ReactNode>
}

/** Headings and link labels of the /type/<type> archives. */
export const TYPE_ARCHIVE_LABELS: Record<PostType, string> = {
  note: 'Notes',
  article: 'Articles',
  photo: 'Photos',
  reply: 'Replies',
  like: 'Likes',
  repost: 'Reposts',
  bookmark: 'Bookmarks',
  rsvp: 'RSVPs',
}

export function typePath(type: PostType): string {
  return `/type/${type}`
}

/** What a page knows of its notes' targets: stored reply contexts only (stale ones are refreshed in the background). */
export async function contextsFor(
  notes: Note[],
  contexts: ReplyContextsService | undefined,
  remoteMedia: Pick<RemoteMediaService, 'known'> | undefined,
): Promise<ResponseData> {
  if (!contexts) return NO_RESPONSES
  const urls = [...new Set(notes.flatMap((note) => responseTargets(note)))]
  if (urls.length === 0) return NO_RESPONSES
  const found = await contexts.get(urls)
  contexts.request(urls)
  const photos = [...found.values()].flatMap((context) => (context.authorPhoto ? [context.authorPhoto] : []))
  const images = remoteMedia && photos.length ? await remoteMedia.known(photos) : new Map<string, null>()
  return { contexts: found, images }
}

const HTML = 'text/html; charset=utf-8'
const MAX_PAGE = 100_000

/** `?page=N`: absent → 1; anything but a whole number in range is a clear 400. */
export function parsePage(req: Request): number {
  return wholeNumberParam(req, 'page', { fallback: 1, min: 1, max: MAX_PAGE })
}

function sessionOf(res: Response) {
  return res.locals.session ?? null
}

/** A short plain-text description of a note (for titles of untitled notes and meta descriptions). */
export function describeNote(html: string, max = 80): string {
  return textSummary(html, max) || 'Note'
}

/**
 * Notes may show images hosted elsewhere (Markdown `![](https://...)`, Micropub photo URLs): widen helmet's
 * `img-src` on public pages to https images. Everything else in the policy stays as helmet set it.
 */
export function allowRemoteImages(res: Response): void {
  const policy = res.getHeader('Content-Security-Policy')
  if (typeof policy === 'string') {
    const directives = policy.split(';').map((d) => d.trim())
    const index = directives.findIndex((d) => d.startsWith('img-src'))
    if (index >= 0 && !directives[index]!.split(/\s+/).includes('https:')) directives[index] += ' https:'
    else if (index < 0) directives.push("img-src 'self' data: https:")
    res.setHeader('Content-Security-Policy', directives.filter(Boolean).join(';'))
  }
}

/** Public pages: `/`, `/notes/<slug>`, `/tags/<tag>`, `/type/<type>`. Routes stay thin: the notes service does the work. */
export function publicRoutes({ config, db, notes, media, contexts, remoteMedia, cache = new PageCache({ db, source: notes }), responsesFor }: PublicRoutesDeps): Router {
  const router = Router()
  const perPage = config.notesPerPage
  const cacheControl = publicCacheControl(config.cache)

  const typeLinks = (current: PostType | null) => [
    { label: 'All', href: '/', current: current === null },
    ...POST_TYPES.map((type) => ({ label: TYPE_ARCHIVE_LABELS[type], href: typePath(type), current: current === type })),
  ]

  /**
   * A deep `?page=N` (past OFFSET_PAGE_LIMIT) is answered with a redirect to the same place as a cursor, found
   * once with an offset; true when it was. Past the last note it is a 404.
   */
  async function redirectDeepPage(res: Response, position: ListPosition, basePath: string, filter: { tag?: string; postType?: PostType }, admin: boolean): Promise<boolean> {
    // A static copy is exported page by page by number: it asks for every ?page=N and links them as paths.
    if (config.staticCopy || position.kind !== 'page' || position.page <= OFFSET_PAGE_LIMIT) return false
    const { notes: before } = await notes.list({ limit: 1, offset: (position.page - 1) * perPage - 1, includeDrafts: admin, withTotal: false, ...filter })
    const last = before[0]
    if (!last) throw appError('NOT_FOUND')
    res.setHeader('Cache-Control', 'no-cache')
    res.redirect(302, positionHref(basePath, { kind: 'before', cursor: cursorOf(last) }))
    return true
  }

  async function listPage(res: Response, position: ListPosition, tag: string | null, admin: boolean, postType: PostType | null = null) {
    const page = position.kind === 'page' ? position.page : 0
    const basePath = tag !== null ? `/tags/${encodeURIComponent(tagKey(tag))}` : postType !== null ? typePath(postType) : '/'
    const { notes: items, hasMore, hasNewer } = await notes.list({
      limit: perPage,
      ...positionQuery(position, perPage),
      includeDrafts: admin,
      withTotal: false,
      excerptAboveHtmlBytes: config.excerptAboveBytes,
      ...(tag !== null ? { tag } : {}),
      ...(postType !== null ? { postType } : {}),
    })
    // Past the last page, or a tag nothing visible carries: nothing lives here. A type's first page is
    // always there (the home page links every type), empty or not.
    if (items.length === 0 && (page !== 1 || tag !== null)) throw appError('NOT_FOUND')
    const display = tag !== null ? (items.flatMap((n) => n.tags).find((t) => tagKey(t) === tagKey(tag)) ?? tag) : null
    const typeLabel = postType !== null ? TYPE_ARCHIVE_LABELS[postType] : null
    return renderListPage({
      photos: await photoInfoFor(media, config, items),
      responses: await contextsFor(items, contexts, remoteMedia),
      config,
      session: sessionOf(res),
      notes: items,
      page,
      hasNext: hasMore === true,
      links: pageLinks(basePath, position, items, { older: hasMore === true, newer: hasNewer === true }),
      basePath,
      heading: display !== null ? `Notes tagged #${display}` : (typeLabel ?? config.siteName),
      title: display !== null ? `#${display}` : typeLabel !== null ? `${typeLabel} · ${config.siteName}` : config.siteName,
      emptyMessage: typeLabel !== null ? `No ${typeLabel.toLowerCase()} yet.` : 'No notes yet.',
      ...(tag === null ? { typeLinks: typeLinks(postType) } : {}),
    })
  }

  router.get('/', async (req, res) => {
    allowRemoteImages(res)
    const position = parseListPosition(req)
    const admin = sessionOf(res) !== null
    if (await redirectDeepPage(res, position, '/', {}, admin)) return
    if (position.kind === 'page' && position.page === 1) addWebSubLinks(res, config, siteHref(config, '/'))
    await sendCacheable(req, res, cache, `home:${positionKey(position)}`, () => listPage(res, position, null, admin), { contentType: HTML, cacheControl })
  })

  router.get('/tags/:tag', async (req, res) => {
    allowRemoteImages(res)
    const tag = req.params.tag
    if (!tag || tag.length > 200) throw appError('NOT_FOUND')
    const position = parseListPosition(req)
    const admin = sessionOf(res) !== null
    if (await redirectDeepPage(res, position, `/tags/${encodeURIComponent(tagKey(tag))}`, { tag }, admin)) return
    await sendCacheable(req, res, cache, `tag:${tagKey(tag)}:${positionKey(position)}`, () => listPage(res, position, tag, admin), { contentType: HTML, cacheControl })
  })

  router.get('/type/:type', async (req, res) => {
    allowRemoteImages(res)
    const type = req.params.type
    if (!isPostType(type)) throw appError('NOT_FOUND')
    const position = parseListPosition(req)
    const admin = sessionOf(res) !== null
    if (await redirectDeepPage(res, position, typePath(type), { postType: type }, admin)) return
    await sendCacheable(req, res, cache, `type:${type}:${positionKey(position)}`, () => listPage(res, position, null, admin, type), { contentType: HTML, cacheControl })
  })

  router.get('/notes/:slug', async (req, res) => {
    allowRemoteImages(res)
    const slug = req.params.slug
    const session = sessionOf(res)
    // Runs only on a cache miss (or for the admin): visitors see published, not deleted notes; the admin
    // may look at drafts and the trash (marked as such).
    const build = async () => {
      const note = await notes.get(slug, { includeDrafts: session !== null, includeDeleted: session !== null })
      if (!note) {
        // A deleted note says so (410), so sites that showed a reply to it or a mention of it drop theirs.
        const trashed = await notes.get(slug, { includeDeleted: true })
        throw appError(trashed?.deletedAt ? 'NOTE_GONE' : 'NOT_FOUND')
      }
      const responses = responsesFor && !note.deletedAt ? await responsesFor(note) : null
      const targets = await contextsFor([note], contexts, remoteMedia)
      const title = responseTitle(entryExtras(config, note), (url) => targets.contexts.get(url)?.title ?? null)
      const description = note.html === '' && title ? title : describeNote(note.html)
      return renderNotePage(config, session, note, description, await photoInfoFor(media, config, [note]), responses, targets)
    }
    addWebSubLinks(res, config, noteUrl(config, slug))
    await sendCacheable(req, res, cache, `note:${slug}`, build, { contentType: HTML, cacheControl })
  })

  // Read-only addresses: other methods get 405 with Allow, not a misleading 404.
  router.all(['/', '/tags/:tag', '/type/:type', '/notes/:slug'], methodNotAllowed(['GET', 'HEAD']))

  return router
}
