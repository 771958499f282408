/**
 * Monitoring views, pure: turning the contract's history answers into chart columns, read-outs and
 * summaries, and the browser's alert rule. No DOM, so it is tested in plain Node (test/renderer).
 */
import type { Alert } from '../../shared/alert'
import type { HealthHistory, HealthStatus, IncidentView, MonitoringRange, TrafficView } from '../../shared/contract'

export const RANGE_OPTIONS: Array<{ id: MonitoringRange; label: string }> = [
  { id: '15m', label: '15 min' },
  { id: '1h', label: '1 h' },
  { id: '24h', label: '24 h' },
  { id: '7d', label: '7 d' },
  { id: '30d', label: '30 d' },
]

/** Chart columns uPlot draws: x in seconds, then one column per series; null is a gap, never a zero. */
export interface ChartColumns {
  x: number[]
  series: Array<{ label: string; values: Array<number | null> }>
}

/** Route groups with any requests in the range, busiest first (the chart draws those, not all eleven). */
export function activeGroups(view: TrafficView): string[] {
  const totals = new Map<string, number>()
  for (const bucket of view.buckets) for (const [group, stats] of Object.entries(bucket.groups ?? {})) totals.set(group, (totals.get(group) ?? 0) + stats.requests)
  return [...totals.entries()].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([g]) => g)
}

const xs = (view: TrafficView) => view.buckets.map((b) => b.time / 1000)

/** Requests per second by route group. A sampled bucket without requests of a group is 0; a gap is null. */
export function rateColumns(view: TrafficView): ChartColumns {
  const groups = activeGroups(view)
  return {
    x: xs(view),
    series: groups.map((group) => ({ label: group, values: view.buckets.map((b) => (b.groups === null ? null : (b.groups[group]?.rps ?? 0))) })),
  }
}

/** p50 / p95 / p99 over all groups, ms; null where nothing was measured. */
export function latencyColumns(view: TrafficView): ChartColumns {
  const pick = (key: 'p50Ms' | 'p95Ms' | 'p99Ms') => view.buckets.map((b) => b.total?.[key] ?? null)
  return { x: xs(view), series: [{ label: 'p50', values: pick('p50Ms') }, { label: 'p95', values: pick('p95Ms') }, { label: 'p99', values: pick('p99Ms') }] }
}

/** Server errors (5xx) as a percentage of requests; null for a gap or a bucket without requests. */
export function errorColumns(view: TrafficView): ChartColumns {
  return { x: xs(view), series: [{ label: '5xx %', values: view.buckets.map((b) => (b.total?.errorRate == null ? null : b.total.errorRate * 100)) }] }
}

/** The index of the newest bucket that has data, or null. */
export function lastSampledIndex(columns: ChartColumns): number | null {
  for (let i = columns.x.length - 1; i >= 0; i--) if (columns.series.some((s) => s.values[i] != null)) return i
  return null
}

/** The read-out for one bucket (the hovered one, else the newest with data): each series' value there. */
export function readout(columns: ChartColumns, index: number | null): { time: number | null; values: Array<{ label: string; value: number | null }> } {
  const i = index ?? lastSampledIndex(columns)
  if (i === null || i < 0 || i >= columns.x.length) return { time: null, values: columns.series.map((s) => ({ label: s.label, value: null })) }
  return { time: (columns.x[i] as number) * 1000, values: columns.series.map((s) => ({ label: s.label, value: s.values[i] ?? null })) }
}

/** Requests per second of the newest sampled bucket (what "req/s now" means at a glance), or null. */
export function currentRate(view: TrafficView | null): number | null {
  if (!view) return null
  for (let i = view.buckets.length - 1; i >= 0; i--) {
    const total = view.buckets[i]?.total
    if (total) return total.rps
  }
  return null
}

/** Total requests in the range (a burst of requests raises it). */
export function totalRequests(view: TrafficView | null): number {
  return view ? view.buckets.reduce((sum, b) => sum + (b.total?.requests ?? 0), 0) : 0
}

/** Percent cut (not rounded) to two decimals, so 99.999 never reads as 100; null → "no data". */
export function formatUptime(percent: number | null): string {
  if (percent === null) return 'no data'
  const cut = Math.floor(percent * 100) / 100
  return `${cut.toFixed(2).replace(/\.?0+$/, '')}%`
}

export function formatRate(perSecond: number | null): string {
  if (perSecond === null) return '—'
  return perSecond < 10 ? perSecond.toFixed(perSecond === 0 ? 0 : 2) : String(Math.round(perSecond))
}

export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`
}

/** Incidents still open (no end), newest first. */
export function openIncidents(history: HealthHistory | null): IncidentView[] {
  return (history?.incidents ?? []).filter((i) => i.endedAt === null)
}

/** The overall component's uptime, the one the Overview shows. */
export function overallUptime(history: HealthHistory | null, window: '24h' | '7d' | '30d'): number | null {
  return history?.components.find((c) => c.name === 'overall')?.uptime[window].percent ?? null
}

/** What a person reads in a heartbeat cell's tooltip. */
export function heartbeatTitle(beat: { time: number; status: HealthStatus; output: string | null }): string {
  const when = new Date(beat.time).toLocaleString(undefined, { hour12: false })
  return `${when}: ${beat.status}${beat.output ? ` — ${beat.output}` : ''}`
}

export type { Alert }

export function alertText(alert: Alert, siteName: string): { title: string; body: string } {
  const what = alert.kind === 'recovered' ? 'has recovered' : alert.kind === 'down' ? 'is down (readiness: fail)' : 'is degraded (readiness: warn)'
  return { title: `${siteName} ${what}`, body: `Readiness went from ${alert.from} to ${alert.to}. Open the Health panel for details.` }
}
