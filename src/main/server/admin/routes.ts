import express, { Router, type Request, type Response } from 'express'
import type { AdminSession, AuthGuards } from '../auth'
import type { Config } from '../config'
import { AppError, appError } from '../errors'
import { wholeNumberParam } from '../http'
import type { Note, NotesService } from '../notes'
import { adminNotePath, noticeText, renderDashboard, renderNoteForm, type DashboardView, type NoteFormValues } from './pages'

export interface AdminRoutesDeps {
  config: Config
  notes: NotesService
  guards: AuthGuards
}

function field(body: unknown, name: string): string {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined
  return typeof value === 'string' ? value : ''
}

function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean)
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
  const { config, notes, guards } = deps
  const router = Router()
  const form = express.urlencoded({ extended: false, limit: config.maxBodyBytes, parameterLimit: 100 })

  // Everything under /admin except the login pages needs a session; pages are never cached.
  const protect = [guards.requireAdmin, (_req: Request, res: Response, next: () => void) => {
    res.set('Cache-Control', 'no-store')
    next()
  }]
  const change = [...protect, form, guards.verifyCsrf]

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
    res.type('html').send(renderDashboard({ config, session: sessionOf(res), notes: list, total, page, pageCount, view, notice: noticeText(req.query.done) }))
  })

  router.get('/admin/notes/new', ...protect, (_req, res) => {
    const values: NoteFormValues = { content: '', tags: '', slug: '', published: true }
    res.type('html').send(renderNoteForm({ config, session: sessionOf(res), values, error: null }))
  })

  router.post('/admin/notes', ...change, async (req, res) => {
    const values: NoteFormValues = {
      content: field(req.body, 'content'),
      tags: field(req.body, 'tags'),
      slug: field(req.body, 'slug').trim(),
      published: field(req.body, 'published') === '1',
    }
    try {
      const note = await notes.create({
        content: values.content,
        tags: parseTags(values.tags),
        published: values.published,
        ...(values.slug ? { slug: values.slug } : {}),
      })
      res.redirect(303, `${adminNotePath(note.slug, 'edit')}?done=created`)
    } catch (err) {
      // A validation error: show the form again with everything typed, nothing lost.
      if (err instanceof AppError && err.kind === 'user') {
        res.status(err.status).type('html').send(renderNoteForm({ config, session: sessionOf(res), values, error: err.info.message }))
        return
      }
      throw err
    }
  })

  router.get('/admin/notes/:slug/edit', ...protect, async (req, res) => {
    const note = await findEditable(String(req.params.slug))
    const values: NoteFormValues = { content: note.content, tags: note.tags.join(', '), slug: note.slug, published: note.published }
    res.type('html').send(renderNoteForm({ config, session: sessionOf(res), note, values, error: null, notice: noticeText(req.query.done) }))
  })

  router.post('/admin/notes/:slug', ...change, async (req, res) => {
    const note = await findEditable(String(req.params.slug))
    const values: NoteFormValues = {
      content: field(req.body, 'content'),
      tags: field(req.body, 'tags'),
      slug: note.slug,
      published: field(req.body, 'published') === '1',
    }
    try {
      await notes.update(note.slug, { content: values.content, tags: parseTags(values.tags), published: values.published })
      res.redirect(303, `${adminNotePath(note.slug, 'edit')}?done=updated`)
    } catch (err) {
      if (err instanceof AppError && err.kind === 'user' && err.code !== 'NOT_FOUND') {
        res.status(err.status).type('html').send(renderNoteForm({ config, session: sessionOf(res), note, values, error: err.info.message }))
        return
      }
      throw err
    }
  })

  router.post('/admin/notes/:slug/publish', ...change, async (req, res) => {
    const note = await findEditable(String(req.params.slug))
    const published = field(req.body, 'published') !== '0'
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

  return router
}
