import { useMemo } from 'react'
import { useConsole } from '../api'
import { Chart } from '../Chart'
import { formatMs } from '../format'
import { errorColumns, formatRate, latencyColumns, rateColumns, totalRequests } from '../monitoring'
import { useTrafficPoll } from '../poll'
import { MonitoringError } from './MonitoringError'
import { RangePicker } from './RangePicker'

// Module-level: the chart rebuilds when its formatter changes, so these must be stable.
const rate = (v: number) => formatRate(v)
const ms = (v: number) => formatMs(v)
const percent = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)}%`

export function TrafficPanel() {
  const range = useConsole((s) => s.range)
  const { data: view, error } = useConsole((s) => s.traffic)
  useTrafficPoll(range)
  // The view shown may be for another range until the new one arrives.
  const current = view && view.range === range ? view : null
  const columns = useMemo(() => (current ? { rates: rateColumns(current), latency: latencyColumns(current), errors: errorColumns(current) } : null), [current])
  return (
    <section aria-labelledby="traffic-title">
      <h2 id="traffic-title">Traffic</h2>
      <div className="toolbar">
        <RangePicker />
        {current ? (
          <span className="muted" data-testid="traffic-total">
            {totalRequests(current)} requests · {current.stepMs / 1000}-second buckets
          </span>
        ) : null}
      </div>
      <MonitoringError error={error} />
      {columns && current ? (
        <>
          <Chart id="rate" title="Requests per second by route group" columns={columns.rates} unit="req/s" format={rate} />
          <Chart id="latency" title="Latency (all routes)" columns={columns.latency} unit="ms" format={ms} />
          <Chart id="errors" title="Error rate (5xx)" columns={columns.errors} unit="% 5xx" format={percent} />
          <h3>Slowest route groups</h3>
          {current.slowest.length > 0 ? (
            <table className="slowest" data-testid="slowest">
              <thead>
                <tr>
                  <th scope="col">Route group</th>
                  <th scope="col">Requests</th>
                  <th scope="col">p50</th>
                  <th scope="col">p95</th>
                  <th scope="col">p99</th>
                  <th scope="col">5xx</th>
                </tr>
              </thead>
              <tbody>
                {current.slowest.map((row) => (
                  <tr key={row.group}>
                    <th scope="row">{row.group}</th>
                    <td>{row.requests}</td>
                    <td>{row.p50Ms === null ? '—' : formatMs(row.p50Ms)}</td>
                    <td>{row.p95Ms === null ? '—' : formatMs(row.p95Ms)}</td>
                    <td>{row.p99Ms === null ? '—' : formatMs(row.p99Ms)}</td>
                    <td>{row.serverErrors}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">No requests in this range.</p>
          )}
        </>
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
    </section>
  )
}
