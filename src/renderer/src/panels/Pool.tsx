import { formatMs } from '../format'
import { useConsole } from '../api'
import { POOL_HISTORY, type PoolSample } from '../store'

const WIDTH = 600
const HEIGHT = 140

/** The x axis spans at least a minute, growing to five as samples arrive (newest on the right). */
function line(samples: PoolSample[], value: (s: PoolSample) => number, max: number): string {
  const span = Math.min(POOL_HISTORY, Math.max(60, samples.length))
  const step = WIDTH / Math.max(1, span - 1)
  const offset = span - samples.length
  return samples.map((s, i) => `${((offset + i) * step).toFixed(1)},${(HEIGHT - (value(s) / max) * (HEIGHT - 8)).toFixed(1)}`).join(' ')
}

function PoolChart({ samples }: { samples: PoolSample[] }) {
  const maxRate = Math.max(1, ...samples.map((s) => s.acquiredPerSecond))
  const maxConn = Math.max(1, ...samples.map((s) => Math.max(s.stats.size, s.stats.waiting, s.stats.active)))
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="Pool activity over the last five minutes" preserveAspectRatio="none">
        <line x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} className="axis" />
        <polyline points={line(samples, (s) => s.acquiredPerSecond, maxRate)} className="series-rate" />
        <polyline points={line(samples, (s) => s.stats.active, maxConn)} className="series-active" />
        <polyline points={line(samples, (s) => s.stats.waiting, maxConn)} className="series-waiting" />
      </svg>
      <figcaption>
        <span className="key key-rate">acquired/s (max {maxRate.toFixed(0)})</span>
        <span className="key key-active">active</span>
        <span className="key key-waiting">waiting</span>
        <span className="muted">last {Math.round(samples.length)} s</span>
      </figcaption>
    </figure>
  )
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
