/**
 * BulkHistogram: the histogram instrument behind every histogram the push exporters read: the
 * catalogue's and the job's own (ssc.metrics.histogram). It takes observations one at a time
 * (observe, prom-client's contract) or a whole batch at once as bucket counts computed elsewhere
 * (add: the engine buckets a batch's event-time lags while it assembles the batch, so there is no
 * observe() per record), and it hands out its per-series state as data (histogramSeries()).
 *
 * Why not prom-client's Histogram: in prom-client 15 its per-series state (`hashMap`) is private,
 * so the only way to read it is to render `_bucket`/`_sum`/`_count` samples and group them back
 * into series, and the only way to add to it is one observe() per value. A Registry, however,
 * only needs of a metric what `registerMetric` stores and `metrics()`/`getMetricsAsJSON()` read:
 * `name`, `help`, `type`, `aggregator`, `reset()` and an async `get()` returning
 * `{ name, help, type, values, aggregator }` with histogram values shaped like prom-client's own
 * (`<name>_bucket` with cumulative counts and `le` first, then `<name>_sum`, `<name>_count`).
 * This class is exactly that, so /metrics, OpenMetrics and the Pushgateway render it as they
 * render a prom-client Histogram (test/telemetry/bulk-histogram.test.ts compares the texts).
 *
 * observe() keeps prom-client's rules, since job code calls it through ssc.metrics: a label that
 * was not declared throws, a value that is not a finite number throws a TypeError, labels may be
 * partial, and 1 and "1" are the same series.
 */
import { format, inspect } from 'node:util';
import type { Metric, Registry, RegistryContentType } from 'prom-client';
import type { HistogramSeries } from './metrics-snapshot.js';

interface Series {
  readonly labels: Record<string, string | number>;
  /** Non-cumulative counts per bound, +Inf last. */
  readonly counts: number[];
  sum: number;
  count: number;
}

interface HistogramValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

export type HistogramLabels<L extends string> = Readonly<Partial<Record<L, string | number>>>;

export interface BulkHistogramOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Ascending upper bounds; +Inf is implied. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry<RegistryContentType>[];
}

export class BulkHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly L[];
  readonly upperBounds: readonly number[];
  /** The series key is built over the label names in this order (prom-client's hash). */
  private readonly sortedLabelNames: readonly L[];
  private readonly series = new Map<string, Series>();

  constructor(options: BulkHistogramOptions<L>) {
    const b = options.buckets;
    for (let i = 1; i < b.length; i++) {
      if (!((b[i] as number) > (b[i - 1] as number))) {
        throw new RangeError(`${options.name}: buckets must be ascending`);
      }
    }
    if ((options.labelNames as readonly string[]).includes('le')) {
      throw new Error('le is a reserved label keyword');
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.sortedLabelNames = [...options.labelNames].sort();
    this.upperBounds = b;
    // prom-client's Histogram starts a label-less histogram with its one series at zero.
    if (this.labelNames.length === 0) this.seriesOf({} as HistogramLabels<L>);
    for (const r of options.registers) r.registerMetric(this as unknown as Metric);
  }

  /** Adds one observation, as prom-client's Histogram.observe does. */
  observe(labels: HistogramLabels<L>, value: number): void {
    for (const label in labels) {
      if (!(this.labelNames as readonly string[]).includes(label)) {
        throw new Error(
          `Added label "${label}" is not included in initial labelset: ${inspect(this.labelNames)}`,
        );
      }
    }
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${format(value)}`);
    const s = this.seriesOf(labels);
    let i = 0;
    while (i < this.upperBounds.length && value > (this.upperBounds[i] as number)) i++;
    s.counts[i] = (s.counts[i] as number) + 1;
    s.count += 1;
    s.sum += value;
  }

  /**
   * Adds one batch of observations: `bucketCounts[i]` values in (bound[i-1], bound[i]] and, at
   * index `buckets.length`, the values above the largest bound; `sum` is their total.
   */
  add(labels: Readonly<Record<L, string>>, bucketCounts: readonly number[], sum: number): void {
    if (bucketCounts.length !== this.upperBounds.length + 1) {
      throw new RangeError(
        `${this.name}: ${bucketCounts.length} bucket counts for ${this.upperBounds.length} bounds + Inf`,
      );
    }
    const s = this.seriesOf(labels);
    bucketCounts.forEach((n, i) => {
      s.counts[i] = (s.counts[i] as number) + n;
      s.count += n;
    });
    s.sum += sum;
  }

  /** Drops one series (its input is gone). */
  remove(labels: HistogramLabels<L>): void {
    this.series.delete(this.key(labels));
  }

  reset(): void {
    this.series.clear();
  }

  /** Every series as data, copied: cumulative buckets with +Inf (Infinity) last, sum and count. */
  histogramSeries(): HistogramSeries[] {
    return [...this.series.values()].map((s) => {
      let cumulative = 0;
      const buckets = this.upperBounds.map((le, i) => {
        cumulative += s.counts[i] as number;
        return { le, count: cumulative };
      });
      buckets.push({ le: Number.POSITIVE_INFINITY, count: s.count });
      return { labels: { ...s.labels }, buckets, sum: s.sum, count: s.count };
    });
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: HistogramValue[];
    aggregator: 'sum';
  }> {
    const values: HistogramValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.histogramSeries()) {
      for (const b of s.buckets) {
        const le = Number.isFinite(b.le) ? b.le : '+Inf';
        values.push({ labels: { le, ...s.labels }, value: b.count, metricName: bucket });
      }
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  private seriesOf(labels: HistogramLabels<L>): Series {
    const key = this.key(labels);
    let s = this.series.get(key);
    if (!s) {
      const copy: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(labels) as [string, string | number | undefined][]) {
        if (v !== undefined) copy[k] = v;
      }
      s = { labels: copy, counts: new Array(this.upperBounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  /** prom-client's series key: `name:value,` over the sorted label names, absent ones skipped. */
  private key(labels: HistogramLabels<L>): string {
    let key = '';
    for (const l of this.sortedLabelNames) {
      const v = labels[l];
      if (v !== undefined) key += `${l}:${v},`;
    }
    return key;
  }
}
