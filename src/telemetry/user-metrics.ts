/**
 * The user metrics API (`ssc.metrics`): counters, gauges and histograms a job declares next to
 * the catalogue's, on the same registry, so the agent serves them on /metrics and the Graphite
 * exporter gets them in the same snapshots (histograms are BulkHistograms, read as data). Every
 * series carries the label `app` (added here, so it is reserved); names starting with
 * `sidestream_` belong to the catalogue.
 */
import { Counter, Gauge } from 'prom-client';
import type { RemoteMetricOp, RemoteMetricsSink } from '../engine/executor.js';
import { SidestreamError } from '../errors.js';
import { BulkHistogram } from './bulk-histogram.js';
import { MetricsRegistry } from './metrics-registry.js';

const METRIC_NAME = /^[a-z_][a-z0-9_]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_PREFIX = 'sidestream_';
/** prom-client's process metrics: served on /metrics but never sent to Graphite. */
const PROCESS_PREFIXES = ['process_', 'nodejs_'];
/**
 * Buckets of a histogram declared without any: prom-client's Histogram default, so the docs'
 * "default: prom-client's" holds (test/telemetry/bulk-histogram.test.ts compares the two).
 */
export const DEFAULT_HISTOGRAM_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export type LabelValues<L extends string> = Partial<Record<L, string | number>>;

export interface UserCounter<L extends string = string> {
  /** Adds `value` (default 1, must be >= 0). */
  inc(labels?: LabelValues<L>, value?: number): void;
}

export interface UserGauge<L extends string = string> {
  set(labels: LabelValues<L>, value: number): void;
  inc(labels?: LabelValues<L>, value?: number): void;
  dec(labels?: LabelValues<L>, value?: number): void;
}

export interface UserHistogram<L extends string = string> {
  observe(labels: LabelValues<L>, value: number): void;
}

export type { RemoteMetricOp };

export class UserMetrics implements RemoteMetricsSink {
  private own: MetricsRegistry | undefined;
  /** Declared metrics by name, for replaying updates a worker made. */
  private readonly declared = new Map<
    string,
    Partial<Record<RemoteMetricOp['op'], (l: LabelValues<string>, v: number) => void>>
  >();
  /** Executor workers: updates since the last drain, to send back with the task's result. */
  private recorded: RemoteMetricOp[] | undefined;

  /** `registry` is the one to use; without it one is created (with process metrics) on first use. */
  constructor(
    private readonly app: string,
    registry?: MetricsRegistry,
  ) {
    this.own = registry;
  }

  /** The registry user and catalogue metrics live on (the agent serves it on /metrics). */
  get registry(): MetricsRegistry {
    this.own ??= new MetricsRegistry(this.app);
    return this.own;
  }

