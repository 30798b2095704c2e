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
import {
  checkMetricUpdate,
  type MetricCallSpec,
  type MetricUpdate,
  parseMetricCall,
  type UserMetricKind,
} from './user-metric-call.js';

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

/**
 * The update methods take prom-client's call shapes (telemetry/user-metric-call.ts): the value
 * alone for the series without labels, or the labels first and then the value. Any other call
 * throws SS_METRIC_INVALID; nothing is counted for it.
 */
export interface UserCounter<L extends string = string> {
  /** Adds 1 to the series without labels. */
  inc(): void;
  /** Adds `value` (finite, >= 0) to the series without labels: `inc(150)`. */
  inc(value: number): void;
  /** Adds `value` (default 1; finite, >= 0) to the series with `labels`: `inc({ country: 'fr' }, 3)`. */
  inc(labels: LabelValues<L>, value?: number): void;
}

export interface UserGauge<L extends string = string> {
  /** Sets the series without labels: `set(5)`. */
  set(value: number): void;
  /** Sets the series with `labels`: `set({ country: 'fr' }, 5)`. */
  set(labels: LabelValues<L>, value: number): void;
  /** Adds 1, or `value` (finite), to the series without labels. */
  inc(value?: number): void;
  /** Adds `value` (default 1; finite) to the series with `labels`. */
  inc(labels: LabelValues<L>, value?: number): void;
  /** Subtracts 1, or `value` (finite), from the series without labels. */
  dec(value?: number): void;
  /** Subtracts `value` (default 1; finite) from the series with `labels`. */
  dec(labels: LabelValues<L>, value?: number): void;
}

export interface UserHistogram<L extends string = string> {
  /** Adds one observation (finite) to the series without labels: `observe(0.3)`. */
  observe(value: number): void;
  /** Adds one observation (finite) to the series with `labels`: `observe({ country: 'fr' }, 0.3)`. */
  observe(labels: LabelValues<L>, value: number): void;
}

export type { RemoteMetricOp };

/** An update method, as job code calls it (`call`) and as a worker's update is replayed (`apply`). */
interface Apply {
  call(args: readonly unknown[]): void;
  apply(labels: unknown, value: unknown): void;
}

export class UserMetrics implements RemoteMetricsSink {
  private own: MetricsRegistry | undefined;
  /** Declared metrics by name, for replaying updates a worker made (checked again, see applyRemote). */
  private readonly declared = new Map<string, Partial<Record<RemoteMetricOp['op'], Apply>>>();
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
    const inc = this.updater('counter', name, labelNames, 'inc', (l, v) => metric.inc(l, v));
    this.declared.set(name, { inc });
    return { inc: (...args: unknown[]) => inc.call(args) };
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): UserGauge<L> {
    const labels = this.validate(name, help, labelNames);
    const metric = new Gauge({ name, help, labelNames: labels, registers: [this.registry.registry] });
    const set = this.updater('gauge', name, labelNames, 'set', (l, v) => metric.set(l, v));
    const inc = this.updater('gauge', name, labelNames, 'inc', (l, v) => metric.inc(l, v));
    const dec = this.updater('gauge', name, labelNames, 'dec', (l, v) => metric.dec(l, v));
    this.declared.set(name, { set, inc, dec });
    return {
      set: (...args: unknown[]) => set.call(args),
      inc: (...args: unknown[]) => inc.call(args),
      dec: (...args: unknown[]) => dec.call(args),
    };
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
    const observe = this.updater('histogram', name, labelNames, 'observe', (l, v) => metric.observe(l, v));
    this.declared.set(name, { observe });
    return { observe: (...args: unknown[]) => observe.call(args) };
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

  /**
   * Driver: replays updates a worker made. The worker checked them when job code made them (a
   * refused call threw there and was never recorded), so an op this context refuses or did not
   * declare can only come from a worker whose job declared different metrics; it is skipped,
   * since throwing here would fail the task reply that carried it, not the job code at fault.
   */
  applyRemote(ops: readonly RemoteMetricOp[]): void {
    for (const op of ops) {
      try {
        this.declared.get(op.name)?.[op.op]?.apply(op.labels, op.value);
      } catch {
        // See above: already refused where it was made.
      }
    }
  }

  /**
   * One update method: `call` reads the caller's arguments in prom-client's shapes, `apply` takes
   * labels and value as a worker recorded them; both check before recording and updating.
   */
  private updater(
    kind: UserMetricKind,
    name: string,
    labelNames: readonly string[],
    method: RemoteMetricOp['op'],
    update: (labels: Record<string, string | number>, value: number) => void,
  ): Apply {
    const spec: MetricCallSpec = { kind, name, method, labelNames };
    const run = ({ labels, value }: MetricUpdate) => {
      this.recorded?.push({ name, op: method, labels: { ...labels }, value });
      update({ app: this.app, ...labels }, value);
    };
    return {
      call: (args) => run(parseMetricCall(spec, args)),
      apply: (labels, value) => run(checkMetricUpdate(spec, labels, value)),
    };
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
