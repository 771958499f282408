import { useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { LogEntry, LogLevel } from '../../../shared/contract'
import { formatTime } from '../format'
import { useConsole } from '../api'
import { LEVELS, LOG_CAPACITY, logKey } from '../store'

/** Fixed row height keeps the virtual list simple: only the rows in view (plus a margin) are in the DOM. */
const ROW_HEIGHT = 24
const OVERSCAN = 20

// Entries never change once received: each one's text is built once, not on every batch or keystroke.
const fieldsCache = new WeakMap<LogEntry, string>()
const searchCache = new WeakMap<LogEntry, string>()

function fieldsText(entry: LogEntry): string {
  if (!entry.fields) return ''
  let text = fieldsCache.get(entry)
  if (text === undefined) {
    text = Object.entries(entry.fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ')
    fieldsCache.set(entry, text)
  }
  return text
}

/** What the filter box searches: message, request ID and fields, lower-cased. */
function searchText(entry: LogEntry): string {
  let text = searchCache.get(entry)
  if (text === undefined) {
    text = `${entry.msg}\n${entry.requestId ?? ''}\n${fieldsText(entry)}`.toLowerCase()
    searchCache.set(entry, text)
  }
  return text
}

export function LogsPanel() {
  const live = useConsole((s) => s.logs)
  const dropped = useConsole((s) => s.logsDropped)
  const [paused, setPaused] = useState<LogEntry[] | null>(null)
  const [minLevel, setMinLevel] = useState<LogLevel>('DEBUG')
  const [text, setText] = useState('')
  // Opened from an event's "Logs of request" link: filtered by that request from the start.
  const initialRequestId = useConsole((s) => s.logsRequestId)
  const [requestId, setRequestId] = useState<string | null>(initialRequestId)
  const viewport = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [viewHeight, setViewHeight] = useState(480)
  const follow = useRef(true)

  const source = paused ?? live
  const filtered = useMemo(() => {
    const min = LEVELS.indexOf(minLevel)
    const needle = text.trim().toLowerCase()
    return source.filter((e) => {
      if (LEVELS.indexOf(e.level) < min) return false
      if (requestId && e.requestId !== requestId) return false
      if (!needle) return true
      return searchText(e).includes(needle)
    })
  }, [source, minLevel, text, requestId])

  useLayoutEffect(() => {
    const el = viewport.current
    if (!el) return
    const observer = new ResizeObserver(() => setViewHeight(el.clientHeight))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  useLayoutEffect(() => {
    const el = viewport.current
    if (el && follow.current) {
      el.scrollTop = el.scrollHeight
      setScrollTop(el.scrollTop)
    }
  }, [filtered.length])

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN)
  const last = Math.min(filtered.length, Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN)
  const rows = filtered.slice(first, last)
  // Lines that arrived since pausing (the buffer is full at capacity, so lengths alone do not tell).
  const lastPaused = paused?.[paused.length - 1]
  const waiting = paused ? (lastPaused ? live.length - 1 - live.lastIndexOf(lastPaused) : live.length) : 0

  return (
    <section aria-labelledby="logs-title" className="logs-panel">
      <h2 id="logs-title">Logs</h2>
      <div className="toolbar" role="search">
        <label>
          Level{' '}
          <select value={minLevel} onChange={(e) => setMinLevel(e.target.value as LogLevel)} aria-label="Minimum level">
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}+
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          <span className="visually-hidden">Filter</span>
          <input type="search" placeholder="Filter by text or request ID" value={text} onChange={(e) => setText(e.target.value)} aria-label="Filter logs" />
        </label>
        {requestId ? (
          <button type="button" className="chip" onClick={() => setRequestId(null)} aria-label={`Clear request filter ${requestId}`} data-testid="request-filter">
            request {requestId.slice(0, 8)}… ✕
          </button>
        ) : null}
        <button type="button" onClick={() => setPaused(paused ? null : live)} aria-pressed={paused !== null}>
          {paused ? `Resume${waiting > 0 ? ` (${waiting} new)` : ''}` : 'Pause'}
        </button>
        <span className="muted" data-testid="log-count">
          {filtered.length} of {source.length} lines{dropped > 0 ? `, ${dropped} skipped` : ''} (holds {LOG_CAPACITY.toLocaleString()})
        </span>
      </div>
      <div
        className="log-viewport"
        ref={viewport}
        tabIndex={0}
        // Not role="log": a live region over thousands of rows would read every batch aloud.
        role="region"
        aria-label="Log lines"
        onScroll={(e) => {
          const el = e.currentTarget
          setScrollTop(el.scrollTop)
          follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT
        }}
      >
        <div className="log-spacer" style={{ height: filtered.length * ROW_HEIGHT }}>
          {rows.map((entry, i) => (
            <div className={`log-row level-${entry.level}`} key={logKey(entry)} style={{ top: (first + i) * ROW_HEIGHT }} data-seq={entry.seq}>
              <span className="log-time">{formatTime(entry.time)}</span>
              <span className="log-level">{entry.level}</span>
              {entry.requestId ? (
                <button type="button" className="log-rid" title={`Show every line of request ${entry.requestId}`} onClick={() => setRequestId(entry.requestId ?? null)}>
                  {entry.requestId.slice(0, 8)}
                </button>
              ) : (
                <span className="log-rid none" />
              )}
              <span className="log-msg">{entry.msg}</span>
              <span className="log-fields">{fieldsText(entry)}</span>
            </div>
          ))}
        </div>
      </div>
    </section>
  )
}
