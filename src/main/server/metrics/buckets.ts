/**
 * Latency buckets shared by the Prometheus histograms and the history store (which keeps per-bucket
 * counts, so percentiles of any range can be computed after the fact, the way histogram_quantile does).
 * From 0.1 ms (a cached page on the fast path) to 10 s (a stuck request), roughly 1-2.5-5 per decade.
 * Changing this list changes the history's columns: it needs a metrics.db migration.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** Buckets plus the +Inf bucket. */
export const BUCKET_COUNT = LATENCY_BUCKETS_SECONDS.length + 1

/** Index of the first bucket whose upper bound is ≥ seconds (the last index is +Inf). */
export function bucketIndex(seconds: number): number {
  const bounds = LATENCY_BUCKETS_SECONDS
  for (let i = 0; i < bounds.length; i++) if (seconds <= (bounds[i] as number)) return i
  return bounds.length
}

/**
 * The q-quantile (0..1) estimated from per-bucket (not cumulative) counts, interpolating linearly inside
 * the bucket like Prometheus' histogram_quantile. null when there are no observations. A quantile that
 * lands in +Inf is reported as the largest finite bound (we cannot know more).
 */
export function quantileFromBuckets(counts: ArrayLike<number>, q: number): number | null {
  let total = 0
  for (let i = 0; i < counts.length; i++) total += counts[i] as number
  if (total <= 0) return null
  const rank = q * total
  const bounds = LATENCY_BUCKETS_SECONDS
  let cumulative = 0
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] as number
    if (count > 0 && cumulative + count >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1] as number
      const lower = i === 0 ? 0 : (bounds[i - 1] as number)
      const upper = bounds[i] as number
      return lower + (upper - lower) * ((rank - cumulative) / count)
    }
    cumulative += count
  }
  return bounds[bounds.length - 1] as number
}
