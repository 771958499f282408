import type { ErrorInfo } from '../../../shared/errors'
import type { Config } from '../config'
import { Layout } from './layout'
import { renderPage } from './render'

export function renderErrorPage(config: Config, info: ErrorInfo, status: number, requestId: string): string {
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
        <p className="request-id">
          Error {info.code} · request ID <code>{requestId}</code>
        </p>
      </section>
    </Layout>,
  )
}
