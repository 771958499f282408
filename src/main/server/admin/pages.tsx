import type { ReactNode } from 'react'
import type { AdminSession } from '../auth'
import type { Config } from '../config'
import type { Note } from '../notes'
import type { BackupStatus } from '../../../shared/contract'
import { Layout, renderPage } from '../web'
import { MAX_ALT_LENGTH, MAX_PHOTOS, type NotePhoto } from './photos'
import { FORM_KIND_LABELS, FORM_KINDS, type PostTypeValues } from './post-type-form'

export type DashboardView = 'all' | 'drafts' | 'trash'

/** Path of a note's admin pages; slugs may be Unicode, so they are always encoded. */
export function adminNotePath(slug: string, action?: string): string {
  return `/admin/notes/${encodeURIComponent(slug)}${action ? `/${action}` : ''}`
}

function CsrfField({ session }: { session: AdminSession }) {
  return <input type="hidden" name="_csrf" value={session.csrfToken} />
}

/** A one-button POST form (publish, delete, restore...): works without JavaScript, carries the CSRF token. */
export function ActionForm({ session, action, label, fields }: { session: AdminSession; action: string; label: string; fields?: Record<string, string> }) {
  return (
    <form method="post" action={action} className="inline-form">
      <CsrfField session={session} />
      {Object.entries(fields ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <button type="submit">{label}</button>
    </form>
  )
}

/**
 * Where a multipart admin form posts: the CSRF token rides in the query string, because the session and the
 * token are checked before a byte of the body is read (a body field would only be known after the upload).
 */
export function uploadAction(session: AdminSession, path: string): string {
  return `${path}?${new URLSearchParams({ _csrf: session.csrfToken }).toString()}`
}

/** The admin page frame; `script` adds the editor's progressive-enhancement script (same origin, CSP-safe). */
export function AdminFrame({
  config,
  session,
  title,
  children,
  script,
  refreshSeconds,
}: {
  config: Config
  session: AdminSession
  title: string
  children: ReactNode
  script?: boolean
  /** Reload the page this often (progress of a background job, without JavaScript). */
  refreshSeconds?: number
}) {
  const head = (
    <>
      <meta name="csrf-token" content={session.csrfToken} />
      {refreshSeconds !== undefined && <meta httpEquiv="refresh" content={String(refreshSeconds)} />}
      <link rel="stylesheet" href="/static/admin.css" />
      {script && <script src="/static/admin-editor.js" defer />}
    </>
  )
  return (
    <Layout config={config} title={title} session={session} head={head}>
      <nav className="admin-nav" aria-label="Admin">
        <a href="/admin">Notes</a> · <a href="/admin?view=drafts">Drafts</a> · <a href="/admin/notes/new">New note</a> ·{' '}
        <a href="/admin?view=trash">Trash</a> · <a href="/admin/media">Media</a> · <a href="/admin/profile">Profile</a> · <a href="/admin/tokens">Tokens</a> ·{' '}
        <a href="/admin/site-export">Export site</a> ·{' '}
        <a href="/admin/webmentions">
          Webmentions
          {session.heldMentions ? (
            <>
              {' '}
              <span className="badge" aria-label={`${session.heldMentions} waiting for approval`}>
                {session.heldMentions}
              </span>
            </>
          ) : null}
        </a>{' '}
        · <a href="/admin/console/">Console</a> ·{' '}
        <span className="admin-who">
          Signed in as <strong>{session.me}</strong>
        </span>{' '}
        <ActionForm session={session} action="/admin/logout" label="Sign out" />
      </nav>
      {children}
    </Layout>
  )
}

const NOTICES: Record<string, string> = {
  created: 'Note created.',
  updated: 'Note saved.',
  published: 'Note published.',
  unpublished: 'Note moved to drafts.',
  deleted: 'Note moved to the trash.',
  restored: 'Note restored.',
  backup: 'Backup written to <data dir>/backups.',
}

export function noticeText(done: unknown): string | null {
  return typeof done === 'string' && done in NOTICES ? (NOTICES[done] ?? null) : null
}

export interface DashboardProps {
  config: Config
  session: AdminSession
  notes: Note[]
  total: number
  page: number
  pageCount: number
  view: DashboardView
  notice: string | null
  /** Shown on the main view, with a "Back up now" form; null elsewhere. */
  backup?: BackupStatus | null
}

function describe(note: Note): string {
  if (note.title) return note.title
  const text = note.content.replace(/\s+/g, ' ').trim()
  return text.length > 80 ? `${text.slice(0, 79)}…` : text
}

export function renderDashboard(props: DashboardProps): string {
  const { config, session, notes, total, page, pageCount, view, notice, backup } = props
  const heading = view === 'trash' ? 'Trash' : view === 'drafts' ? 'Drafts' : 'Notes'
  const pageHref = (n: number) => `/admin?${new URLSearchParams({ ...(view !== 'all' ? { view } : {}), page: String(n) }).toString()}`
  return renderPage(
    <AdminFrame config={config} session={session} title={heading}>
      <section className="admin-dashboard">
        <h1>{heading}</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <p>
          {total === 1 ? '1 note' : `${total} notes`}
          {view === 'trash' ? ' in the trash.' : view === 'drafts' ? ' not yet published.' : ', drafts included.'}{' '}
          {view !== 'trash' && <a href="/admin/notes/new">Write a new note</a>}
        </p>
        {notes.length === 0 ? (
          <p>{view === 'trash' ? 'The trash is empty.' : view === 'drafts' ? 'No drafts.' : 'No notes yet.'}</p>
        ) : (
          <table className="admin-notes">
            <thead>
              <tr>
                <th scope="col">Note</th>
                <th scope="col">Status</th>
                <th scope="col">Updated</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {notes.map((note) => (
                <tr key={note.id} data-slug={note.slug}>
                  <td>
                    {note.deletedAt || !note.published ? describe(note) : <a href={`/notes/${encodeURIComponent(note.slug)}`}>{describe(note)}</a>}
                    <br />
                    <small>
                      <code>{note.slug}</code>
                      {note.tags.length > 0 && ` · ${note.tags.join(', ')}`}
                    </small>
                  </td>
                  <td>{note.deletedAt ? 'Deleted' : note.published ? 'Published' : 'Draft'}</td>
                  <td>
                    <time dateTime={note.updatedAt}>{note.updatedAt.slice(0, 16).replace('T', ' ')}</time>
                  </td>
                  <td>
                    {note.deletedAt ? (
                      <ActionForm session={session} action={adminNotePath(note.slug, 'restore')} label="Restore" />
                    ) : (
                      <>
                        <a href={adminNotePath(note.slug, 'edit')}>Edit</a>{' '}
                        <ActionForm
                          session={session}
                          action={adminNotePath(note.slug, 'publish')}
                          label={note.published ? 'Unpublish' : 'Publish'}
                          fields={{ published: note.published ? '0' : '1' }}
                        />{' '}
                        <ActionForm session={session} action={adminNotePath(note.slug, 'delete')} label="Delete" />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {pageCount > 1 && (
          <nav className="pagination" aria-label="Pages">
            {page > 1 && (
              <a rel="prev" href={pageHref(page - 1)}>
                Newer
              </a>
            )}{' '}
            <span>
              Page {page} of {pageCount}
            </span>{' '}
            {page < pageCount && (
              <a rel="next" href={pageHref(page + 1)}>
                Older
              </a>
            )}
          </nav>
        )}
      </section>
      {backup && <BackupSection session={session} backup={backup} />}
    </AdminFrame>,
  )
}

function BackupSection({ session, backup }: { session: AdminSession; backup: BackupStatus }) {
  return (
    <section className="admin-backup" aria-labelledby="backup-title">
      <h2 id="backup-title">Backup</h2>
      <p data-testid="last-backup">
        {backup.last ? (
          <>
            Last backup: <time dateTime={backup.last.createdAt}>{backup.last.createdAt.slice(0, 19).replace('T', ' ')} UTC</time> ({backup.count} of at most {backup.keep} kept in{' '}
            <code>&lt;data dir&gt;/backups</code>).
          </>
        ) : (
          'No backup yet.'
        )}
        {backup.running && ' A backup is running now.'}
      </p>
      <ActionForm session={session} action="/admin/backup" label="Back up now" />
    </section>
  )
}

export interface NoteFormValues {
  content: string
  tags: string
  slug: string
  published: boolean
  /** The note's photos in order, with their alt text (uploads of a refused submission included). */
  photos: NotePhoto[]
  /** Post type, target URL, article title and summary, RSVP value, location choice. */
  type: PostTypeValues
  /** Whether the note carries a location (the location choice is only offered then). */
  hasLocation?: boolean
  /** Send Webmentions to the pages the note links to (absent: the checkbox is not offered). */
  sendWebmentions?: boolean
}

/** The type selector and the fields each type uses (all visible: the form works without JavaScript). */
function PostTypeFields({ values, hasLocation }: { values: PostTypeValues; hasLocation: boolean }) {
  return (
    <fieldset className="post-type-editor">
      <legend>Post type</legend>
      <p>
        <label htmlFor="note-kind">Type</label>
        <br />
        <select id="note-kind" name="kind" defaultValue={values.kind} aria-describedby="note-kind-hint">
          {FORM_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {FORM_KIND_LABELS[kind]}
            </option>
          ))}
        </select>
        <br />
        <span id="note-kind-hint" className="hint">
          A like, repost, bookmark or RSVP needs no text; a reply, like, repost, bookmark or RSVP needs the URL of the post it is about.
        </span>
      </p>
      <p>
        <label htmlFor="note-target">URL of the post you reply to, like, repost, bookmark or RSVP to</label>
        <br />
        <input id="note-target" name="target" type="url" inputMode="url" size={60} defaultValue={values.target} placeholder="https://" />
      </p>
      <p>
        <label htmlFor="note-rsvp">RSVP</label>
        <br />
        <select id="note-rsvp" name="rsvp" defaultValue={values.rsvp}>
          <option value="yes">Yes</option>
          <option value="no">No</option>
          <option value="maybe">Maybe</option>
          <option value="interested">Interested</option>
        </select>
      </p>
      <p>
        <label htmlFor="note-name">Article title</label>
        <br />
        <input id="note-name" name="name" type="text" size={60} maxLength={200} defaultValue={values.name} />
      </p>
      <p>
        <label htmlFor="note-summary">Article summary (optional)</label>
        <br />
        <input id="note-summary" name="summary" type="text" size={60} maxLength={1000} defaultValue={values.summary} />
      </p>
      {hasLocation && (
        <p>
          <label htmlFor="note-location">Location of this post</label>
          <br />
          <select id="note-location" name="location" defaultValue={values.location}>
            <option value="default">As the site setting says</option>
            <option value="public">Show it</option>
            <option value="private">Keep it private</option>
          </select>
        </p>
      )}
    </fieldset>
  )
}

export interface NoteFormProps {
  config: Config
  session: AdminSession
  /** The note being edited; absent when creating. */
  note?: Note
  values: NoteFormValues
  error: string | null
  notice?: string | null
  /** Rendered Markdown (sanitised by the notes renderer) when the author asked for a preview. */
  preview?: string | null
  /** The note's conversation (Webmentions sent and received), shown under the form. */
  conversation?: ReactNode
}

/** How many photos have no alt text (the form warns, and still saves). */
export function missingAlt(photos: NotePhoto[]): number {
  return photos.filter((photo) => photo.alt.trim() === '').length
}

function PhotoRow({ photo, index }: { photo: NotePhoto; index: number }) {
  const id = `photo-${index + 1}`
  return (
    <li className="photo-row" data-photo-row="kept">
      <img className="photo-thumb" src={photo.url} alt="" width={96} height={96} />
      <input type="hidden" name="photo_item" value={photo.url} />
      <span className="photo-fields">
        <label htmlFor={`${id}-alt`}>Alt text for photo {index + 1}</label>
        <input id={`${id}-alt`} name="photo_alt" type="text" maxLength={MAX_ALT_LENGTH} defaultValue={photo.alt} aria-describedby={`${id}-warning`} data-alt-input="" />
        <span id={`${id}-warning`} className="alt-warning" data-alt-warning="" hidden={photo.alt.trim() !== ''}>
          No alt text: people who cannot see the photo will not know what it shows.
        </span>
        <span className="photo-position" data-position-field="">
          <label htmlFor={`${id}-position`}>Position</label>{' '}
          <input id={`${id}-position`} name="photo_position" type="number" min={1} max={MAX_PHOTOS} defaultValue={index + 1} />
        </span>{' '}
        <span className="photo-remove" data-remove-field="">
          <input id={`${id}-remove`} name="photo_remove" type="checkbox" value={photo.url} /> <label htmlFor={`${id}-remove`}>Remove</label>
        </span>
      </span>
    </li>
  )
}

/** Create and edit form. On a validation error it is shown again with everything the author typed. */
export function renderNoteForm({ config, session, note, values, error, notice, preview, conversation }: NoteFormProps): string {
  const editing = Boolean(note)
  const title = editing ? `Edit ${note?.slug ?? ''}` : 'New note'
  const missing = missingAlt(values.photos)
  return renderPage(
    <AdminFrame config={config} session={session} title={title} script>
      <section className="admin-note-form">
        <h1>{editing ? 'Edit note' : 'New note'}</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {error && (
          <p className="form-error" role="alert" id="form-error">
            {error}
          </p>
        )}
        {missing > 0 && (
          <p className="alt-summary" role="status" id="alt-summary">
            {missing === 1 ? '1 photo has' : `${missing} photos have`} no alt text. The note is saved anyway; add a short description of each
            photo for readers who cannot see it.
          </p>
        )}
        <form
          method="post"
          encType="multipart/form-data"
          action={uploadAction(session, note ? adminNotePath(note.slug) : '/admin/notes')}
          data-note-editor=""
          data-preview-url="/admin/preview"
        >
          <p>
            <label htmlFor="note-content">Content (Markdown)</label>
            <br />
            <textarea id="note-content" name="content" rows={14} cols={70} defaultValue={values.content} aria-describedby={error ? 'form-error' : undefined} />
          </p>
          <PostTypeFields values={values.type} hasLocation={values.hasLocation === true} />
          <fieldset className="photo-editor">
            <legend>Photos</legend>
            <ol className="photo-list" id="photo-list" data-photo-list="">
              {values.photos.map((photo, index) => (
                <PhotoRow key={`${index}:${photo.url}`} photo={photo} index={index} />
              ))}
            </ol>
            <p className="photo-drop" data-drop-zone="">
              <label htmlFor="note-photos">Add photos (JPEG, PNG, GIF, WebP, AVIF or HEIC)</label>
              <br />
              <input id="note-photos" name="photo" type="file" multiple accept="image/*,.heic,.heif" />
              <span className="drop-hint" data-drop-hint="" hidden>
                {' '}
                or drop them here, or paste them from the clipboard.
              </span>
            </p>
          </fieldset>
          <p>
            <label htmlFor="note-tags">Tags (comma-separated)</label>
            <br />
            <input id="note-tags" name="tags" type="text" defaultValue={values.tags} />
          </p>
          {editing ? (
            <p>
              Slug: <code>{note?.slug}</code> (fixed once created, so links keep working)
            </p>
          ) : (
            <p>
              <label htmlFor="note-slug">Custom slug (optional)</label>
              <br />
              <input id="note-slug" name="slug" type="text" defaultValue={values.slug} />
            </p>
          )}
          <p>
            <input id="note-published" name="published" type="checkbox" value="1" defaultChecked={values.published} />{' '}
            <label htmlFor="note-published">Published (unchecked: draft)</label>
          </p>
          {values.sendWebmentions !== undefined && (
            <p>
              <input type="hidden" name="send_webmentions_offered" value="1" />
              <input id="note-send-webmentions" name="send_webmentions" type="checkbox" value="1" defaultChecked={values.sendWebmentions} />{' '}
              <label htmlFor="note-send-webmentions">Send Webmentions to the pages this note links to</label>
            </p>
          )}
          <p>
            <button type="submit">{editing ? 'Save' : 'Create'}</button>{' '}
            <button type="submit" name="intent" value="preview" data-preview-button="">
              Preview
            </button>{' '}
            <a href="/admin">Cancel</a>
          </p>
        </form>
        <section className="note-preview" aria-labelledby="preview-heading" data-preview-section="" hidden={preview === undefined || preview === null}>
          <h2 id="preview-heading">Preview</h2>
          <div className="e-content" id="note-preview" aria-live="polite" data-preview="" dangerouslySetInnerHTML={{ __html: preview ?? '' }} />
        </section>
        {note && !note.deletedAt && note.published && (
          <p>
            <a href={`/notes/${encodeURIComponent(note.slug)}`}>View the public page</a>
          </p>
        )}
        {conversation}
      </section>
    </AdminFrame>,
  )
}
