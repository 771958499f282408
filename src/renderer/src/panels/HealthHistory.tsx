import { UPTIME_WINDOWS } from '../../../shared/contract'
import { useConsole } from '../api'
import { formatSpan, formatUptime, heartbeatTitle } from '../monitoring'
import { useHealthHistoryPoll } from '../poll'
import { MonitoringError } from './MonitoringError'
import { RangePicker } from './RangePicker'

const WINDOW_LABEL = { '24h': '24 h', '7d': '7 d', '30d': '30 d' } as const

/** Per component: a heartbeat bar (one cell per sample), uptime over 24 h / 7 d / 30 d; then the incidents. */
export function HealthHistory() {
  const range = useConsole((s) => s.range)
  const { data, error } = useConsole((s) => s.healthHistory)
  useHealthHistoryPoll(range)
  const view = data && data.range === range ? data : null
  return (
    <section aria-labelledby="health-history-title" className="health-history">
      <h3 id="health-history-title">History</h3>
      <div className="toolbar">
        <RangePicker />
      </div>
      <MonitoringError error={error} />
      {view ? (
        <>
          <table className="heartbeats" data-testid="heartbeats">
            <thead>
              <tr>
                <th scope="col">Component</th>
                <th scope="col">Heartbeats (newest right)</th>
                {UPTIME_WINDOWS.map((w) => (
                  <th scope="col" key={w}>
                    Uptime {WINDOW_LABEL[w]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {view.components.map((c) => {
                const last = c.heartbeats[c.heartbeats.length - 1]
                const bad = c.heartbeats.filter((h) => h.status !== 'pass').length
                return (
                  <tr key={c.name} data-component={c.name}>
                    <th scope="row">{c.name}</th>
                    <td>
                      <div
                        className="heartbeat-bar"
                        role="img"
                        aria-label={`${c.name}: ${c.heartbeats.length} samples, ${bad} not passing${last ? `, latest ${last.status}` : ''}`}
                        data-latest={last?.status ?? ''}
                      >
                        {c.heartbeats.map((h) => (
                          <span key={h.time} className={`beat status-${h.status}`} title={heartbeatTitle(h)} data-status={h.status} />
                        ))}
                      </div>
                    </td>
                    {UPTIME_WINDOWS.map((w) => {
                      const u = c.uptime[w]
                      return (
                        <td key={w} data-testid={`uptime-${c.name}-${w}`} title={`up ${formatSpan(u.upMs)} (degraded ${formatSpan(u.degradedMs)}), down ${formatSpan(u.downMs)}, no data ${formatSpan(u.noDataMs)}`}>
                          {formatUptime(u.percent)}
                          {u.noDataMs > 0 && u.percent !== null ? <span className="muted small"> · no data {formatSpan(u.noDataMs)}</span> : null}
                        </td>
                      )
                    })}
                  </tr>
                )
              })}
            </tbody>
          </table>
          <h3>Incidents</h3>
          {view.incidents.length > 0 ? (
            <table className="incidents" data-testid="incidents">
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col">Status</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Check and first output</th>
                </tr>
              </thead>
              <tbody>
                {view.incidents.map((i) => (
                  <tr key={i.id} className={i.endedAt === null ? 'incident-open' : undefined} data-open={i.endedAt === null}>
                    <th scope="row">{i.component}</th>
                    <td>
                      <span className={`badge status-${i.status}`}>{i.status}</span> {i.endedAt === null ? <strong className="text-fail">open</strong> : 'closed'}
                    </td>
                    <td>{new Date(i.startedAt).toLocaleString(undefined, { hour12: false })}</td>
                    <td>{i.durationMs === null ? 'ongoing' : formatSpan(i.durationMs)}</td>
                    <td className="output">
                      {i.check ? <code>{i.check}</code> : null} {i.firstOutput ?? ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">No incidents in this range.</p>
          )}
        </>
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
    </section>
  )
}
