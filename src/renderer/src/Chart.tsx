/**
 * A time-series chart drawn by uPlot (canvas), with labelled axes, and a legend that doubles as the
 * hover read-out (each series' value at the hovered bucket, else at the newest one with data). Nulls
 * are gaps. Colours come from the theme's CSS variables; the chart is rebuilt when the theme changes.
 */
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { readout, type ChartColumns } from './monitoring'

/** Series colours: CSS variables, so light and dark each have readable ones. */
const SERIES_VARS = ['--series-1', '--series-2', '--series-3', '--series-4', '--series-5', '--series-6']

function subscribeTheme(onChange: () => void): () => void {
  const media = window.matchMedia('(prefers-color-scheme: dark)')
  const observer = new MutationObserver(onChange)
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
  media.addEventListener('change', onChange)
  return () => {
    observer.disconnect()
    media.removeEventListener('change', onChange)
  }
}

/** A key that changes with the theme (explicit choice or the system's). */
function themeKey(): string {
  return `${document.documentElement.dataset.theme ?? 'auto'}-${window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'}`
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

export interface ChartProps {
  /** Short name, used for the figure's label and test IDs. */
  id: string
  title: string
  columns: ChartColumns
  /** The value axis' label, e.g. "req/s". */
  unit: string
  format: (value: number) => string
  height?: number
}

function timeFormat(spanSeconds: number): (seconds: number) => string {
  const withDate = spanSeconds > 86_400
  return (seconds) => {
    const d = new Date(seconds * 1000)
    const time = d.toLocaleTimeString(undefined, { hour12: false, hour: '2-digit', minute: '2-digit', ...(spanSeconds <= 3600 ? { second: '2-digit' } : {}) })
    return withDate ? `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}` : time
  }
}

export function Chart({ id, title, columns, unit, format, height = 180 }: ChartProps) {
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const [hover, setHover] = useState<number | null>(null)
  const theme = useSyncExternalStore(subscribeTheme, themeKey)
  const labels = columns.series.map((s) => s.label).join('|')
  const data = useMemo(() => [columns.x, ...columns.series.map((s) => s.values)] as uPlot.AlignedData, [columns])
  const dataRef = useRef(data)
  const span = columns.x.length > 1 ? (columns.x[columns.x.length - 1] as number) - (columns.x[0] as number) : 0
  const spanRef = useRef(span)

  // Built once per theme and series set; new data goes through setData below.
  useEffect(() => {
    const el = host.current
    if (!el) return
    const text = cssVar('--muted')
    const grid = cssVar('--border')
    const formatTime = (seconds: number) => timeFormat(spanRef.current)(seconds)
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { label: 'Time', stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, values: (_u, splits) => splits.map(formatTime), space: 90 },
        { label: unit, stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, values: (_u, splits) => splits.map((v) => format(v)), size: 64 },
      ],
      series: [
        { label: 'Time' },
        ...labels.split('|').filter(Boolean).map((label, i) => ({ label, stroke: cssVar(SERIES_VARS[i % SERIES_VARS.length] as string), width: 2, spanGaps: false, points: { show: false } })),
      ],
      hooks: {
        setCursor: [(u) => setHover(u.cursor.idx ?? null)],
      },
    }
    const chart = new uPlot(opts, dataRef.current, el)
    plot.current = chart
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      chart.destroy()
      plot.current = null
    }
  }, [theme, labels, unit, format, height])

  useEffect(() => {
    dataRef.current = data
    spanRef.current = span
    plot.current?.setData(data)
  }, [data, span])

  const shown = readout(columns, hover)
  const readoutTime = shown.time === null ? null : timeFormat(span)(shown.time / 1000)
  return (
    <figure className="chart uplot-chart" aria-labelledby={`chart-${id}-title`} data-testid={`chart-${id}`}>
      <h3 id={`chart-${id}-title`}>{title}</h3>
      {/* The canvas itself says nothing to a screen reader; the read-out below holds the numbers. */}
      <div ref={host} className="chart-canvas" aria-hidden="true" />
      <figcaption className="legend" data-testid={`readout-${id}`}>
        <span className="muted">{readoutTime ? (hover === null ? `latest (${readoutTime})` : readoutTime) : 'no data in this range'}</span>
        {shown.values.map((v, i) => (
          <span key={v.label} className="key" data-series={v.label} data-value={v.value ?? ''}>
            <span className="swatch" data-color={i % SERIES_VARS.length} aria-hidden="true" />
            {v.label}: <strong>{v.value === null ? '—' : format(v.value)}</strong>
          </span>
        ))}
      </figcaption>
    </figure>
  )
}
