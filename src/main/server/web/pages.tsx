import type { ReactNode } from 'react'
import type { AdminSession } from '../auth/types'
import type { Config } from '../config'
import { tagKey, type Note } from '../notes'
import { entryExtras } from './entry-extras'
import { AuthorCard, Layout, siteHref } from './layout'
import { GRID_SIZES, ImageOrder, mediaOf, NO_PHOTO_INFO, PHOTO_SIZES, responsiveAttributes, responsiveHtml, type PhotoInfo } from './photos'
import { notePreview, sitePreview } from './preview'
import { renderPage } from './render'

const DATE_FORMAT = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })

export function noteUrl(config: Config, slug: string): string {
  return siteHref(config, `/notes/${encodeURIComponent(slug)}`)
}

export function tagPath(tag: string): string {
  return `/tags/${encodeURIComponent(tagKey(tag))}`
}

/**
 * When the title comes from a leading heading, the page shows it once as the entry's p-name: drop that
 * heading from the rendered body (the sanitised HTML from marked starts with it).
 */
export function bodyWithoutTitle(note: Note): string {
  if (!note.title) return note.html
  return note.html.replace(/^\s*<h([1-6])>[\s\S]*?<\/h\1>\s*/, '')
}

function formatDate(iso: string): string {
  return `${DATE_FORMAT.format(new Date(iso))} UTC`
}

function StatusMarkers({ note }: { note: Note }) {
  return (
    <>
      {!note.published && <span className="marker">draft</span>}
      {note.deletedAt && <span className="marker">deleted</span>}
    </>
  )
}

/** What every image of one page shares: our uploads' variants and the order images appear in. */
interface PageImages {
  info: PhotoInfo
  order: ImageOrder
}

/**
 * The note's mf2 photos: one per row, or 2–4 as a grid (two columns, also on a phone). Our uploads carry
 * srcset/sizes from their variants and their size; u-photo is the largest variant.
 */
function Photos({ photos, images }: { photos: Array<{ url: string; alt: string }>; images: PageImages }) {
  if (photos.length === 0) return null
  const grid = photos.length >= 2 && photos.length <= 4
  const figures = photos.map((photo) => {
    const media = mediaOf(images.info, photo.url)
    const loading = images.order.next()
    const attributes = media ? responsiveAttributes(media, grid ? GRID_SIZES : PHOTO_SIZES) : { src: photo.url }
    return (
      <figure key={photo.url} className="photo">
        <img className="u-photo" {...attributes} alt={photo.alt} {...(loading ? { loading } : {})} />
      </figure>
    )
  })
  return grid ? <div className={`photo-grid photos-${photos.length}`}>{figures}</div> : <>{figures}</>
}

/** The note's body: its HTML with responsive images, or for a photo-only post its photos. */
function Body({ config, note, images }: { config: Config; note: Note; images: PageImages }) {
  const extras = entryExtras(config, note)
  if (extras.photoOnly) {
    return (
      <div className="e-content">
        <Photos photos={extras.photos} images={images} />
      </div>
    )
  }
  const photoUrls = new Set(extras.photos.map((p) => p.url))
  return <div className="e-content" dangerouslySetInnerHTML={{ __html: responsiveHtml(bodyWithoutTitle(note), images.info, images.order, photoUrls) }} />
}

/** Photos and response links (in-reply-to, like-of, ...) carried in the note's mf2 properties. */
function Extras({ config, note, images }: { config: Config; note: Note; images: PageImages }) {
  const { photos, links, photoOnly } = entryExtras(config, note)
  return (
    <>
      {links.length > 0 && (
        <ul className="responses">
          {links.map((link) => (
            <li key={`${link.className}:${link.url}`}>
              {link.label}{' '}
              <a className={link.className} href={link.url}>
                {link.url}
              </a>
            </li>
          ))}
        </ul>
      )}
      {!photoOnly && <Photos photos={photos} images={images} />}
    </>
  )
}

function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return null
  return (
    <ul className="tags">
      {tags.map((tag) => (
        <li key={tag}>
          <a href={tagPath(tag)} rel="tag">
            <span aria-hidden="true">#</span>
            <span className="p-category">{tag}</span>
          </a>
        </li>
      ))}
    </ul>
  )
}

/** One note in a list: an h-entry with a link to its permalink. */
function EntrySummary({ config, note, images }: { config: Config; note: Note; images: PageImages }) {
  const url = noteUrl(config, note.slug)
  const name = entryExtras(config, note).name
  return (
    <article className="h-entry">
      {name && (
        <h2 className="p-name">
          <a href={url}>{name}</a>
        </h2>
      )}
      {note.excerpt !== undefined ? (
        <>
          <p className="p-summary">{note.excerpt}</p>
          <p className="read-more">
            <a href={url}>Read the whole note</a>
          </p>
        </>
      ) : (
        <Body config={config} note={note} images={images} />
      )}
      <Extras config={config} note={note} images={images} />
      <p className="entry-meta">
        <a className="u-url u-uid" href={url}>
          <time className="dt-published" dateTime={note.createdAt}>
            {formatDate(note.createdAt)}
          </time>
        </a>
        <StatusMarkers note={note} />
      </p>
      <Tags tags={note.tags} />
    </article>
  )
}

