/**
 * Event-time lag, measured once per input per batch: `processing start - event time` over the
 * batch's records, summarised (avg, max, p50, p99) and bucketed for the lag histogram in linear
 * time. A root leaf: the engine measures with it and the metric catalogue takes the histogram's
 * bucket bounds from it, so both always agree.
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
 * percentiles). Linear in the batch's records; nothing per record reaches a metric.
 */
export function summarizeEventTimeLag(
  processingStartMs: number,
  eventTimesMs: ArrayLike<number>,
): EventTimeLagSummary | null {
  return measureEventTimeLag(processingStartMs, eventTimesMs)?.summary ?? null;
}

/**
 * summarizeEventTimeLag plus the histogram bucket counts, in linear time: one pass fills the
 * buckets (a binary search over the 14 bounds per record) and the sum and max, and the two
 * percentiles are selected in place (quickselect), not read off a sort: a catch-up batch of
 * millions of records would otherwise spend most of this in the sort.
 */
export function measureEventTimeLag(
  processingStartMs: number,
  eventTimesMs: ArrayLike<number>,
): EventTimeLagMeasure | null {
  const n = eventTimesMs.length;
  if (n === 0) return null;
  const bounds = BOUNDS_MS;
  const bucketCounts = new Array<number>(bounds.length + 1).fill(0);
  // The lags that are numbers, in [0, m); a NaN lag (an event time that is not a number) ranks
  // above every number, as a sort puts it, and counts in +Inf.
  const lags = new Float64Array(n);
  let m = 0;
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const lag = processingStartMs - (eventTimesMs[i] as number);
    sum += lag;
    if (Number.isNaN(lag)) continue;
    lags[m++] = lag;
    if (lag > max) max = lag;
    // The first bucket whose bound is >= lag; bounds.length is +Inf.
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((bounds[mid] as number) < lag) lo = mid + 1;
      else hi = mid;
    }
    bucketCounts[lo] = (bucketCounts[lo] as number) + 1;
  }
  bucketCounts[bounds.length] = (bucketCounts[bounds.length] as number) + (n - m);
  // Nearest rank among all n; a rank past the numbers is a NaN.
  const rankIndex = (q: number) => Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  const k50 = rankIndex(0.5);
  const k99 = rankIndex(0.99);
  const p50 = k50 < m ? selectInPlace(lags, 0, m, k50) : Number.NaN;
  // After the first selection everything from k50 on is >= the p50: the p99 is among them.
  const p99 = k99 < m ? selectInPlace(lags, Math.min(k50, m), m, k99) : Number.NaN;
  return {
    summary: { avg: sum / n, max: m < n ? Number.NaN : max, p50, p99 },
    bucketCounts,
    sumSeconds: sum / 1000,
    count: n,
  };
}

const BOUNDS_MS: readonly number[] = EVENT_TIME_LAG_BUCKETS_SECONDS.map((s) => s * 1000);

/**
 * The value of rank `k` of `a[lo, hi)` (0-based over the whole array, lo <= k < hi), moving the
 * elements so that `a[lo, k)` are <= it and `a(k, hi)` >= it. Hoare partitions around a median
 * of three, so sorted and reversed input (event times mostly are) stay linear.
 */
function selectInPlace(a: Float64Array, lo: number, hi: number, k: number): number {
  let l = lo;
  let r = hi - 1;
  // Typed-array reads inside [lo, hi) are always numbers; the casts only tell the compiler so.
  const at = (i: number) => a[i] as number;
  while (r > l) {
    const x = at(l);
    const y = at((l + r) >>> 1);
    const z = at(r);
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = l;
    let j = r;
    while (i <= j) {
      while (at(i) < pivot) i++;
      while (at(j) > pivot) j--;
      if (i <= j) {
        const t = at(i);
        a[i] = at(j);
        a[j] = t;
        i++;
        j--;
      }
    }
    // a[l, j] <= pivot <= a[i, r], and whatever lies between equals the pivot.
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return at(k);
  }
  return at(k);
}
