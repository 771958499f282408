import { useMemo, useState } from 'react'
import type { ConfigConfirmation, ErrorInfo } from '../../../shared/contract'
import { useClient, useConsole } from '../api'
import { ErrorDetails } from '../ErrorDetails'

export function ConfigPanel() {
  const config = useConsole((s) => s.config)
  const problems = useConsole((s) => s.problems)
  const setConfig = useConsole((s) => s.setConfig)
  const status = useConsole((s) => s.status)
  const { call, act } = useClient()
  const [edits, setEdits] = useState<Record<string, string>>({})
  const [checked, setChecked] = useState<ErrorInfo[] | null>(null)
  const [message, setMessage] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  /** A save the server refused until the person confirms it (a listen address other machines can reach). */
  const [pending, setPending] = useState<{ confirmation: ConfigConfirmation; restart: boolean } | null>(null)

  /** New edits make the last validation and any pending confirmation stale: both are cleared with the change. */
  const changeEdits = (next: Record<string, string>) => {
    setEdits(next)
    setChecked(null)
    setPending(null)
  }

  /** What the config file would hold: current file values, plus edits (env-set values cannot be edited here). */
  const fileValues = useMemo(() => {
    const values: Record<string, string> = {}
    for (const field of config?.fields ?? []) if (field.source === 'file') values[field.name] = field.value
    return { ...values, ...edits }
  }, [config, edits])

  if (!config) return <p className="muted">Loading…</p>
  const dirty = Object.keys(edits).length > 0

  const validate = async (): Promise<ErrorInfo[] | null> => {
    const result = await call('config:validate', { values: fileValues })
    if (!result.ok) return null
    setChecked(result.data.problems)
    return result.data.problems
  }
  const save = async (restart: boolean, confirm = false) => {
    setBusy(true)
    setMessage(null)
    try {
      const found = await validate()
      if (!found || found.length > 0) return
      const saved = await call('config:save', { values: fileValues, ...(confirm ? { confirm: true } : {}) })
      if (saved.ok && !saved.data.saved && saved.data.confirmation) {
        setPending({ confirmation: saved.data.confirmation, restart })
        return
      }
      if (!saved.ok || !saved.data.saved) {
        if (saved.ok) setChecked(saved.data.problems)
        return
      }
      changeEdits({})
      const fresh = await call('config:get', undefined)
      if (fresh.ok) setConfig(fresh.data)
      if (restart) {
        await act('restart')
        setMessage('Saved. The server is restarting with the new configuration.')
      } else setMessage(`Saved to the config file. Restart the server${status?.controllable === false ? ' from its terminal' : ''} to apply it.`)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="config-title">
      <h2 id="config-title">Configuration</h2>
      {problems.length > 0 ? (
        <div className="problems" data-testid="config-problems">
          <h3>
            {problems.length} problem{problems.length === 1 ? '' : 's'} found at startup
          </h3>
          {problems.map((p, i) => (
            <ErrorDetails key={`${p.code}-${i}`} error={p} className="problem-fail" />
          ))}
        </div>
      ) : (
        <p className="notice pass">The configuration is valid.</p>
      )}
      <p className="muted">
        Config file: <code>{config.filePath}</code>. Values set by environment variables win over the file and are read-only here.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          void save(false)
        }}
      >
        <table className="config">
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">Value</th>
              <th scope="col">Source</th>
              <th scope="col">Default</th>
            </tr>
          </thead>
          <tbody>
            {config.fields.map((field) => {
              const value = edits[field.name] ?? field.value
              // Set by the environment, or settable only there: the console cannot change it.
              const fromEnv = field.source === 'env' || field.envOnly
              return (
                <tr key={field.name} className={field.name in edits ? 'edited' : undefined}>
                  <th scope="row">
                    <label htmlFor={`cfg-${field.name}`}>{field.name}</label>
                    <div className="muted small">{field.description}</div>
                  </th>
                  <td>
                    <input
                      id={`cfg-${field.name}`}
                      type={field.secret ? 'password' : 'text'}
                      value={value}
                      readOnly={fromEnv}
                      autoComplete="off"
                      spellCheck={false}
                      onChange={(e) => changeEdits({ ...edits, [field.name]: e.target.value })}
                    />
                  </td>
                  <td>
                    <span className={`badge source-${field.source}`}>{field.source}</span>
                  </td>
                  <td>
                    <code>{field.secret ? '(generated)' : field.default || '—'}</code>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
        {checked && checked.length > 0 ? (
          <div className="problems" role="alert" data-testid="validation-problems">
            <h3>These values cannot be saved</h3>
            {checked.map((p, i) => (
              <ErrorDetails key={`${p.code}-${i}`} error={p} className="problem-fail" />
            ))}
          </div>
        ) : null}
        {checked && checked.length === 0 ? <p className="notice pass">These values are valid.</p> : null}
        {message ? <p className="notice pass" role="status">{message}</p> : null}
        {pending ? (
          <div className="problems confirm" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text" data-testid="confirm-host">
            <h3 id="confirm-title">Listen on {pending.confirmation.to}?</h3>
            <p id="confirm-text">{pending.confirmation.explanation}</p>
            <div className="actions">
              <button
                type="button"
                onClick={() => {
                  const { restart } = pending
                  setPending(null)
                  void save(restart, true)
                }}
              >
                Listen on {pending.confirmation.to}
              </button>
              {/* The safe answer has the focus: Enter keeps the blog on this computer. */}
              <button type="button" autoFocus onClick={() => setPending(null)}>
                Cancel
              </button>
            </div>
          </div>
        ) : null}
        <div className="actions">
          <button type="button" disabled={busy || !dirty} onClick={() => void validate()}>
            Validate
          </button>
          <button type="submit" disabled={busy || !dirty}>
            Save
          </button>
          {status?.controllable !== false ? (
            <button type="button" disabled={busy || !dirty} onClick={() => void save(true)}>
              Save and restart
            </button>
          ) : null}
          <button type="button" disabled={busy || !dirty} onClick={() => changeEdits({})}>
            Discard changes
          </button>
        </div>
      </form>
    </section>
  )
}
