/**
 * Event-time lag, measured once per input per batch: `processing start - event time` over the
 * batch's records, summarised (avg, max, p50, p99) and bucketed for the lag histogram in one
 * pass over one sorted array. A root leaf: the engine measures with it and the metric catalogue
 * takes the histogram's bucket bounds from it, so both always agree.
 */
import type { EventTimeLagSummary } from './events/batch-events.js';

/**
 * Upper bounds, in seconds, of the event-time lag histogram (sidestream_event_time_lag_seconds):
 * sub-second for a healthy pipeline, up to an hour for a backlog being replayed. A lag above the
 * last bound lands in +Inf; a negative lag (event time ahead of the clock) in the first bucket.
 */
export const EVENT_TIME_LAG_BUCKETS_SECONDS: readonly number[] = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];

export interface EventTimeLagMeasure {
  readonly summary: EventTimeLagSummary;
  /** Per bucket of EVENT_TIME_LAG_BUCKETS_SECONDS, not cumulative; the last entry is +Inf. */
  readonly bucketCounts: number[];
  readonly sumSeconds: number;
  readonly count: number;
}

/**
 * Exact summary of `processingStartMs - eventTime` over a batch's records (nearest-rank
 * percentiles). One sort per input per batch; nothing per record reaches a metric.
 */
export function summarizeEventTimeLag(
  processingStartMs: number,
  eventTimesMs: ArrayLike<number>,
): EventTimeLagSummary | null {
  return measureEventTimeLag(processingStartMs, eventTimesMs)?.summary ?? null;
}

/**
 * summarizeEventTimeLag plus the histogram bucket counts, from the same sorted array: one pass
 * over the sorted lags fills the buckets, so the cost per record is the sort's, not a search.
 */
export function measureEventTimeLag(
  processingStartMs: number,
  eventTimesMs: ArrayLike<number>,
): EventTimeLagMeasure | null {
  const n = eventTimesMs.length;
  if (n === 0) return null;
  const lags = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const lag = processingStartMs - (eventTimesMs[i] as number);
    lags[i] = lag;
    sum += lag;
  }
  lags.sort();
  // Typed-array reads inside [0, n) are always numbers; the casts only tell the compiler so.
  const at = (i: number) => lags[i] as number;
  const rank = (q: number) => at(Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1)));
  const bounds = EVENT_TIME_LAG_BUCKETS_SECONDS;
  const bucketCounts = new Array<number>(bounds.length + 1).fill(0);
  let i = 0;
  for (let b = 0; b < bounds.length; b++) {
    const boundMs = (bounds[b] as number) * 1000;
    const from = i;
    while (i < n && at(i) <= boundMs) i++;
    bucketCounts[b] = i - from;
  }
  bucketCounts[bounds.length] = n - i;
  return {
    summary: { avg: sum / n, max: at(n - 1), p50: rank(0.5), p99: rank(0.99) },
    bucketCounts,
    sumSeconds: sum / 1000,
    count: n,
  };
}
