import type { ErrorInfo } from '../../shared/contract'

/** One problem, with everything a person needs to fix it. */
export function ErrorDetails({ error, className }: { error: ErrorInfo; className?: string }) {
  return (
    <article className={`problem ${className ?? ''}`} data-code={error.code}>
      <header>
        <span className="problem-code">{error.code}</span>
        <span className="problem-message">{error.message}</span>
      </header>
      <p className="problem-suggestion">
        <strong>What to do:</strong> {error.suggestion}
      </p>
      {error.details ? <p className="problem-details">{error.details}</p> : null}
      {error.troubleshooting.length > 0 ? (
        <details className="problem-steps" open>
          <summary>Troubleshooting</summary>
          <ol>
            {error.troubleshooting.map((step, i) => (
              <li key={i}>{step}</li>
            ))}
          </ol>
        </details>
      ) : null}
    </article>
  )
}
