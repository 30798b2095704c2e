/**
 * MetricsReader: reads one MetricsSnapshot of a prom-client registry for the push exporters.
 *
 * - What: counters and gauges through their values, histograms through their series as data
 *   (BulkHistogram: the catalogue's and the job's), never by parsing rendered `_bucket` samples. prom-client's process metrics (process_*, nodejs_*) are left out before
 *   they are collected: they describe the process, not a batch, /metrics serves them, and their
 *   collect() reads /proc and V8 heap statistics, most of a read's cost when it ran every batch.
 *   A metric registered on the registry by other means whose series cannot be read as data (a
 *   prom-client Histogram or Summary) is left out too; /metrics still serves it.
 * - When: read() takes the snapshot at the call, synchronously: every gauge's collect() runs and
 *   every series is copied before it returns, so a later update (the next batch, applied before
 *   this snapshot's promise settles) cannot leak into it. Nothing applied before the call can be
 *   missing. prom-client has no synchronous read: its get() hands out the live series entries
 *   only through a Promise, and Counter.inc() changes those entries in place, so values copied
 *   when get() settles could already hold a later batch's increments. The reader therefore copies
 *   prom-client 15's per-series map (`hashMap`: `{ value, labels }` by label hash) itself; a
 *   metric without one, or whose collect() is asynchronous, is read through get() after all
 *   (test/telemetry/metrics-reader.test.ts pins both).
 */
import type { Registry, RegistryContentType } from 'prom-client';
import type {
  HistogramSeries,
  MetricSnapshot,
  MetricsSnapshot,
  SeriesLabels,
  ValueSeries,
} from './metrics-snapshot.js';

/** prom-client's default metrics (collectDefaultMetrics): never part of a snapshot. */
export function isProcessMetric(name: string): boolean {
  return name.startsWith('process_') || name.startsWith('nodejs_');
}

/** What the reader needs of a registered metric; prom-client declares less than it has. */
interface RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly labelNames?: readonly string[];
  get(): Promise<{ values: readonly RawValue[] }>;
  /** prom-client's Counter and Gauge: runs before a read (a gauge sets its value here). */
  collect?(): unknown;
  /** prom-client's Counter and Gauge: the series by label hash. */
  readonly hashMap?: Readonly<Record<string, RawValue>>;
  /** BulkHistogram. */
  histogramSeries?(): HistogramSeries[];
}

interface RawValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number | undefined>>;
}

export class MetricsReader {
  constructor(private readonly registry: Registry<RegistryContentType>) {}

  /** One snapshot stamped `timeMs`; rejects when a metric cannot be read (a collect() that throws). */
  read(timeMs: number): Promise<MetricsSnapshot> {
    let pending: Promise<MetricSnapshot>[];
    try {
      pending = this.startReads();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.all(pending).then((metrics) => ({ timeMs, metrics }));
  }

  /** Copies every metric now; only a metric that cannot be read synchronously is left pending. */
  private startReads(): Promise<MetricSnapshot>[] {
    const reads: Promise<MetricSnapshot>[] = [];
    for (const m of this.registry.getMetricsAsArray() as unknown as RegisteredMetric[]) {
      if (isProcessMetric(m.name)) continue;
      const header = { name: m.name, help: m.help, labelNames: [...(m.labelNames ?? [])] };
      if (m.type === 'histogram') {
        if (typeof m.histogramSeries !== 'function') continue;
        reads.push(Promise.resolve({ ...header, type: 'histogram', series: m.histogramSeries() }));
        continue;
      }
      if (m.type !== 'counter' && m.type !== 'gauge') continue;
      const type = m.type;
      const values = (raw: readonly RawValue[]): MetricSnapshot => ({
        ...header,
        type,
        series: raw.map(valueSeries),
      });
      if (m.hashMap === undefined) {
        reads.push(m.get().then((data) => values(data.values)));
        continue;
      }
      const collected = typeof m.collect === 'function' ? m.collect() : undefined;
      if (collected instanceof Promise) {
        reads.push(collected.then(() => values(Object.values(m.hashMap ?? {}))));
        continue;
      }
      reads.push(Promise.resolve(values(Object.values(m.hashMap))));
    }
    return reads;
  }
}

function valueSeries(v: RawValue): ValueSeries {
  const labels: Record<string, string | number> = {};
  for (const [k, x] of Object.entries(v.labels)) if (x !== undefined) labels[k] = x;
  return { labels: labels as SeriesLabels, value: v.value };
}
