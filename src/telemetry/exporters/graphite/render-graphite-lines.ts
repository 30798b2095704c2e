/**
 * renderGraphiteLines: one MetricsSnapshot as Graphite plaintext lines,
 * `<name> <value> <epoch seconds>`, every name built by graphiteName() (the one mapping).
 *
 * - What: the catalogue's metrics (labels in catalogue order) and the job's own (ssc.metrics:
 *   the name unchanged, labels in declaration order after `app`). A `sidestream_` name outside
 *   the catalogue and prom-client's process metrics (process_*, nodejs_*) are not sent.
 * - Time: the snapshot's time floored to whole seconds (carbon's resolution).
 * - Counters and gauges: one line per series, the running value.
 * - Histograms: per series `count`, `sum` and, when count > 0, `avg` (= sum / count), `max`
 *   (histogramMax: the upper bound of the highest non-empty bucket), `p50` and `p99`
 *   (histogramQuantile: linear interpolation inside the bucket holding the rank).
 * - A value that is not finite (NaN, ±Inf) has no Graphite representation: its line is skipped.
 */
import { type GraphiteMetric, type GraphiteNameOptions, graphiteName } from '../../graphite-naming.js';
import { METRICS } from '../../metrics.js';
import { isProcessMetric } from '../../metrics-reader.js';
import type { MetricSnapshot, MetricsSnapshot, SeriesLabels } from '../../metrics-snapshot.js';
import { histogramMax, histogramQuantile } from './histogram-statistics.js';

const CATALOGUE = new Map<string, GraphiteMetric>(METRICS.map((m) => [m.name, m]));

/**
 * Names already built, per naming: the same few hundred series are sent every flush, and building
 * a name (sanitising the prefix, the app and every label value) cost more than the rest of the
 * flush. Keyed by metric, label values and suffix; dropped whole past MAX_CACHED_NAMES (label
 * values that keep changing), so it never grows without bound.
 */
const namesByNaming = new WeakMap<GraphiteNameOptions, Map<string, string>>();
const MAX_CACHED_NAMES = 10_000;

export function renderGraphiteLines(snapshot: MetricsSnapshot, naming: GraphiteNameOptions): string[] {
  const epochSeconds = Math.floor(snapshot.timeMs / 1000);
  const lines: string[] = [];
  let names = namesByNaming.get(naming);
  if (names === undefined || names.size > MAX_CACHED_NAMES) {
    names = new Map();
    namesByNaming.set(naming, names);
  }
  const cached = names;
  const nameOf = (metric: GraphiteMetric, labels: SeriesLabels, suffix: string | undefined) => {
    // The key joins the parts with U+0000 (cheaper than JSON, which this once was); a label
    // value holding U+0000 itself could make two series share a key, so its name is not cached.
    let key = `${metric.name}\u0000${suffix ?? ''}`;
    for (const l of metric.labelNames) {
      const v = labels[l];
      if (v === undefined) key += '\u0000\u0001';
      else if (typeof v === 'string' && v.includes('\u0000'))
        return graphiteName(metric, labels, naming, suffix);
      else key += `\u0000${v}`;
    }
    let name = cached.get(key);
    if (name === undefined) {
      name = graphiteName(metric, labels, naming, suffix);
      cached.set(key, name);
    }
    return name;
  };
  const line = (metric: GraphiteMetric, labels: SeriesLabels, value: number, suffix?: string) => {
    if (!Number.isFinite(value)) return;
    lines.push(`${nameOf(metric, labels, suffix)} ${value} ${epochSeconds}`);
  };
  for (const m of snapshot.metrics) {
    const spec = graphiteMetric(m);
    if (!spec) continue;
    if (m.type !== 'histogram') {
      for (const s of m.series) line(spec, s.labels, s.value);
      continue;
    }
    for (const h of m.series) {
      line(spec, h.labels, h.count, 'count');
      line(spec, h.labels, h.sum, 'sum');
      if (h.count <= 0) continue;
      line(spec, h.labels, h.sum / h.count, 'avg');
      line(spec, h.labels, histogramMax(h), 'max');
      line(spec, h.labels, histogramQuantile(0.5, h), 'p50');
      line(spec, h.labels, histogramQuantile(0.99, h), 'p99');
    }
  }
  return lines;
}

/** What graphiteName() needs of a metric; undefined for a metric that is not sent. */
function graphiteMetric(m: MetricSnapshot): GraphiteMetric | undefined {
  const spec = CATALOGUE.get(m.name);
  if (spec) return spec;
  if (m.name.startsWith('sidestream_') || isProcessMetric(m.name)) return undefined;
  return { name: m.name, labelNames: m.labelNames.filter((l) => l !== 'app') };
}
