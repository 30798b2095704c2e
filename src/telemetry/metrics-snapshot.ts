/**
 * MetricsSnapshot: the registry's metrics at one moment, as plain data that no later update can
 * change. MetricsReader takes one; push exporters (MetricsExporter) render one. Histograms are
 * already grouped by series, so an exporter never re-parses `_bucket`/`_sum`/`_count` samples.
 */

/** Label values of one series, `app` included, as the instrument stored them. */
export type SeriesLabels = Readonly<Record<string, string | number>>;

/** One series of a counter or a gauge. */
export interface ValueSeries {
  readonly labels: SeriesLabels;
  readonly value: number;
}

/** One cumulative bucket: observations <= `le` (`le` is Infinity for +Inf). */
export interface CumulativeBucket {
  readonly le: number;
  readonly count: number;
}

/** One series of a histogram. */
export interface HistogramSeries {
  readonly labels: SeriesLabels;
  /** Cumulative counts by upper bound, ascending, +Inf (Infinity) last. */
  readonly buckets: readonly CumulativeBucket[];
  readonly sum: number;
  readonly count: number;
}

interface MetricHeader {
  readonly name: string;
  readonly help: string;
  /** As declared on the instrument (`app` first for the catalogue's and the job's metrics). */
  readonly labelNames: readonly string[];
}

export interface CounterSnapshot extends MetricHeader {
  readonly type: 'counter';
  readonly series: readonly ValueSeries[];
}

export interface GaugeSnapshot extends MetricHeader {
  readonly type: 'gauge';
  readonly series: readonly ValueSeries[];
}

export interface HistogramSnapshot extends MetricHeader {
  readonly type: 'histogram';
  readonly series: readonly HistogramSeries[];
}

export type MetricSnapshot = CounterSnapshot | GaugeSnapshot | HistogramSnapshot;

export interface MetricsSnapshot {
  /** What the snapshot stands for (epoch ms): a batch's time, or the stop time for the last one. */
  readonly timeMs: number;
  /** In registration order. */
  readonly metrics: readonly MetricSnapshot[];
}
