import express, { Router, type NextFunction, type Request, type Response } from 'express'
import type { ReactNode } from 'react'
import { safeEqual, type AdminSession, type AuthGuards } from '../auth'
import type { Config } from '../config'
import { AppError, appError } from '../errors'
import { wholeNumberParam } from '../http'
import { receiveMultipart, type MediaLibrary, type MediaService, type ReceivedFile } from '../media'
import type { Note, NotesService, Properties } from '../notes'
import type { BackupInfo, BackupStatus } from '../../../shared/contract'
import { renderMediaPage, renderProfilePage } from './library-pages'
import { adminNotePath, noticeText, renderDashboard, renderNoteForm, type DashboardView, type NoteFormValues } from './pages'
import { MAX_PHOTOS, photosOf, placeUploads, readPhotoSlots, withPhotos, type NotePhoto } from './photos'
import { PROFILE_SETTINGS, type AuthorProfile, type ProfileSetting } from './profile'

export interface AdminRoutesDeps {
  config: Config
  notes: NotesService
  guards: AuthGuards
  /** Stores uploaded photos (through the image pipeline). */
  media: MediaService
  /** Lists and deletes uploads for /admin/media. */
  library: MediaLibrary
  /** The author profile (settings applied live). */
  profile: AuthorProfile
  /** "Back up now" into <data dir>/backups, and when the last one was taken (shown on the dashboard). */
  backups?: { runNow(): Promise<BackupInfo>; status(): Promise<BackupStatus> }
  /** Webmention for each note: the send checkbox and what was sent and received (absent: neither shown). */
  conversation?: NoteConversation
}

/** What the note form needs from Webmention, without knowing it. */
export interface NoteConversation {
  /** Whether the note's properties let it send. */
  sends(properties: Properties): boolean
  /** The properties with sending turned on or off. */
  withSending(properties: Properties, on: boolean): Properties
  /** Where the note's Webmentions went and what came back, and what it received. */
  section(note: Note): Promise<ReactNode>
}

/** A submitted form's fields, each as the list of values sent under its name (urlencoded or multipart). */
type FormFields = Record<string, string[]>

function urlencodedFields(body: unknown): FormFields {
  const fields: FormFields = {}
  if (!body || typeof body !== 'object') return fields
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value]
    fields[name] = values.filter((v): v is string => typeof v === 'string')
  }
  return fields
}

function field(fields: FormFields, name: string): string {
  return fields[name]?.[0] ?? ''
}

const FORBIDDEN_DETAILS = 'Uploads carry the CSRF token of the current session in the query string (_csrf) or the X-CSRF-Token header.'

/**
 * The CSRF check of a multipart form, before its body is read: the token comes from the query string or a
 * header, never from a body field (reading the body to find it would mean receiving the upload first).
 */
function csrfBeforeBody(req: Request, res: Response, next: NextFunction): void {
  const session = res.locals.session as AdminSession | null | undefined
  const header = req.headers['x-csrf-token']
  const query = req.query._csrf
  const sent = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined
  if (!session || !sent || !safeEqual(sent, session.csrfToken)) {
    // The body stays unread: close the connection after the answer instead of receiving it.
    res.setHeader('Connection', 'close')
    next(appError('FORBIDDEN', { message: 'This form has expired or did not come from this site, so nothing was changed.', details: FORBIDDEN_DETAILS }))
    return
  }
  next()
}

function isMultipart(req: Request): boolean {
  return req.is('multipart/form-data') === 'multipart/form-data'
}

function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean)
}

interface ReceivedForm {
  fields: FormFields
  files: ReceivedFile[]
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The dashboard's last readable page number (any higher one shows page 1, as a malformed one does). */
const MAX_PAGE = 999_999

function sessionOf(res: Response): AdminSession {
  const session = res.locals.session
  // requireAdmin runs first on every admin route; reaching here without a session is a wiring bug.
  if (!session) throw appError('UNAUTHORIZED')
  return session
}

/** The server-rendered admin area: note list, create, edit, publish/unpublish, delete and restore. */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const { config, notes, guards, media, library, profile, conversation, backups } = deps
  const router = Router()
  /** The send checkbox as submitted: on when ticked; a form without it (an old page, a script) keeps `current`. */
  const sendingFrom = (fields: FormFields, current: boolean): boolean | undefined =>
    conversation ? (fields.send_webmentions_offered ? field(fields, 'send_webmentions') === '1' : current) : undefined
  const withSending = (properties: Properties, on: boolean | undefined): Properties =>
    conversation && on !== undefined ? conversation.withSending(properties, on) : properties
  const sectionFor = async (note: Note | undefined): Promise<ReactNode> => (conversation && note ? conversation.section(note) : null)
  const form = express.urlencoded({ extended: false, limit: config.maxBodyBytes, parameterLimit: 100 })
  const multipartLimits = { maxFileBytes: config.media.maxUploadBytes, maxFieldBytes: config.maxBodyBytes, maxFiles: MAX_PHOTOS }

