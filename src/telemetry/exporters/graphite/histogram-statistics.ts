/**
 * The statistics the Graphite exporter derives from a histogram's cumulative buckets, where
 * Graphite has no histogram type: quantiles and an upper bound of the maximum. Both are
 * estimates from the buckets (observed values are not kept); docs/telemetry.md states the rules.
 */
import type { HistogramSeries } from '../../metrics-snapshot.js';

/**
 * The q-quantile by linear interpolation inside the bucket holding rank q * count (Prometheus'
 * histogram_quantile): lower bound 0 for the first bucket; a rank in +Inf gives the highest
 * finite bound. NaN for an empty histogram.
 */
export function histogramQuantile(q: number, h: HistogramSeries): number {
  if (h.count <= 0 || h.buckets.length === 0) return Number.NaN;
  const rank = q * h.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank && b.count > 0) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      if (inBucket <= 0) return b.le;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/**
 * The upper bound of the highest non-empty bucket: an upper bound of the true maximum; the
 * largest finite bound when the highest observation fell in +Inf.
 */
export function histogramMax(h: HistogramSeries): number {
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= h.count && b.count > prevCount) return Number.isFinite(b.le) ? b.le : prevLe;
    prevLe = Number.isFinite(b.le) ? b.le : prevLe;
    prevCount = b.count;
  }
  return prevLe;
}
