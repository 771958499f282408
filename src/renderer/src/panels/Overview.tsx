import { useCallback, useEffect, useState } from 'react'
import type { LifecycleAction } from '../../../shared/contract'
import { useClient, useConsole } from '../api'
import { ErrorDetails } from '../ErrorDetails'
import { formatDuration } from '../format'
import { currentRate, formatRate, formatUptime, openIncidents, overallUptime } from '../monitoring'
import { useHealthHistoryPoll, useTrafficPoll } from '../poll'
import { SiteExportCard } from './SiteExport'

/** Uptime and req/s at a glance, and incidents open now (in red). Polls only while the Overview is open. */
function MonitoringGlance() {
  useTrafficPoll('15m')
  useHealthHistoryPoll('24h')
  const traffic = useConsole((s) => s.traffic)
  const history = useConsole((s) => s.healthHistory)
  const setPanel = useConsole((s) => s.setPanel)
  const view = traffic.data?.range === '15m' ? traffic.data : null
  const health = history.data?.range === '24h' ? history.data : null
  const open = openIncidents(health)
  if (traffic.error && history.error && !view && !health) return <p className="muted small" data-testid="monitoring-unavailable">Monitoring history: {history.error.message}</p>
  return (
    <>
      <div className="cards">
        {(['24h', '7d', '30d'] as const).map((w) => (
          <div className="card" key={w}>
            <div className="card-label">Uptime {w.replace(/(\d+)/, '$1 ')}</div>
            <div className="card-value" data-testid={`overview-uptime-${w}`}>
              {health ? formatUptime(overallUptime(health, w)) : '…'}
            </div>
          </div>
        ))}
        <div className="card">
          <div className="card-label">Requests/s</div>
          <div className="card-value" data-testid="overview-rps">
            {view ? formatRate(currentRate(view)) : '…'}
          </div>
        </div>
      </div>
      {open.length > 0 ? (
        <div className="incidents-now" role="status" data-testid="overview-incidents">
          <strong>{open.length} open incident{open.length === 1 ? '' : 's'}:</strong>{' '}
          {open.map((i) => `${i.component} (${i.status}${i.check ? `, ${i.check}` : ''})`).join('; ')}{' '}
          <button type="button" className="link" onClick={() => setPanel('health')}>
            Show in Health
          </button>
        </div>
      ) : null}
    </>
  )
}

/** The last backup's time, and "Back up now" (into <data dir>/backups; the server keeps STARPUNK_BACKUP_KEEP). */
function BackupRow() {
  const { transport, call } = useClient()
  const backup = useConsole((s) => s.backup)
  const setBackup = useConsole((s) => s.setBackup)
  const [running, setRunning] = useState(false)
  const refresh = useCallback(async () => {
    const result = await transport.call('backup:status', undefined)
    setBackup(result.ok ? { data: result.data, error: null } : { data: null, error: result.error })
  }, [transport, setBackup])
  useEffect(() => {
    void refresh()
  }, [refresh])
  const backUp = async () => {
    setRunning(true)
    try {
      // A failure lands in the console's error banner (call), with the catalog's suggestion.
      await call('backup:run', undefined)
      await refresh()
    } finally {
      setRunning(false)
    }
  }
  const last = backup.data?.last ?? null
  return (
    <span className="backup-row">
      <span data-testid="last-backup">
        {backup.error && !backup.data ? (
          <span className="muted">{backup.error.message}</span>
        ) : last ? (
          <time dateTime={last.createdAt} title={last.file}>
            {new Date(last.createdAt).toLocaleString()}
          </time>
        ) : backup.data ? (
          'never'
        ) : (
          '…'
        )}
      </span>{' '}
      <button type="button" disabled={running || backup.data?.running === true} onClick={() => void backUp()}>
        {running ? 'Backing up…' : 'Back up now'}
      </button>
    </span>
  )
}

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
  const pending = useConsole((s) => s.pending)
  const connection = useConsole((s) => s.connection)
  const { act, openLink } = useClient()
  const now = useNow(1000)
  // Between the click and the server's answer; after it, `pending` holds until the outcome arrives.
  const [asking, setAsking] = useState<LifecycleAction | null>(null)
  if (!status) return <p className="muted">Loading…</p>

  const uptime = status.startedAt && status.state === 'running' ? (now - Date.parse(status.startedAt)) / 1000 : 0
  const busy = asking ?? pending?.accepted ?? null
  const run = async (action: LifecycleAction) => {
    setAsking(action)
    try {
      await act(action)
    } finally {
      setAsking(null)
    }
  }
  const cannotAct = busy !== null || connection !== 'open'
  const rows: Array<[string, React.ReactNode]> = [
    ['Server URL', status.url ? <a href={status.url} target="_blank" rel="noopener noreferrer">{status.url}</a> : <span className="muted">not listening</span>],
    ['Status', <span className={`badge state-${status.state}`} data-testid="server-state">{status.state}</span>],
    ['Uptime', <span data-testid="uptime">{status.state === 'running' ? formatDuration(uptime) : '—'}</span>],
    ['Version', status.version],
    ['Data directory', <code>{status.dataDir}</code>],
    ['Search engine', status.searchEngine ?? '—'],
    ...(status.state === 'running' ? ([['Last backup', <BackupRow />]] as Array<[string, React.ReactNode]>) : []),
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
      {status.state === 'running' ? <MonitoringGlance /> : null}
      <dl className="facts">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div className="actions">
        {status.controllable !== false ? (
          <>
            <button type="button" disabled={cannotAct || status.state === 'running'} onClick={() => void run('start')}>
              {busy === 'start' ? 'Starting…' : 'Start'}
            </button>
            <button type="button" disabled={cannotAct || status.state !== 'running'} onClick={() => void run('stop')}>
              {busy === 'stop' ? 'Stopping…' : 'Stop'}
            </button>
            <button type="button" disabled={cannotAct} onClick={() => void run('restart')}>
              {busy === 'restart' ? 'Restarting…' : 'Restart'}
            </button>
          </>
        ) : (
          <span className="muted small">Started from a terminal: restart it there.</span>
        )}
        <button type="button" disabled={status.state !== 'running'} onClick={() => void openLink('blog')}>
          Open blog
        </button>
        <button type="button" disabled={status.state !== 'running'} onClick={() => void openLink('admin')}>
          Open admin
        </button>
      </div>
      {status.state === 'running' ? <SiteExportCard /> : null}
    </section>
  )
}