  // Everything under /admin except the login pages needs a session; pages are never cached.
  const protect = [guards.requireAdmin, (_req: Request, res: Response, next: () => void) => {
    res.set('Cache-Control', 'no-store')
    next()
  }]
  const change = [...protect, form, guards.verifyCsrf]

  /**
   * A form that may carry files: multipart (session, then CSRF from the query or a header, then the body,
   * files streamed to temp files) or, for older pages and scripts, urlencoded as before.
   */
  const upload = [
    ...protect,
    (req: Request, res: Response, next: NextFunction) => (isMultipart(req) ? csrfBeforeBody(req, res, next) : next()),
    async (req: Request, res: Response, next: NextFunction) => {
      if (!isMultipart(req)) {
        form(req, res, (err?: unknown) => (err ? next(err) : guards.verifyCsrf(req, res, next)))
        return
      }
      try {
        const body = await receiveMultipart(req, media, multipartLimits)
        res.locals.form = { fields: body.fields, files: body.files } satisfies ReceivedForm
        next()
      } catch (err) {
        next(err)
      }
    },
  ]

  const receivedForm = (req: Request, res: Response): ReceivedForm => (res.locals.form as ReceivedForm | undefined) ?? { fields: urlencodedFields(req.body), files: [] }

  /** Store the photo files of a form through the media service; files under other names are dropped. */
  async function storePhotos(files: ReceivedFile[]): Promise<{ urls: string[]; error: AppError | null }> {
    const urls: string[] = []
    const pending = [...files]
    try {
      while (pending.length > 0) {
        const file = pending.shift()!
        // A file input left empty still sends a part, with no name and no bytes.
        if (file.field !== 'photo' || (file.size === 0 && file.clientName === '')) {
          await media.discard(file.tempPath)
          continue
        }
        const stored = await media.storeTempFile(file.tempPath, { declaredType: file.clientType, declaredName: file.clientName })
        urls.push(stored.url)
      }
      return { urls, error: null }
    } catch (err) {
      await Promise.all(pending.map((file) => media.discard(file.tempPath)))
      // A refused photo is shown in the form with what was typed (and the photos already stored kept).
      if (err instanceof AppError && err.kind === 'user') return { urls, error: err }
      throw err
    }
  }

  /** Our own uploads, or photos the note already has, may stay in a note's photo list. */
  const keepable = (note: Note | undefined) => {
    const current = new Set(note ? photosOf(note.properties).map((photo) => photo.url) : [])
    return (url: string) => current.has(url) || media.filenameOf(url) !== null
  }

  async function notePhotos(fields: FormFields, files: ReceivedFile[], note: Note | undefined): Promise<{ photos: NotePhoto[]; error: AppError | null }> {
    const slots = readPhotoSlots(fields, keepable(note))
    const { urls, error } = await storePhotos(files)
    const photos = placeUploads(slots, urls)
    // Kept rows are not files, so the multipart file limit does not bound them: the note's own limit does.
    if (!error && photos.length > MAX_PHOTOS) return { photos, error: appError('BAD_REQUEST', { vars: { detail: `a note can have at most ${MAX_PHOTOS} photos.` } }) }
    return { photos, error }
  }

  const findEditable = async (slug: string): Promise<Note> => {
    const note = await notes.get(slug, { includeDrafts: true })
    if (!note) throw appError('NOT_FOUND')
    return note
  }

  router.get(['/admin', '/admin/'], ...protect, async (req, res) => {
    const view: DashboardView = req.query.view === 'trash' ? 'trash' : req.query.view === 'drafts' ? 'drafts' : 'all'
    const perPage = config.notesPerPage
    const page = wholeNumberParam(req, 'page', { fallback: 1, min: 1, max: MAX_PAGE, lenient: true })
    const options =
      view === 'trash'
        ? { onlyDeleted: true, includeDrafts: true, includeDeleted: true }
        : { includeDrafts: true, includeDeleted: false, onlyDrafts: view === 'drafts' }
    const { notes: list, total } = await notes.list({ ...options, limit: perPage, offset: (page - 1) * perPage })
    const pageCount = Math.max(1, Math.ceil(total / perPage))
    const backup = view === 'all' && backups ? await backups.status() : null
    res.type('html').send(renderDashboard({ config, session: sessionOf(res), notes: list, total, page, pageCount, view, notice: noticeText(req.query.done), backup }))
  })

