import { formatTime } from '../format'
import { useConsole } from '../api'
import { HealthHistory } from './HealthHistory'

export function HealthPanel() {
  const health = useConsole((s) => s.health)
  const status = useConsole((s) => s.status)
  const changes = useConsole((s) => s.healthChanges)
  const changedAt = useConsole((s) => s.healthChangedAt)
  const live = status?.state === 'running'
  return (
    <section aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      <div className="cards">
        <div className={`card status-${live ? 'pass' : 'fail'}`}>
          <div className="card-label">Liveness</div>
          <div className="card-value" data-testid="liveness">{live ? 'pass' : 'fail'}</div>
        </div>
        <div className={`card status-${health?.status ?? 'unknown'}`}>
          <div className="card-label">Readiness</div>
          <div className="card-value" data-testid="readiness">{health?.status ?? '—'}</div>
        </div>
        {changedAt ? (
          <div className="card">
            <div className="card-label">Last change</div>
            <div className="card-value small">{new Date(changedAt).toLocaleTimeString(undefined, { hour12: false })}</div>
          </div>
        ) : null}
      </div>
      {health?.checks ? (
        <table className="checks">
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Status</th>
              <th scope="col">Observed</th>
              <th scope="col">Last checked</th>
              <th scope="col">Output</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(health.checks).flatMap(([key, list]) =>
              list.map((check, i) => (
                <tr key={`${key}-${i}`} data-check={key} className={key in changes ? 'changed' : undefined}>
                  <th scope="row">
                    {key}
                    {check.componentType ? <span className="muted"> ({check.componentType})</span> : null}
                  </th>
                  <td>
                    <span className={`badge status-${check.status}`} data-testid={`check-${key}`}>
                      {check.status}
                    </span>
                    {key in changes ? <span className="was"> was {changes[key]}</span> : null}
                  </td>
                  <td>{check.observedValue === undefined ? '—' : `${String(check.observedValue)}${check.observedUnit ? ` ${check.observedUnit}` : ''}`}</td>
                  <td>{formatTime(check.time)}</td>
                  <td className="output">{check.output ?? ''}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      ) : (
        <p className="muted">No readiness report yet.</p>
      )}
      <HealthHistory />
    </section>
  )
}
