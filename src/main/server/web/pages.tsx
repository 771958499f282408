import type { AdminSession } from '../auth/types'
import type { Config } from '../config'
import { tagKey, type Note } from '../notes'
import { entryExtras } from './entry-extras'
import { AuthorCard, Layout, siteHref } from './layout'
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

/** Photos and response links (in-reply-to, like-of, ...) carried in the note's mf2 properties. */
function Extras({ config, note }: { config: Config; note: Note }) {
  const { photos, links } = entryExtras(config, note)
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
      {photos.map((photo) => (
        <figure key={photo.url} className="photo">
          <img className="u-photo" src={photo.url} alt={photo.alt} loading="lazy" />
        </figure>
      ))}
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
function EntrySummary({ config, note }: { config: Config; note: Note }) {
  const url = noteUrl(config, note.slug)
  const name = entryExtras(config, note).name
  return (
    <article className="h-entry">
      {name && (
        <h2 className="p-name">
          <a href={url}>{name}</a>
        </h2>
      )}
      <div className="e-content" dangerouslySetInnerHTML={{ __html: bodyWithoutTitle(note) }} />
      <Extras config={config} note={note} />
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
}

function pageHref(basePath: string, page: number): string {
  return page <= 1 ? basePath : `${basePath}?page=${page}`
}

/** The home page and tag pages: an h-feed of h-entries with an author and a URL. */
export function renderListPage(data: ListPageData): string {
  const { config, notes, page, hasNext, basePath } = data
  const canonical = siteHref(config, pageHref(basePath, page))
  return renderPage(
    <Layout
      config={config}
      title={page > 1 ? `${data.title} (page ${page})` : data.title}
      session={data.session}
      canonical={canonical}
      description={`${data.heading}: notes by ${config.authorName}`}
      head={
        <>
          {page > 1 && <link rel="prev" href={siteHref(config, pageHref(basePath, page - 1))} />}
          {hasNext && <link rel="next" href={siteHref(config, pageHref(basePath, page + 1))} />}
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
          notes.map((note) => <EntrySummary key={note.id} config={config} note={note} />)
        )}
        {(page > 1 || hasNext) && (
          <nav className="pagination" aria-label="Pages">
            {page > 1 ? (
              <a href={pageHref(basePath, page - 1)} rel="prev">
                ← Newer notes
              </a>
            ) : (
              <span />
            )}
            <span>Page {page}</span>
            {hasNext ? (
              <a href={pageHref(basePath, page + 1)} rel="next">
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
export function renderNotePage(config: Config, session: AdminSession | null, note: Note, description: string): string {
  const url = noteUrl(config, note.slug)
  const name = entryExtras(config, note).name
  return renderPage(
    <Layout config={config} title={name ?? description} session={session} canonical={url} description={description}>
      <article className="h-entry">
        {name && <h1 className="p-name">{name}</h1>}
        {!name && <h1 className="visually-hidden">{description}</h1>}
        <StatusMarkers note={note} />
        <div className="e-content" dangerouslySetInnerHTML={{ __html: bodyWithoutTitle(note) }} />
        <Extras config={config} note={note} />
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
      </article>
    </Layout>,
  )
}