  counter<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ): UserCounter<L> {
    const labels = this.validate(name, help, labelNames);
    const metric = new Counter({ name, help, labelNames: labels, registers: [this.registry.registry] });
    const inc = (values: LabelValues<L> = {}, value = 1) => {
      this.record(name, 'inc', values, value);
      metric.inc(this.withApp(values), value);
    };
    this.declared.set(name, { inc: inc as (l: LabelValues<string>, v: number) => void });
    return { inc };
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): UserGauge<L> {
    const labels = this.validate(name, help, labelNames);
    const metric = new Gauge({ name, help, labelNames: labels, registers: [this.registry.registry] });
    const gauge: UserGauge<L> = {
      set: (values, value) => {
        this.record(name, 'set', values, value);
        metric.set(this.withApp(values), value);
      },
      inc: (values = {}, value = 1) => {
        this.record(name, 'inc', values, value);
        metric.inc(this.withApp(values), value);
      },
      dec: (values = {}, value = 1) => {
        this.record(name, 'dec', values, value);
        metric.dec(this.withApp(values), value);
      },
    };
    this.declared.set(
      name,
      gauge as unknown as Record<RemoteMetricOp['op'], (l: LabelValues<string>, v: number) => void>,
    );
    return gauge;
  }

  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets?: readonly number[],
  ): UserHistogram<L> {
    const labels = this.validate(name, help, labelNames);
    if (buckets !== undefined) {
      const sorted = buckets.every(
        (b, i) => Number.isFinite(b) && b > (buckets[i - 1] ?? Number.NEGATIVE_INFINITY),
      );
      if (buckets.length === 0 || !sorted) {
        throw invalid(
          `histogram '${name}': buckets must be a non-empty list of finite numbers in increasing order (got [${buckets.join(', ')}])`,
        );
      }
    }
    const metric = new BulkHistogram({
      name,
      help,
      labelNames: labels,
      buckets: buckets ?? DEFAULT_HISTOGRAM_BUCKETS,
      registers: [this.registry.registry],
    });
    const observe = (values: LabelValues<L>, value: number) => {
      this.record(name, 'observe', values, value);
      metric.observe(this.withApp(values), value);
    };
    this.declared.set(name, { observe: observe as (l: LabelValues<string>, v: number) => void });
    return { observe };
  }

  /** Executor workers: keep every update from now on until drained (see RemoteMetricOp). */
  startRecording(): void {
    this.recorded ??= [];
  }

  /** Executor workers: the updates since the last drain. */
  drainRecorded(): RemoteMetricOp[] {
    const out = this.recorded ?? [];
    if (this.recorded) this.recorded = [];
    return out;
  }

  /** Driver: replays updates a worker made (a metric this context did not declare is skipped). */
  applyRemote(ops: readonly RemoteMetricOp[]): void {
    for (const op of ops) this.declared.get(op.name)?.[op.op]?.(op.labels, op.value);
  }

  private record(name: string, op: RemoteMetricOp['op'], labels: LabelValues<string>, value: number): void {
    this.recorded?.push({ name, op, labels: { ...labels }, value });
  }

  private withApp(values: Record<string, string | number | undefined>): Record<string, string | number> {
    const out: Record<string, string | number> = { app: this.app };
    for (const [k, v] of Object.entries(values)) if (v !== undefined && k !== 'app') out[k] = v;
    return out;
  }

  private validate(name: string, help: string, labelNames: readonly string[]): string[] {
    if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
      throw invalid(
        `metric name '${name}' is invalid: use lower-case letters, digits and '_', not starting with a digit (for example orders_written_total)`,
      );
    }
    if (name.startsWith(RESERVED_PREFIX)) {
      throw invalid(
        `metric name '${name}' starts with '${RESERVED_PREFIX}', which is reserved for sidestream's own metrics; choose another prefix (for example your app's name)`,
      );
    }
    const processPrefix = PROCESS_PREFIXES.find((p) => name.startsWith(p));
    if (processPrefix) {
      throw invalid(
        `metric name '${name}' starts with '${processPrefix}', which is reserved for the process metrics; choose another prefix (for example your app's name)`,
      );
    }
    if (typeof help !== 'string' || help.trim() === '') {
      throw invalid(`metric '${name}' needs a help text saying what it measures`);
    }
    if (this.registry.registry.getSingleMetric(name)) {
      throw invalid(`metric '${name}' is already registered; each metric name can be declared once`);
    }
    const seen = new Set<string>();
    for (const label of labelNames) {
      if (label === 'app') {
        throw invalid(
          `metric '${name}': label 'app' is reserved (sidestream adds it to every series); remove it from labelNames`,
        );
      }
      if (typeof label !== 'string' || !LABEL_NAME.test(label) || label.startsWith('__')) {
        throw invalid(
          `metric '${name}': label name '${label}' is invalid: use letters, digits and '_', not starting with a digit or '__'`,
        );
      }
      if (seen.has(label)) throw invalid(`metric '${name}': label '${label}' is listed twice`);
      seen.add(label);
    }
    return ['app', ...labelNames];
  }
}

function invalid(message: string): SidestreamError {
  return new SidestreamError('SS_METRIC_INVALID', message);
}
