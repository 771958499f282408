import { useEffect, useRef, useState } from 'react'
import { useClient, useConsole } from './api'
import { ErrorBoundary } from './ErrorBoundary'
import { ErrorDetails } from './ErrorDetails'
import { ConfigPanel } from './panels/Config'
import { EventsPanel } from './panels/Events'
import { TrafficPanel } from './panels/Traffic'
import { AlertsToggle, useBrowserAlerts } from './alerts'
import { HealthPanel } from './panels/Health'
import { LogsPanel } from './panels/Logs'
import { OverviewPanel } from './panels/Overview'
import { PoolPanel } from './panels/Pool'
import { PANELS, type PanelId } from './store'

type Theme = 'auto' | 'light' | 'dark'

function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('starpunk-theme') as Theme | null) ?? 'auto')
  useEffect(() => {
    localStorage.setItem('starpunk-theme', theme)
    if (theme === 'auto') delete document.documentElement.dataset.theme
    else document.documentElement.dataset.theme = theme
  }, [theme])
  return [theme, setTheme]
}

function SignedOut() {
  const next = encodeURIComponent(window.location.pathname)
  return (
    <main className="signed-out">
      <h1>StarPunk console</h1>
      <p>You are signed out of the admin area.</p>
      <p>
        <a className="button" href={`/admin/login?next=${next}`}>
          Sign in
        </a>
      </p>
    </main>
  )
}

export function App() {
  const panel = useConsole((s) => s.panel)
  const setPanel = useConsole((s) => s.setPanel)
  const status = useConsole((s) => s.status)
  const health = useConsole((s) => s.health)
  const problems = useConsole((s) => s.problems)
  const connection = useConsole((s) => s.connection)
  const lastError = useConsole((s) => s.lastError)
  const setError = useConsole((s) => s.setError)
  const [theme, setTheme] = useTheme()
  const client = useClient()
  const tabs = useRef<Record<string, HTMLButtonElement | null>>({})

  useEffect(() => client.connect(), [client])
  useBrowserAlerts()
  useEffect(() => {
    // Alt+1…7 jump between panels from anywhere.
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey) return
      const index = Number(e.key) - 1
      const target = PANELS[index]
      if (target) {
        e.preventDefault()
        setPanel(target.id)
        tabs.current[target.id]?.focus()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [setPanel])

  if (connection === 'signed-out') return <SignedOut />

  const onTabKey = (e: React.KeyboardEvent, id: PanelId) => {
    const index = PANELS.findIndex((p) => p.id === id)
    const delta = e.key === 'ArrowDown' || e.key === 'ArrowRight' ? 1 : e.key === 'ArrowUp' || e.key === 'ArrowLeft' ? -1 : 0
    if (!delta) return
    e.preventDefault()
    const next = PANELS[(index + delta + PANELS.length) % PANELS.length]
    if (next) {
      setPanel(next.id)
      tabs.current[next.id]?.focus()
    }
  }
  const readiness = status?.state === 'running' ? (health?.status ?? 'unknown') : 'off'
  const badges: Partial<Record<PanelId, string>> = {
    health: health && health.status !== 'pass' ? health.status : undefined,
    config: problems.length > 0 ? String(problems.length) : undefined,
  }

  return (
    <div className="app">
      <header className="topbar">
        <h1>
          <span className={`dot status-${readiness}`} aria-hidden="true" />
          StarPunk <span className="muted">console</span>
        </h1>
        <div className="topbar-right">
          <span className={`badge state-${status?.state ?? 'starting'}`} data-testid="topbar-state">
            {status?.state ?? '…'}
          </span>
          {connection !== 'open' ? <span className="badge warn">{connection}…</span> : null}
          <span className="muted small">{client.transport.label}</span>
          {client.transport.label === 'browser' ? <AlertsToggle /> : null}
          <label>
            <span className="visually-hidden">Theme</span>
            <select value={theme} onChange={(e) => setTheme(e.target.value as Theme)} aria-label="Theme">
              <option value="auto">Auto theme</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
        </div>
      </header>
      <nav className="sidebar" aria-label="Panels">
        <div role="tablist" aria-orientation="vertical">
          {PANELS.map((p, i) => (
            <button
              key={p.id}
              ref={(el) => {
                tabs.current[p.id] = el
              }}
              type="button"
              role="tab"
              id={`tab-${p.id}`}
              aria-selected={panel === p.id}
              aria-controls="panel"
              tabIndex={panel === p.id ? 0 : -1}
              onClick={() => setPanel(p.id)}
              onKeyDown={(e) => onTabKey(e, p.id)}
              title={`Alt+${i + 1}`}
            >
              {p.label}
              {badges[p.id] ? <span className={`count ${p.id === 'health' ? `status-${badges[p.id]}` : ''}`}>{badges[p.id]}</span> : null}
            </button>
          ))}
        </div>
      </nav>
      <main id="panel" role="tabpanel" aria-labelledby={`tab-${panel}`} className="content">
        {lastError ? (
          <div className="banner" role="alert">
            <ErrorDetails error={lastError} />
            <button type="button" onClick={() => setError(null)}>
              Dismiss
            </button>
          </div>
        ) : null}
        {/* A panel that throws shows what broke, and the other panels keep working (keyed: a new panel starts clean). */}
        <ErrorBoundary key={panel} where={`The ${panel} panel`}>
          {panel === 'overview' ? <OverviewPanel /> : null}
          {panel === 'traffic' ? <TrafficPanel /> : null}
          {panel === 'pool' ? <PoolPanel /> : null}
          {panel === 'health' ? <HealthPanel /> : null}
          {panel === 'events' ? <EventsPanel /> : null}
          {panel === 'logs' ? <LogsPanel /> : null}
          {panel === 'config' ? <ConfigPanel /> : null}
        </ErrorBoundary>
      </main>
    </div>
  )
}
