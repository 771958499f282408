import { useConsole } from '../api'
import { useEventsPoll } from '../poll'
import { MonitoringError } from './MonitoringError'
import { RangePicker } from './RangePicker'

const label = (type: string) => type.replace(/_/g, ' ')

export function EventsPanel() {
  const range = useConsole((s) => s.range)
  const types = useConsole((s) => s.eventTypes)
  const setTypes = useConsole((s) => s.setEventTypes)
  const showLogsFor = useConsole((s) => s.showLogsFor)
  const { data, error } = useConsole((s) => s.events)
  useEventsPoll(range, types)
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <div className="toolbar">
        <RangePicker />
        <label>
          Type{' '}
          <select aria-label="Event type" value={types[0] ?? ''} onChange={(e) => setTypes(e.target.value ? [e.target.value] : [])}>
            <option value="">All types</option>
            {(data?.types ?? []).map((t) => (
              <option key={t} value={t}>
                {label(t)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <MonitoringError error={error} />
      {data ? (
        data.events.length > 0 ? (
          <ol className="timeline" data-testid="events">
            {data.events.map((e) => (
              <li key={e.id} className={`event level-${e.level}`} data-type={e.type}>
                <time dateTime={new Date(e.time).toISOString()}>{new Date(e.time).toLocaleString(undefined, { hour12: false })}</time>
                <span className={`badge event-type level-${e.level}`}>{label(e.type)}</span>
                <span className="event-message">{e.message}</span>
                {e.requestId ? (
                  <button type="button" className="link" onClick={() => showLogsFor(e.requestId ?? '')} title={`Show the log lines of request ${e.requestId}`}>
                    Logs of request {e.requestId.slice(0, 8)}
                  </button>
                ) : null}
              </li>
            ))}
          </ol>
        ) : (
          <p className="muted">No events{types.length > 0 ? ' of this type' : ''} in this range.</p>
        )
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
    </section>
  )
}