  // Answers once the archive has its name; the copy runs in small steps, so other requests are served meanwhile.
  router.post('/admin/backup', ...change, async (_req, res) => {
    if (!backups) throw appError('CONSOLE_ACTION_UNAVAILABLE', { vars: { action: 'back up' }, suggestion: 'Run `npm run backup -- FILE` in a terminal instead.' })
    await backups.runNow()
    res.redirect(303, '/admin?done=backup')
  })

  router.get('/admin/notes/new', ...protect, (_req, res) => {
    const values: NoteFormValues = { content: '', tags: '', slug: '', published: true, photos: [], ...(conversation ? { sendWebmentions: true } : {}) }
    res.type('html').send(renderNoteForm({ config, session: sessionOf(res), values, error: null }))
  })

  /** Markdown → the HTML a saved note would get (same renderer and allow-list), for the live preview. */
  router.post('/admin/preview', ...change, async (req, res) => {
    const html = await notes.renderPreview(field(urlencodedFields(req.body), 'content'))
    res.type('html').send(html)
  })

  router.post('/admin/notes', ...upload, async (req, res) => {
    const { fields, files } = receivedForm(req, res)
    const { photos, error } = await notePhotos(fields, files, undefined)
    const values: NoteFormValues = {
      content: field(fields, 'content'),
      tags: field(fields, 'tags'),
      slug: field(fields, 'slug').trim(),
      published: field(fields, 'published') === '1',
      photos,
      ...(conversation ? { sendWebmentions: sendingFrom(fields, true) } : {}),
    }
    const session = sessionOf(res)
    if (error) {
      res.status(error.status).type('html').send(renderNoteForm({ config, session, values, error: error.info.message }))
      return
    }
    if (field(fields, 'intent') === 'preview') {
      res.type('html').send(renderNoteForm({ config, session, values, error: null, preview: await previewOf(values.content) }))
      return
    }
    try {
      const note = await notes.create({
        content: values.content,
        tags: parseTags(values.tags),
        published: values.published,
        ...(values.slug ? { slug: values.slug } : {}),
        ...(photos.length || values.sendWebmentions === false ? { properties: withSending(photos.length ? withPhotos({}, photos) : {}, values.sendWebmentions) } : {}),
      })
      if (photos.length) await media.attach(photos.map((photo) => photo.url), note.id)
      res.redirect(303, `${adminNotePath(note.slug, 'edit')}?done=created`)
    } catch (err) {
      // A validation error: show the form again with everything typed, nothing lost.
      if (err instanceof AppError && err.kind === 'user') {
        res.status(err.status).type('html').send(renderNoteForm({ config, session, values, error: err.info.message }))
        return
      }
      throw err
    }
  })

  /** A preview that cannot be rendered (too large) says so in its place rather than failing the form. */
  async function previewOf(content: string): Promise<string> {
    try {
      return await notes.renderPreview(content)
    } catch (err) {
      if (err instanceof AppError && err.kind === 'user') return `<p>${escapeText(err.info.message)}</p>`
      throw err
    }
  }

  router.get('/admin/notes/:slug/edit', ...protect, async (req, res) => {
    const note = await findEditable(String(req.params.slug))
    const values: NoteFormValues = {
      content: note.content,
      tags: note.tags.join(', '),
      slug: note.slug,
      published: note.published,
      photos: photosOf(note.properties),
      ...(conversation ? { sendWebmentions: conversation.sends(note.properties) } : {}),
    }
    res.type('html').send(renderNoteForm({ config, session: sessionOf(res), note, values, error: null, notice: noticeText(req.query.done), conversation: await sectionFor(note) }))
  })

