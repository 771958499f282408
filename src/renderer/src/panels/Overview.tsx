import { useEffect, useState } from 'react'
import { call, transport } from '../api'
import { ErrorDetails } from '../ErrorDetails'
import { formatDuration } from '../format'
import { useConsole } from '../store'

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs)
    return () => clearInterval(timer)
  }, [intervalMs])
  return now
}

export function OverviewPanel() {
  const status = useConsole((s) => s.status)
  const problems = useConsole((s) => s.problems)
  const setPanel = useConsole((s) => s.setPanel)
  const now = useNow(1000)
  const [busy, setBusy] = useState<string | null>(null)
  if (!status) return <p className="muted">Loading…</p>

  const uptime = status.startedAt && status.state === 'running' ? (now - Date.parse(status.startedAt)) / 1000 : 0
  const act = async (name: 'server:start' | 'server:stop' | 'server:restart') => {
    setBusy(name)
    await call(name, undefined)
    setBusy(null)
  }
  const open = async (target: 'blog' | 'admin') => {
    const result = await call('link:open', { target })
    // Inside the desktop app the main process opens the system browser; in a browser, a new tab.
    if (result.ok && transport.kind === 'http') window.open(result.data.url, '_blank', 'noopener')
  }
  const rows: Array<[string, React.ReactNode]> = [
    ['Server URL', status.url ? <a href={status.url} target="_blank" rel="noopener noreferrer">{status.url}</a> : <span className="muted">not listening</span>],
    ['Status', <span className={`badge state-${status.state}`} data-testid="server-state">{status.state}</span>],
    ['Uptime', <span data-testid="uptime">{status.state === 'running' ? formatDuration(uptime) : '—'}</span>],
    ['Version', status.version],
    ['Data directory', <code>{status.dataDir}</code>],
    ['Search engine', status.searchEngine ?? '—'],
  ]
  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">Overview</h2>
      {status.error ? <ErrorDetails error={status.error} className="problem-fail" /> : null}
      {problems.length > 0 ? (
        <p className="notice warn">
          {problems.length} configuration problem{problems.length === 1 ? '' : 's'}{status.state === 'running' ? ': running with defaults in their place.' : '.'}{' '}
          <button type="button" className="link" onClick={() => setPanel('config')}>
            Show them
          </button>
        </p>
      ) : null}
      <dl className="facts">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div className="actions">
        {transport.kind === 'ipc' && status.controllable !== false ? (
          <>
            <button type="button" disabled={busy !== null || status.state === 'running'} onClick={() => void act('server:start')}>
              Start
            </button>
            <button type="button" disabled={busy !== null || status.state !== 'running'} onClick={() => void act('server:stop')}>
              Stop
            </button>
          </>
        ) : null}
        {status.controllable !== false ? (
          <button type="button" disabled={busy !== null} onClick={() => void act('server:restart')}>
            {busy === 'server:restart' ? 'Restarting…' : 'Restart'}
          </button>
        ) : (
          <span className="muted small">Started from a terminal: restart it there.</span>
        )}
        <button type="button" disabled={status.state !== 'running'} onClick={() => void open('blog')}>
          Open blog
        </button>
        <button type="button" disabled={status.state !== 'running'} onClick={() => void open('admin')}>
          Open admin
        </button>
      </div>
    </section>
  )
}
