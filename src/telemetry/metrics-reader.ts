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

/** A metric's name, help and label names: the same every read, so built once per metric. */
type Header = Pick<MetricSnapshot, 'name' | 'help' | 'labelNames'>;

export class MetricsReader {
  /**
   * Headers by metric object. A read runs after every batch, and building the header, a closure
   * and a promise per metric each time was most of a read's cost (docs/benchmarks.md, telemetry).
   */
  private readonly headers = new WeakMap<RegisteredMetric, Header>();

  constructor(private readonly registry: Registry<RegistryContentType>) {}

  /** One snapshot stamped `timeMs`; rejects when a metric cannot be read (a collect() that throws). */
  read(timeMs: number): Promise<MetricsSnapshot> {
    const metrics: MetricSnapshot[] = [];
    let pending: Promise<void>[] | undefined;
    try {
      pending = this.startReads(metrics);
    } catch (error) {
      return Promise.reject(error);
    }
    const snapshot: MetricsSnapshot = { timeMs, metrics };
    return pending === undefined ? Promise.resolve(snapshot) : Promise.all(pending).then(() => snapshot);
  }

  /**
   * Copies every metric into `out` now, in registration order; a metric that cannot be read
   * synchronously keeps its place and is filled in by one of the promises returned (none: all
   * were read).
   */
  private startReads(out: MetricSnapshot[]): Promise<void>[] | undefined {
    let pending: Promise<void>[] | undefined;
    for (const m of this.registry.getMetricsAsArray() as unknown as RegisteredMetric[]) {
      if (isProcessMetric(m.name)) continue;
      const type = m.type;
      if (type === 'histogram') {
        if (typeof m.histogramSeries !== 'function') continue;
        out.push(snapshotOf(this.headerOf(m), type, m.histogramSeries()));
        continue;
      }
      if (type !== 'counter' && type !== 'gauge') continue;
      const header = this.headerOf(m);
      const hashMap = m.hashMap;
      const collected = hashMap !== undefined && typeof m.collect === 'function' ? m.collect() : undefined;
      if (hashMap !== undefined && !(collected instanceof Promise)) {
        out.push(snapshotOf(header, type, Object.values(hashMap).map(valueSeries)));
        continue;
      }
      const at = out.length;
      out.push(undefined as unknown as MetricSnapshot);
      const read =
        hashMap === undefined
          ? m.get().then((data) => data.values)
          : (collected as Promise<unknown>).then(() => Object.values(m.hashMap ?? {}));
      pending ??= [];
      pending.push(
        read.then((raw) => {
          out[at] = snapshotOf(header, type, raw.map(valueSeries));
        }),
      );
    }
    return pending;
  }

  private headerOf(m: RegisteredMetric): Header {
    let header = this.headers.get(m);
    if (header === undefined) {
      header = { name: m.name, help: m.help, labelNames: Object.freeze([...(m.labelNames ?? [])]) };
      this.headers.set(m, header);
    }
    return header;
  }
}

/**
 * The header's fields written out: spreading the header into each snapshot cost more than the
 * rest of a read together (V8 copies a spread object property by property, generically).
 */
function snapshotOf(header: Header, type: 'histogram', series: HistogramSeries[]): MetricSnapshot;
function snapshotOf(header: Header, type: 'counter' | 'gauge', series: ValueSeries[]): MetricSnapshot;
function snapshotOf(
  header: Header,
  type: MetricSnapshot['type'],
  series: HistogramSeries[] | ValueSeries[],
): MetricSnapshot {
  return {
    name: header.name,
    help: header.help,
    labelNames: header.labelNames,
    type,
    series,
  } as MetricSnapshot;
}

function valueSeries(v: RawValue): ValueSeries {
  const labels: Record<string, string | number> = {};
  for (const [k, x] of Object.entries(v.labels)) if (x !== undefined) labels[k] = x;
  return { labels: labels as SeriesLabels, value: v.value };
}
