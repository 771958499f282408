import { useMemo } from 'react'
import { useConsole } from '../api'
import { Chart } from '../Chart'
import { formatMs } from '../format'
import type { ChartColumns } from '../monitoring'
import type { PoolSample } from '../store'

const count = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1))

function PoolChart({ samples }: { samples: PoolSample[] }) {
  const columns = useMemo<ChartColumns>(
    () => ({
      x: samples.map((s) => s.stats.at / 1000),
      series: [
        { label: 'acquired/s', values: samples.map((s) => s.acquiredPerSecond) },
        { label: 'active', values: samples.map((s) => s.stats.active) },
        { label: 'waiting', values: samples.map((s) => s.stats.waiting) },
      ],
    }),
    [samples],
  )
  return <Chart id="pool" title={`Pool activity, last ${samples.length} s`} columns={columns} unit="count" format={count} height={160} />
}

export function PoolPanel() {
  const samples = useConsole((s) => s.pool)
  const latest = samples[samples.length - 1]
  if (!latest) return <p className="muted">Waiting for pool statistics… (the server may be stopped)</p>
  const { stats } = latest
  const numbers: Array<[string, string, string]> = [
    ['size', 'Size', String(stats.size)],
    ['active', 'Active', String(stats.active)],
    ['idle', 'Idle', String(stats.idle)],
    ['waiting', 'Waiting', String(stats.waiting)],
    ['rate', 'Acquired/s', latest.acquiredPerSecond.toFixed(1)],
    ['acquired', 'Acquired (total)', String(stats.acquired)],
    ['mean-wait', 'Mean wait', formatMs(stats.meanWaitMs)],
    ['max-wait', 'Max wait', formatMs(stats.maxWaitMs)],
    ['timeouts', 'Timeouts', String(stats.timeouts)],
  ]
  return (
    <section aria-labelledby="pool-title">
      <h2 id="pool-title">Connection pool</h2>
      <div className="cards">
        {numbers.map(([key, label, value]) => (
          <div className={`card ${key === 'timeouts' && stats.timeouts > 0 ? 'card-warn' : ''}`} key={key}>
            <div className="card-label">{label}</div>
            <div className="card-value" data-testid={`pool-${key}`}>
              {value}
            </div>
          </div>
        ))}
      </div>
      <PoolChart samples={samples} />
    </section>
  )
}