export interface ListPageData {
  config: Config
  session: AdminSession | null
  notes: Note[]
  page: number
  /** Whether an older page exists (the home page never counts all notes: that cost grows with them). */
  hasNext: boolean
  /** Path of page 1 (`/` or `/tags/x`). */
  basePath: string
  /** Heading and h-feed name. */
  heading: string
  /** Page title (head). */
  title: string
  emptyMessage: string
  /** Variants of the uploads these notes show (srcset, width/height); none: plain <img>. */
  photos?: PhotoInfo
  /**
   * This page's address and its neighbours' (null: none), as cursor links (`?before=` / `?after=`); `numbered`
   * when it was asked for as `?page=N` (shown as "Page N"). Without it the links are `?page=N±1`.
   */
  links?: { self: string; newer: string | null; older: string | null; numbered: boolean }
}

function pageHref(basePath: string, page: number): string {
  return page <= 1 ? basePath : `${basePath}?page=${page}`
}

/** Page N of a list; a static copy has no query strings, so its pages are paths (`/page/2/`, `/tags/x/page/2/`). */
export function listPageHref(config: Pick<Config, 'staticCopy'>, basePath: string, page: number): string {
  if (page <= 1) return basePath
  return config.staticCopy ? `${basePath.replace(/\/$/, '')}/page/${page}/` : pageHref(basePath, page)
}

/** The home page and tag pages: an h-feed of h-entries with an author and a URL. */
export function renderListPage(data: ListPageData): string {
  const { config, notes, page, hasNext, basePath } = data
  // A static copy is exported page by page (`?page=N`) and links its pages as paths, never as cursors.
  const links = config.staticCopy ? undefined : data.links
  const newer = links ? links.newer : page > 1 ? listPageHref(config, basePath, page - 1) : null
  const older = links ? links.older : hasNext ? listPageHref(config, basePath, page + 1) : null
  const canonical = siteHref(config, links ? links.self : listPageHref(config, basePath, page))
  const numbered = links ? links.numbered : true
  const images: PageImages = { info: data.photos ?? NO_PHOTO_INFO, order: new ImageOrder() }
  return renderPage(
    <Layout
      config={config}
      title={!numbered ? `${data.title} (older notes)` : page > 1 ? `${data.title} (page ${page})` : data.title}
      session={data.session}
      canonical={canonical}
      description={`${data.heading}: notes by ${config.authorName}`}
      preview={sitePreview(config)}
      head={
        <>
          {newer !== null && <link rel="prev" href={siteHref(config, newer)} />}
          {older !== null && <link rel="next" href={siteHref(config, older)} />}
        </>
      }
    >
      <section className="h-feed">
        <h1 className="p-name">{data.heading}</h1>
        <p className="feed-meta visually-hidden">
          <a className="u-url" href={siteHref(config, basePath)}>
            Permalink of this list
          </a>{' '}
          by <AuthorCard config={config} className="p-author h-card" />
        </p>
        {notes.length === 0 ? (
          <p className="empty">{data.emptyMessage}</p>
        ) : (
          notes.map((note) => <EntrySummary key={note.id} config={config} note={note} images={images} />)
        )}
        {(newer !== null || older !== null) && (
          <nav className="pagination" aria-label="Pages">
            {newer !== null ? (
              <a href={newer} rel="prev">
                ← Newer notes
              </a>
            ) : (
              <span />
            )}
            {numbered ? <span>Page {page}</span> : <span />}
            {older !== null ? (
              <a href={older} rel="next">
                Older notes →
              </a>
            ) : (
              <span />
            )}
          </nav>
        )}
      </section>
    </Layout>,
  )
}

/** A note's permalink: one h-entry with every property a reader or a webmention receiver looks for. */
export function renderNotePage(
  config: Config,
  session: AdminSession | null,
  note: Note,
  description: string,
  photos: PhotoInfo = NO_PHOTO_INFO,
  /** Received Webmentions shown under the entry (p-comment, p-like...): inside the h-entry they belong to. */
  responses: ReactNode = null,
): string {
  const url = noteUrl(config, note.slug)
  const images: PageImages = { info: photos, order: new ImageOrder() }
  const name = entryExtras(config, note).name
  return renderPage(
    <Layout config={config} title={name ?? description} session={session} canonical={url} description={description} preview={notePreview(config, note, photos)}>
      <article className="h-entry">
        {name && <h1 className="p-name">{name}</h1>}
        {!name && <h1 className="visually-hidden">{description}</h1>}
        <StatusMarkers note={note} />
        <Body config={config} note={note} images={images} />
        <Extras config={config} note={note} images={images} />
        <p className="entry-meta">
          <span>
            By <AuthorCard config={config} className="p-author h-card" />
          </span>
          <a className="u-url u-uid" href={url}>
            Published{' '}
            <time className="dt-published" dateTime={note.createdAt}>
              {formatDate(note.createdAt)}
            </time>
          </a>
          <span>
            Updated{' '}
            <time className="dt-updated" dateTime={note.updatedAt}>
              {formatDate(note.updatedAt)}
            </time>
          </span>
          {session && <a href={`/admin/notes/${encodeURIComponent(note.slug)}/edit`}>Edit</a>}
        </p>
        <Tags tags={note.tags} />
        {responses}
      </article>
    </Layout>,
  )
}
