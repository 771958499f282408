import { useEffect, useState } from 'react'
import type { SiteExportStatus, SiteExportTarget } from '../../../shared/contract'
import { useClient } from '../api'

const TARGET_LABELS: Record<SiteExportTarget, string> = {
  data: 'Data directory (site-export)',
  mirror: 'Mirror directory',
}

/**
 * "Export site": a static copy of the public site into the data directory or the configured mirror (the
 * server picks the folder; nothing here names a path). Progress comes as site:export events.
 */
export function SiteExportCard() {
  const { call, transport } = useClient()
  const [status, setStatus] = useState<SiteExportStatus | null>(null)
  const [target, setTarget] = useState<SiteExportTarget>('data')
  useEffect(() => {
    let live = true
    const off = transport.on('site:export', (next) => setStatus(next))
    void transport.call('site:export-status', undefined).then((result) => {
      if (live && result.ok) setStatus(result.data)
    })
    return () => {
      live = false
      off()
    }
  }, [transport])
  if (!status) return null
  const progress = status.progress
  const percent = progress && progress.total > 0 ? Math.round((100 * progress.done) / progress.total) : 0
  return (
    <section className="site-export" aria-labelledby="site-export-title" data-testid="site-export">
      <h3 id="site-export-title">Export site</h3>
      <p className="muted small">Static files of the public site for a static host or bucket; only changed files are rewritten.</p>
      <div className="actions">
        {status.targets.length > 1 ? (
          <label>
            Into{' '}
            <select value={target} onChange={(e) => setTarget(e.target.value as SiteExportTarget)} disabled={status.running}>
              {status.targets.map((t) => (
                <option key={t} value={t}>
                  {TARGET_LABELS[t]}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <button type="button" disabled={status.running} onClick={() => void call('site:export', { target })}>
          {status.running ? 'Exporting…' : 'Export site'}
        </button>
      </div>
      {status.running ? (
        <p role="status">
          <progress max={100} value={percent} aria-label="Export progress" /> {progress ? `${progress.done} of ${progress.total} files (${progress.phase})` : 'starting'}
        </p>
      ) : null}
      {status.last ? (
        <p className={status.last.ok ? 'small' : 'small problem-fail'} role="status" data-testid="site-export-last">
          {TARGET_LABELS[status.last.target]}: {status.last.message}
        </p>
      ) : null}
    </section>
  )
}
