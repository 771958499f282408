/**
 * prom-client metrics whose values live in our own tallies (plain numbers and a Float64Array per label
 * combination) and are read only when /metrics is scraped. prom-client's own observe()/inc() validate
 * and hash the labels on every call, even on a labelled child; on the request path that cost more than
 * everything else we do per request (bench/metrics.bench.ts). prom-client still names, escapes and
 * formats the output, and the standard metrics sit on the same registry.
 */
import type { Counter, Histogram, MetricType, Registry } from 'prom-client'
import { LATENCY_BUCKETS_SECONDS } from './buckets'

type Labels<T extends string> = Partial<Record<T, string | number>>

/**
 * prom-client's typings declare MetricType as a numeric enum that the library never exports at run time;
 * its metrics really carry the strings 'counter', 'histogram' (which the registry prints).
 */
const HISTOGRAM = 'histogram' as unknown as MetricType
const COUNTER = 'counter' as unknown as MetricType
/** Values come from the tallies; nothing to collect first. */
const noCollect = (): void => {}

export interface HistogramTally<T extends string> {
  labels: Labels<T>
  count: number
  sum: number
  /** Per-bucket (not cumulative) counts over LATENCY_BUCKETS_SECONDS and +Inf. */
  buckets: ArrayLike<number>
}

interface Config<T extends string> {
  name: string
  help: string
  labelNames: readonly T[]
  registry: Registry
}

/** The prom-client module: passed in, because the collector loads it on the first scrape. */
export type PromClient = typeof import('prom-client')

/** A histogram read from `tallies` when scraped, registered on config.registry. */
export function registerTallyHistogram<T extends string>(prom: PromClient, config: Config<T>, tallies: () => Iterable<HistogramTally<T>>): void {
  const { name, help } = config
  class TallyHistogram extends prom.Histogram<T> {
    override get(): ReturnType<Histogram<T>['get']> {
      const values: Array<{ value: number; labels: Labels<T | 'le'>; metricName: string }> = []
      const bounds = LATENCY_BUCKETS_SECONDS
      for (const tally of tallies()) {
        let cumulative = 0
        for (let i = 0; i < bounds.length; i++) {
          cumulative += tally.buckets[i] as number
          values.push({ value: cumulative, labels: { le: bounds[i], ...(tally.labels as Labels<T | 'le'>) }, metricName: `${name}_bucket` })
        }
        values.push({ value: tally.count, labels: { le: '+Inf', ...(tally.labels as Labels<T | 'le'>) }, metricName: `${name}_bucket` })
        values.push({ value: tally.sum, labels: tally.labels as Labels<T | 'le'>, metricName: `${name}_sum` })
        values.push({ value: tally.count, labels: tally.labels as Labels<T | 'le'>, metricName: `${name}_count` })
      }
      return Promise.resolve({ name, help, type: HISTOGRAM, values, aggregator: 'sum', collect: noCollect })
    }

    /** The registry prefers this one for histograms. */
    getForPromString(): ReturnType<Histogram<T>['get']> {
      return this.get()
    }
  }
  new TallyHistogram({ name, help, labelNames: config.labelNames, buckets: [...LATENCY_BUCKETS_SECONDS], registers: [config.registry] })
}

/** A counter read from `tallies` when scraped, registered on config.registry. */
export function registerTallyCounter<T extends string>(prom: PromClient, config: Config<T>, tallies: () => Iterable<{ labels: Labels<T>; value: number }>): void {
  const { name, help } = config
  class TallyCounter extends prom.Counter<T> {
    override get(): ReturnType<Counter<T>['get']> {
      const values = [...tallies()].map((t) => ({ value: t.value, labels: t.labels }))
      return Promise.resolve({ name, help, type: COUNTER, values, aggregator: 'sum', collect: noCollect })
    }
  }
  new TallyCounter({ name, help, labelNames: config.labelNames, registers: [config.registry] })
}