  router.post('/admin/notes/:slug', ...upload, async (req, res) => {
    const { fields, files } = receivedForm(req, res)
    let note: Note
    try {
      note = await findEditable(String(req.params.slug))
    } catch (err) {
      await Promise.all(files.map((file) => media.discard(file.tempPath)))
      throw err
    }
    // A form without the photo list (an old page, a script) leaves the note's photos as they are.
    const listed = fields.photo_item !== undefined || files.some((file) => file.field === 'photo' && file.size > 0)
    const { photos, error } = listed ? await notePhotos(fields, files, note) : { photos: photosOf(note.properties), error: await storePhotos(files).then((r) => r.error) }
    const values: NoteFormValues = {
      content: field(fields, 'content'),
      tags: field(fields, 'tags'),
      slug: note.slug,
      published: field(fields, 'published') === '1',
      photos,
      ...(conversation ? { sendWebmentions: sendingFrom(fields, conversation.sends(note.properties)) } : {}),
    }
    const session = sessionOf(res)
    if (error) {
      res.status(error.status).type('html').send(renderNoteForm({ config, session, note, values, error: error.info.message }))
      return
    }
    if (field(fields, 'intent') === 'preview') {
      res.type('html').send(renderNoteForm({ config, session, note, values, error: null, preview: await previewOf(values.content) }))
      return
    }
    try {
      await notes.update(note.slug, {
        content: values.content,
        tags: parseTags(values.tags),
        published: values.published,
        properties: withSending(withPhotos(note.properties, photos), values.sendWebmentions),
      })
      if (photos.length) await media.attach(photos.map((photo) => photo.url), note.id)
      res.redirect(303, `${adminNotePath(note.slug, 'edit')}?done=updated`)
    } catch (err) {
      if (err instanceof AppError && err.kind === 'user' && err.code !== 'NOT_FOUND') {
        res.status(err.status).type('html').send(renderNoteForm({ config, session, note, values, error: err.info.message }))
        return
      }
      throw err
    }
  })

  router.post('/admin/notes/:slug/publish', ...change, async (req, res) => {
    const note = await findEditable(String(req.params.slug))
    const published = field(urlencodedFields(req.body), 'published') !== '0'
    await notes.update(note.slug, { published })
    res.redirect(303, `/admin?done=${published ? 'published' : 'unpublished'}`)
  })

  router.post('/admin/notes/:slug/delete', ...change, async (req, res) => {
    const note = await findEditable(String(req.params.slug))
    await notes.remove(note.slug)
    res.redirect(303, '/admin?done=deleted')
  })

  router.post('/admin/notes/:slug/restore', ...change, async (req, res) => {
    await notes.restore(String(req.params.slug))
    res.redirect(303, '/admin?view=trash&done=restored')
  })

  router.get('/admin/media', ...protect, async (req, res) => {
    const { items, totalBytes } = await library.list()
    res.type('html').send(renderMediaPage({ config, session: sessionOf(res), items, totalBytes, done: req.query.done }))
  })

  router.post('/admin/media/:file/delete', ...change, async (req, res) => {
    const filename = String(req.params.file)
    // The author's photo is no note's, but deleting it would break the h-card on every page.
    if (config.authorPhoto && media.filenameOf(config.authorPhoto) === filename) throw appError('MEDIA_IN_USE', { vars: { count: 'the author profile' } })
    await library.remove(filename)
    res.redirect(303, '/admin/media?done=deleted')
  })

  router.get('/admin/profile', ...protect, (req, res) => {
    const notice = req.query.done === 'saved' ? 'Profile saved. Pages and feeds show it now.' : null
    res.type('html').send(renderProfilePage({ config, session: sessionOf(res), fields: profile.fields(), error: null, notice }))
  })

  router.post('/admin/profile', ...upload, async (req, res) => {
    const { fields, files } = receivedForm(req, res)
    const env = new Set(profile.fields().filter((f) => f.fromEnv).map((f) => f.name))
    const values: Partial<Record<ProfileSetting, string>> = {}
    for (const name of PROFILE_SETTINGS) {
      if (name === 'STARPUNK_AUTHOR_PHOTO' || env.has(name) || fields[name] === undefined) continue
      values[name] = name === 'STARPUNK_AUTHOR_LINKS' ? field(fields, name).split(/\s+/).filter(Boolean).join(' ') : field(fields, name)
    }
    const session = sessionOf(res)
    if (env.has('STARPUNK_AUTHOR_PHOTO')) {
      await Promise.all(files.map((file) => media.discard(file.tempPath)))
    } else {
      const { urls, error } = await storePhotos(files.slice(0, 1))
      await Promise.all(files.slice(1).map((file) => media.discard(file.tempPath)))
      if (error) {
        res.status(error.status).type('html').send(renderProfilePage({ config, session, fields: profile.fields(), error: error.info.message, notice: null }))
        return
      }
      if (urls[0]) values.STARPUNK_AUTHOR_PHOTO = urls[0]
      else if (field(fields, 'photo_remove') === '1') values.STARPUNK_AUTHOR_PHOTO = ''
    }
    const result = profile.save(values)
    if (!result.saved) {
      const message = result.problems.map((problem) => problem.message).join(' ')
      res.status(400).type('html').send(renderProfilePage({ config, session, fields: profile.fields(), error: message, notice: null }))
      return
    }
    res.redirect(303, '/admin/profile?done=saved')
  })

  return router
}
