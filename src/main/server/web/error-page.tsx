import type { ErrorInfo } from '../../../shared/errors'
import type { Config } from '../config'
import { Layout } from './layout'
import { renderPage } from './render'

/** An error page; requestId null for a static copy's 404 page (no request there to name). */
export function renderErrorPage(config: Config, info: ErrorInfo, status: number, requestId: string | null): string {
  return renderPage(
    <Layout config={config} title={status === 404 ? 'Not found' : 'Error'}>
      <section className="error-page">
        <h1>{info.message}</h1>
        <p>{info.suggestion}</p>
        {info.troubleshooting.length > 0 && (
          <ol>
            {info.troubleshooting.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
        )}
        {requestId !== null && (
          <p className="request-id">
            Error {info.code} · request ID <code>{requestId}</code>
          </p>
        )}
      </section>
    </Layout>,
  )
}

/**
 * What a static copy keeps at the address of a deleted note: a small page saying so, which hosts that can
 * set statuses serve with 410 Gone (docs/deployment.md).
 */
export function renderGonePage(config: Config, path: string): string {
  return renderPage(
    <Layout config={config} title="Gone" canonical={`${config.siteUrl}${path}`}>
      <section className="error-page">
        <h1>This note was deleted.</h1>
        <p>
          It is no longer on this site. <a href="/">See the latest notes</a>.
        </p>
      </section>
    </Layout>,
  )
}
