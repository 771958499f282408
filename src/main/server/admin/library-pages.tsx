import type { AdminSession } from '../auth'
import type { Config } from '../config'
import type { LibraryItem } from '../media'
import { renderPage } from '../web'
import { ActionForm, AdminFrame, adminNotePath, uploadAction } from './pages'
import type { ProfileField } from './profile'

/** 1234567 → "1.2 MB": sizes as people read them (decimal units, as file managers show them). */
export function humanBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = bytes / 1000
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit += 1
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

const MEDIA_NOTICES: Record<string, string> = { deleted: 'Upload deleted.' }

export interface MediaPageProps {
  config: Config
  session: AdminSession
  items: LibraryItem[]
  totalBytes: number
  done: unknown
}

export function renderMediaPage({ config, session, items, totalBytes, done }: MediaPageProps): string {
  const notice = typeof done === 'string' ? MEDIA_NOTICES[done] : undefined
  return renderPage(
    <AdminFrame config={config} session={session} title="Media" script>
      <section className="admin-media">
        <h1>Media</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <p id="media-total">
          {items.length === 1 ? '1 upload' : `${items.length} uploads`}, {humanBytes(totalBytes)} in all (resized copies included).
        </p>
        {items.length === 0 ? (
          <p>No uploads yet. Photos added to a note appear here.</p>
        ) : (
          <ul className="media-grid">
            {items.map((item, index) => {
              const urlId = `media-url-${index + 1}`
              return (
                <li key={item.filename} className="media-item" data-media={item.filename}>
                  <img src={item.url} alt="" width={item.width ?? undefined} height={item.height ?? undefined} loading="lazy" className="media-thumb" />
                  <dl>
                    <dt>Size</dt>
                    <dd data-bytes={item.bytes}>{humanBytes(item.bytes)}</dd>
                    <dt>Dimensions</dt>
                    <dd>{item.width && item.height ? `${item.width} × ${item.height} px` : 'unknown'}</dd>
                    <dt>Uploaded</dt>
                    <dd>
                      <time dateTime={item.createdAt}>{item.createdAt.slice(0, 16).replace('T', ' ')}</time>
                    </dd>
                    {(item.refused || !item.processed) && (
                      <>
                        <dt>Status</dt>
                        <dd>{item.refused ? `Not served: the image checks refused it (${item.refused}).` : 'Waiting to be cleaned; served once it is.'}</dd>
                      </>
                    )}
                    <dt>Used by</dt>
                    <dd>
                      {item.usedBy.length === 0 ? (
                        'no note'
                      ) : (
                        <ul className="media-uses">
                          {item.usedBy.map((use) => (
                            <li key={use.slug}>
                              <a href={adminNotePath(use.slug, 'edit')}>{use.title ?? use.slug}</a>
                              {use.deleted ? ' (in the trash)' : use.published ? '' : ' (draft)'}
                            </li>
                          ))}
                        </ul>
                      )}
                    </dd>
                  </dl>
                  <p>
                    <label htmlFor={urlId}>URL</label> <input id={urlId} type="text" readOnly value={item.url} size={40} data-copy-source="" />{' '}
                    <button type="button" data-copy-button={urlId} hidden>
                      Copy URL
                    </button>
                  </p>
                  {item.usedBy.length === 0 ? (
                    <ActionForm session={session} action={`/admin/media/${encodeURIComponent(item.filename)}/delete`} label="Delete" />
                  ) : (
                    <p className="media-in-use">In use, so it cannot be deleted: remove it from the notes above first.</p>
                  )}
                </li>
              )
            })}
          </ul>
        )}
      </section>
    </AdminFrame>,
  )
}

const PROFILE_LABELS: Record<ProfileField['name'], string> = {
  STARPUNK_AUTHOR_NAME: 'Name',
  STARPUNK_AUTHOR_PHOTO: 'Photo',
  STARPUNK_AUTHOR_BIO: 'Short bio',
  STARPUNK_AUTHOR_LINKS: 'Profiles elsewhere (rel="me" links, one per line)',
}

export interface ProfilePageProps {
  config: Config
  session: AdminSession
  fields: ProfileField[]
  error: string | null
  notice: string | null
}

function EnvNote({ field }: { field: ProfileField }) {
  if (!field.fromEnv) return null
  return (
    <span className="env-note" id={`${field.name}-env`}>
      {' '}
      Set by the environment variable <code>{field.name}</code>, which wins over this page: change it there.
    </span>
  )
}

export function renderProfilePage({ config, session, fields, error, notice }: ProfilePageProps): string {
  const byName = new Map(fields.map((field) => [field.name, field]))
  const name = byName.get('STARPUNK_AUTHOR_NAME')!
  const photo = byName.get('STARPUNK_AUTHOR_PHOTO')!
  const bio = byName.get('STARPUNK_AUTHOR_BIO')!
  const links = byName.get('STARPUNK_AUTHOR_LINKS')!
  const described = (field: ProfileField) => (field.fromEnv ? `${field.name}-env` : undefined)
  return renderPage(
    <AdminFrame config={config} session={session} title="Author profile">
      <section className="admin-profile">
        <h1>Author profile</h1>
        <p>Shown as the site-wide h-card and in the feeds. Saved in config.json with the other settings; it applies at once.</p>
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
        <form method="post" encType="multipart/form-data" action={uploadAction(session, '/admin/profile')}>
          <p>
            <label htmlFor="profile-name">{PROFILE_LABELS.STARPUNK_AUTHOR_NAME}</label>
            <br />
            <input id="profile-name" name="STARPUNK_AUTHOR_NAME" type="text" maxLength={200} defaultValue={name.value} readOnly={name.fromEnv} aria-describedby={described(name)} />
            <EnvNote field={name} />
          </p>
          <fieldset>
            <legend>{PROFILE_LABELS.STARPUNK_AUTHOR_PHOTO}</legend>
            {photo.value && <img className="profile-photo" src={photo.value} alt="Your current photo" width={96} height={96} />}
            <EnvNote field={photo} />
            {!photo.fromEnv && (
              <p>
                <label htmlFor="profile-photo">Upload a new photo</label>
                <br />
                <input id="profile-photo" name="photo" type="file" accept="image/*,.heic,.heif" />
                {photo.value && (
                  <>
                    <br />
                    <input id="profile-photo-remove" name="photo_remove" type="checkbox" value="1" /> <label htmlFor="profile-photo-remove">Remove the photo</label>
                  </>
                )}
              </p>
            )}
          </fieldset>
          <p>
            <label htmlFor="profile-bio">{PROFILE_LABELS.STARPUNK_AUTHOR_BIO}</label>
            <br />
            <textarea id="profile-bio" name="STARPUNK_AUTHOR_BIO" rows={3} cols={60} maxLength={500} defaultValue={bio.value} readOnly={bio.fromEnv} aria-describedby={described(bio)} />
            <EnvNote field={bio} />
          </p>
          <p>
            <label htmlFor="profile-links">{PROFILE_LABELS.STARPUNK_AUTHOR_LINKS}</label>
            <br />
            <textarea
              id="profile-links"
              name="STARPUNK_AUTHOR_LINKS"
              rows={4}
              cols={60}
              defaultValue={links.value.split(' ').filter(Boolean).join('\n')}
              readOnly={links.fromEnv}
              aria-describedby={described(links)}
            />
            <EnvNote field={links} />
          </p>
          <p>
            <button type="submit">Save profile</button>
          </p>
        </form>
      </section>
    </AdminFrame>,
  )
}
