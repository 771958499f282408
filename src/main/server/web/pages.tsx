import type { ReactNode } from 'react'
import type { AdminSession } from '../auth/types'
import type { Config } from '../config'
import { tagKey, type Note } from '../notes'
import type { LocalImage } from '../remote-media'
import type { ReplyContext } from '../reply-contexts'
import { entryExtras, type EntryExtras, type LocationView, type ResponseTarget } from './entry-extras'
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
 * An article shows its title once, as the entry's p-name: drop a leading heading from its rendered body.
 * A note's leading heading is part of its content: shown as p-name, it would make Post Type Discovery on
 * the page call the note an article (only a Micropub `name` makes one).
 */
export function bodyWithoutTitle(note: Note): string {
  if (!note.title || note.postType !== 'article') return note.html
  return note.html.replace(/^\s*<h([1-6])>[\s\S]*?<\/h\1>\s*/, '')
}

/** The entry's p-name: an article's title, or a name sent with the post; never a note's own heading. */
function entryName(note: Note, extras: EntryExtras): string | null {
  return note.title && note.postType !== 'article' ? null : extras.name
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
  /** Reply contexts known for the targets on this page, and our copies of their authors' photos. */
  responses: ResponseData
}

/** What the page knows about the posts its notes respond to (from the database; never fetched while rendering). */
export interface ResponseData {
  contexts: ReadonlyMap<string, ReplyContext>
  /** Remote photo URL → our own copy (remote media); absent or null: no picture is shown. */
  images: ReadonlyMap<string, LocalImage | null>
}

export const NO_RESPONSES: ResponseData = { contexts: new Map(), images: new Map() }

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
  // A like, repost or bookmark without text of its own is its target alone.
  if (note.html === '' && !extras.photoOnly) return null
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

/** The small visible label of a post's type (none for a plain note). */
function TypeLabel({ extras }: { extras: EntryExtras }) {
  return extras.label ? <span className="post-type">{extras.label}</span> : null
}

/**
 * What the post responds to, above it: an h-cite per target, with what the target said about itself
 * (author, a short text, its date) once its reply context has been fetched, else the plain link.
 */
function Responses({ extras, images }: { extras: EntryExtras; images: PageImages }) {
  if (extras.targets.length === 0 && !extras.rsvp) return null
  return (
    <div className="responses">
      {extras.rsvp && (
        <p className="rsvp">
          RSVP <data className="p-rsvp" value={extras.rsvp}>{extras.rsvp}</data>
        </p>
      )}
      {extras.targets.map((target) => (
        <ResponseCite key={`${target.property}:${target.url}`} target={target} context={images.responses.contexts.get(target.url) ?? null} images={images} rsvp={extras.rsvp !== null} />
      ))}
    </div>
  )
}

function ResponseCite({ target, context, images, rsvp }: { target: ResponseTarget; context: ReplyContext | null; images: PageImages; rsvp: boolean }) {
  const label = rsvp && target.property === 'in-reply-to' ? 'to' : target.label
  if (!context) {
    return (
      <p className="response">
        {label}{' '}
        <a className={`${target.className} h-cite`} href={target.url}>
          {target.name ?? target.url}
        </a>
      </p>
    )
  }
  const title = context.title ?? target.name
  const photo = context.authorPhoto ? images.responses.images.get(context.authorPhoto) : null
  return (
    <div className={`${target.className} h-cite response-context`}>
      <p className="response">
        {label}{' '}
        <a className="u-url" href={target.url}>
          {title ? <span className="p-name">{title}</span> : target.url}
        </a>
      </p>
      {context.authorName && (
        <p className="context-author p-author h-card">
          {photo && <img className="u-photo" src={photo.url} alt="" width={48} height={48} />}
          {context.authorUrl ? (
            <a className="p-name u-url" href={context.authorUrl}>
              {context.authorName}
            </a>
          ) : (
            <span className="p-name">{context.authorName}</span>
          )}
        </p>
      )}
      {context.text && <blockquote className="p-content">{context.text}</blockquote>}
      {context.published && (
        <p className="context-date">
          <time className="dt-published" dateTime={context.published}>
            {formatDate(context.published)}
          </time>
        </p>
      )}
    </div>
  )
}

