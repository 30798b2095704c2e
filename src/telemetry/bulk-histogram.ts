/**
 * BulkHistogram: a Prometheus histogram that takes a whole batch of observations at once, as
 * bucket counts computed elsewhere (the engine buckets a batch's event-time lags while it
 * assembles the batch), instead of one observe() per value.
 *
 * Why not prom-client's Histogram: in prom-client 15 the only way to add to a Histogram is
 * observe(value), one value per call (a batch of 100 000 records would be 100 000 calls: the
 * per-record metric work the telemetry rules forbid), and its per-series state (`hashMap`) is
 * private. A Registry, however, only needs of a metric what `registerMetric` stores and
 * `metrics()`/`getMetricsAsJSON()` read: `name`, `help`, `type`, `aggregator` and an async
 * `get()` returning `{ name, help, type, values, aggregator }` with histogram values shaped like
 * prom-client's own (`<name>_bucket` with cumulative counts and `le`, then `<name>_sum`,
 * `<name>_count`). This class is exactly that, so /metrics, OpenMetrics, the Graphite exporter
 * (which groups `_bucket`/`_sum`/`_count`) and the Pushgateway see it as any other histogram.
 */
import type { Metric, Registry, RegistryContentType } from 'prom-client';

interface Series {
  readonly labels: Record<string, string>;
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
  private readonly series = new Map<string, Series>();

  constructor(options: BulkHistogramOptions<L>) {
    const b = options.buckets;
    for (let i = 1; i < b.length; i++) {
      if (!(b[i]! > b[i - 1]!)) throw new RangeError(`${options.name}: buckets must be ascending`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.upperBounds = b;
    for (const r of options.registers) r.registerMetric(this as unknown as Metric);
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
    const key = this.key(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, counts: new Array(bucketCounts.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < bucketCounts.length; i++) {
      const n = bucketCounts[i]!;
      s.counts[i]! += n;
      s.count += n;
    }
    s.sum += sum;
  }

  /** Drops one series (its input is gone). */
  remove(labels: Readonly<Record<L, string>>): void {
    this.series.delete(this.key(labels));
  }

  reset(): void {
    this.series.clear();
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: HistogramValue[];
    aggregator: 'sum';
  }> {
    const values: HistogramValue[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  private key(labels: Readonly<Record<L, string>>): string {
    return JSON.stringify(this.labelNames.map((l) => labels[l]));
  }
}
