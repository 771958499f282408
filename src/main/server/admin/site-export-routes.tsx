import express, { Router, type Request, type Response } from 'express'
import type { AdminSession, AuthGuards } from '../auth'
import type { Config } from '../config'
import { appError } from '../errors'
import type { ExportStatus, ExportTarget, SiteExportActions } from '../site-export'
import { renderPage } from '../web'
import { humanBytes } from './library-pages'
import { AdminFrame } from './pages'

export interface SiteExportAdminDeps {
  config: Config
  guards: AuthGuards
  actions: SiteExportActions
}

const TARGET_LABELS: Record<ExportTarget, string> = {
  data: 'The data directory (site-export folder)',
  mirror: 'The mirror directory (STARPUNK_MIRROR_DIR)',
}

function SiteExportPage({ config, session, status }: { config: Config; session: AdminSession; status: ExportStatus }) {
  const { progress, last } = status
  return (
    <AdminFrame config={config} session={session} title="Export site" {...(status.running ? { refreshSeconds: 2 } : {})}>
      <section className="admin-site-export">
        <h1>Export site</h1>
        <p>
          Writes the public site as static files (pages, feeds, photos) for a static host or CDN bucket. Only files whose bytes changed are
          rewritten.
        </p>
        {status.running ? (
          <p className="notice" role="status" id="export-progress">
            Exporting to {status.target === 'mirror' ? 'the mirror directory' : 'the data directory'}: {progress ? `${progress.done} of ${progress.total} files (${progress.phase})` : 'starting'}…
            This page refreshes by itself.
          </p>
        ) : (
          <form method="post" action="/admin/site-export" className="site-export-form">
            <input type="hidden" name="_csrf" value={session.csrfToken} />
            <fieldset>
              <legend>Where to write</legend>
              {status.targets.map((target, index) => (
                <p key={target}>
                  <input type="radio" id={`target-${target}`} name="target" value={target} defaultChecked={index === 0} />{' '}
                  <label htmlFor={`target-${target}`}>{TARGET_LABELS[target]}</label>
                </p>
              ))}
            </fieldset>
            <button type="submit">Export site</button>
          </form>
        )}
        {last && (
          <p className={last.ok ? 'notice' : 'error'} role={last.ok ? 'status' : 'alert'} id="export-last">
            Last export ({last.target === 'mirror' ? 'mirror directory' : 'data directory'}, <time dateTime={last.finishedAt}>{last.finishedAt.slice(0, 19).replace('T', ' ')} UTC</time>):{' '}
            {last.message} {last.ok && `${humanBytes(last.bytes)} in all, ${last.durationMs} ms.`}
          </p>
        )}
      </section>
    </AdminFrame>
  )
}

/**
 * /admin/site-export: the "Export site" action for the admin, without JavaScript. The form names a target,
 * never a path: the folder is fixed by the server (the data dir's site-export, or STARPUNK_MIRROR_DIR).
 */
export function siteExportAdminRoutes({ config, guards, actions }: SiteExportAdminDeps): Router {
  const router = Router()
  const form = express.urlencoded({ extended: false, limit: config.maxBodyBytes, parameterLimit: 10 })
  const noStore = (_req: Request, res: Response, next: () => void) => {
    res.set('Cache-Control', 'no-store')
    next()
  }
  const session = (res: Response) => res.locals.session as AdminSession

  router.get('/admin/site-export', guards.requireAdmin, noStore, (_req, res) => {
    res.type('html').send(renderPage(<SiteExportPage config={config} session={session(res)} status={actions.status()} />))
  })

  router.post('/admin/site-export', guards.requireAdmin, noStore, form, guards.verifyCsrf, (req, res) => {
    const body = req.body as Record<string, unknown> | undefined
    const target = body?.target
    if (target !== 'data' && target !== 'mirror') throw appError('BAD_REQUEST', { vars: { detail: 'target must be "data" or "mirror"' } })
    if (!actions.status().targets.includes(target)) throw appError('SITE_EXPORT_UNAVAILABLE', { vars: { target: 'a mirror directory' } })
    // A second press while one runs just shows its progress.
    actions.start(target)
    res.redirect(303, '/admin/site-export')
  })
  return router
}