/** Where the author was: only when the setting (or this post's own choice) publishes it. */
function Location({ location }: { location: LocationView | null }) {
  if (!location) return null
  const property = location.kind === 'checkin' ? 'p-checkin' : 'p-location'
  const coordinates =
    location.latitude && location.longitude ? (
      <>
        {' '}
        (<data className="p-latitude" value={location.latitude}>{location.latitude}</data>,{' '}
        <data className="p-longitude" value={location.longitude}>{location.longitude}</data>)
      </>
    ) : null
  const name = location.name ? (
    location.url ? (
      <a className="p-name u-url" href={location.url}>
        {location.name}
      </a>
    ) : (
      <span className="p-name">{location.name}</span>
    )
  ) : null
  return (
    <p className="location">
      {location.kind === 'checkin' ? 'Checked in at ' : 'Location: '}
      {location.mf2 ? (
        <span className={`${property} ${location.mf2}`}>
          {name}
          {location.locality && (
            <>
              {name ? ', ' : ''}
              <span className="p-locality">{location.locality}</span>
            </>
          )}
          {coordinates}
        </span>
      ) : (
        <span className={property}>{location.name}</span>
      )}
    </p>
  )
}

/** Photos, syndication links and the location carried in the note's mf2 properties (below the text). */
function Extras({ config, note, images }: { config: Config; note: Note; images: PageImages }) {
  const extras = entryExtras(config, note)
  return (
    <>
      {!extras.photoOnly && <Photos photos={extras.photos} images={images} />}
      <Location location={extras.location} />
      {extras.syndication.length > 0 && (
        <ul className="syndication">
          {extras.syndication.map((url) => (
            <li key={url}>
              Also on{' '}
              <a className="u-syndication" href={url}>
                {url}
              </a>
            </li>
          ))}
        </ul>
      )}
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
  const extras = entryExtras(config, note)
  const name = entryName(note, extras)
  return (
    <article className={`h-entry post-${extras.postType}`}>
      <TypeLabel extras={extras} />
      {name && (
        <h2 className="p-name">
          <a href={url}>{name}</a>
        </h2>
      )}
      <Responses extras={extras} images={images} />
      {extras.summary && note.excerpt === undefined && <p className="p-summary">{extras.summary}</p>}
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
  /** Reply contexts of the notes' targets. */
  responses?: ResponseData
  /** Links to the same list for each post type (the home page and type pages). */
  typeLinks?: Array<{ label: string; href: string; current: boolean }>
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
  const images: PageImages = { info: data.photos ?? NO_PHOTO_INFO, order: new ImageOrder(), responses: data.responses ?? NO_RESPONSES }
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
        {data.typeLinks && data.typeLinks.length > 0 && (
          <nav className="type-filter" aria-label="Post types">
            <ul>
              {data.typeLinks.map((link) => (
                <li key={link.href}>
                  <a href={link.href} {...(link.current ? { 'aria-current': 'page' as const } : {})}>
                    {link.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
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
  /** What this page knows of the posts the note responds to (reply contexts). */
  targets: ResponseData = NO_RESPONSES,
): string {
  const url = noteUrl(config, note.slug)
  const images: PageImages = { info: photos, order: new ImageOrder(), responses: targets }
  const extras = entryExtras(config, note)
  const name = entryName(note, extras)
  // A note that opens with a top-level heading already has the page's h1 in its content.
  const headingInBody = name === null && /^\s*<h1>/.test(note.html)
  return renderPage(
    <Layout config={config} title={extras.name ?? description} session={session} canonical={url} description={description} preview={notePreview(config, note, photos)}>
      <article className={`h-entry post-${extras.postType}`}>
        <TypeLabel extras={extras} />
        {name && <h1 className="p-name">{name}</h1>}
        {!name && !headingInBody && <h1 className="visually-hidden">{description}</h1>}
        <StatusMarkers note={note} />
        <Responses extras={extras} images={images} />
        {extras.summary && <p className="p-summary">{extras.summary}</p>}
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
