/**
 * Browser console alerts: a notification (the Notification API) when readiness turns warn or fail and
 * when it recovers — only after the person opted in with the button (which asks the browser's
 * permission). The decision is the server's (decideAlert, held for STARPUNK_ALERT_SAMPLES samples, pushed
 * as `health:alert`), the same one the desktop app's native notifications follow; this module only shows them.
 * The desktop app shows native notifications from the main process instead, so it has no button.
 */
import { useEffect, useState } from 'react'
import { useClient, useConsole } from './api'
import { alertText } from './monitoring'

const OPT_IN_KEY = 'starpunk-alerts'

const supported = () => typeof window !== 'undefined' && 'Notification' in window

export function useBrowserAlerts(): void {
  const { store, transport } = useClient()
  useEffect(() => {
    if (transport.label !== 'browser' || !supported()) return
    if (localStorage.getItem(OPT_IN_KEY) === 'on' && Notification.permission === 'granted') store.getState().setAlertsEnabled(true)
    return store.subscribe((state, previous) => {
      if (state.alerts === previous.alerts || !state.alertsEnabled || Notification.permission !== 'granted') return
      const alert = state.alerts[state.alerts.length - 1]
      if (!alert) return
      const { title, body } = alertText(alert, 'StarPunk')
      try {
        // One tag: a newer state replaces the older notification instead of stacking.
        new Notification(title, { body, tag: 'starpunk-readiness' })
      } catch {
        // Some browsers allow notifications only from a service worker; the console still shows the state.
      }
    })
  }, [store, transport])
}

export function AlertsToggle() {
  const enabled = useConsole((s) => s.alertsEnabled)
  const setEnabled = useConsole((s) => s.setAlertsEnabled)
  const [blocked, setBlocked] = useState(() => supported() && Notification.permission === 'denied')
  if (!supported()) return null
  if (blocked) return <span className="muted small" title="Allow notifications for this site in the browser's settings">Alerts blocked</span>
  const toggle = async () => {
    if (enabled) {
      setEnabled(false)
      localStorage.setItem(OPT_IN_KEY, 'off')
      return
    }
    const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission()
    if (permission === 'granted') {
      setEnabled(true)
      localStorage.setItem(OPT_IN_KEY, 'on')
    } else if (permission === 'denied') setBlocked(true)
  }
  return (
    <button type="button" aria-pressed={enabled} onClick={() => void toggle()} title="Notify me when readiness turns warn or fail, and when it recovers" data-testid="alerts-toggle">
      {enabled ? 'Alerts on' : 'Enable alerts'}
    </button>
  )
}
