/**
 * MetricsPipeline: the one listener the agent registers for metrics. It owns the listener that
 * applies events to the registry (the PrometheusListener) and the push exporters, and orders
 * them itself: every hook goes to the applying listener first; after a batch's onBatchCompleted
 * has been applied, one snapshot of the registry is read (MetricsReader) and handed to every
 * exporter; stop() hands over one last snapshot, stamped with the stop time, then stops them.
 * Where the pipeline sits among the context's other listeners therefore cannot change what an
 * exporter sends (test/telemetry/exporter-order.test.ts).
 *
 * Exporters never break the data path: a snapshot that cannot be read, or an exporter that
 * throws, adds one to `sidestream_exporter_errors_total{exporter}` (per exporter concerned) and
 * nothing reaches the engine. A throw from the applying listener still reaches the listener bus,
 * which counts it, after the batch's snapshot has been taken.
 */
import type {
  BatchOverdue,
  BatchRecord,
  BatchTraceContext,
  BlockStored,
  CheckpointFailure,
  CheckpointWritten,
  CompletedBatchRecord,
  EventTimeLagHistogram,
  OutputOperationRecord,
  ReceiverEvent,
  SourceEvent,
  StreamingListener,
  TaskAttempt,
  TaskAttemptEnd,
  TaskFailure,
  WalFailure,
  WalWritten,
} from '../events/index.js';
import type { MetricsExporter } from './exporters/metrics-exporter.js';
import { type AnyRegistry, exporterErrorsCounter } from './instruments.js';
import { MetricsReader } from './metrics-reader.js';

export interface MetricsPipelineOptions {
  /** The registry the applying listener writes and the snapshots are read from. */
  readonly registry: AnyRegistry;
  /** The `app` label of the exporter error series. */
  readonly app: string;
  /** Turns events into the registry's metrics: the PrometheusListener. */
  readonly applying: StreamingListener;
  readonly exporters?: readonly MetricsExporter[];
  /** For tests: the clock of stop()'s final snapshot; default Date.now. */
  readonly now?: () => number;
}

export interface MetricsPipelineStats {
  /** Snapshots read and handed to the exporters (batches plus the final one). */
  snapshots: number;
  /** Snapshots that could not be read (each counted once per exporter in the errors metric). */
  readErrors: number;
  /** export() calls that threw (also counted in the errors metric). */
  exportErrors: number;
}

export class MetricsPipeline implements Required<StreamingListener> {
  private readonly applying: StreamingListener;
  private readonly exporters: readonly MetricsExporter[];
  private readonly reader: MetricsReader;
  private readonly errorsMetric;
  private readonly now: () => number;
  private readonly stats_: MetricsPipelineStats = { snapshots: 0, readErrors: 0, exportErrors: 0 };
  /** The last export in flight: snapshots reach the exporters in the order they were read. */
  private exporting: Promise<void> = Promise.resolve();
  /** Set once the final snapshot is read: later batches are applied but not exported. */
  private stopped = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: MetricsPipelineOptions) {
    this.applying = options.applying;
    this.exporters = options.exporters ?? [];
    this.reader = new MetricsReader(options.registry);
    this.now = options.now ?? Date.now;
    this.errorsMetric = exporterErrorsCounter(options.registry);
    // Each exporter's error series exists (at 0) from the start, so rate() works at once.
    for (const e of this.exporters) this.errorsMetric.inc({ app: options.app, exporter: e.name }, 0);
  }

  get stats(): MetricsPipelineStats {
    return { ...this.stats_ };
  }

  onBatchCompleted(batch: CompletedBatchRecord): void {
    try {
      this.applying.onBatchCompleted?.(batch);
    } finally {
      void this.exportSnapshot(batch.batchTime);
    }
  }

  /**
   * The final snapshot (stamped now, after every batch's), then each exporter's stop, bounded by
   * `timeoutMs` when given. Idempotent; never rejects.
   */
  stop(timeoutMs?: number): Promise<void> {
    this.stopping ??= this.finish(timeoutMs);
    return this.stopping;
  }

  private async finish(timeoutMs: number | undefined): Promise<void> {
    const last = this.exportSnapshot(this.now());
    this.stopped = true;
    await last;
    await Promise.all(
      this.exporters.map((e) =>
        Promise.resolve()
          .then(() => e.stop(timeoutMs))
          .catch(() => this.countError(e)),
      ),
    );
  }

  /** Reads a snapshot now and hands it over after the earlier ones; never rejects. */
  private exportSnapshot(timeMs: number): Promise<void> {
    if (this.stopped || this.exporters.length === 0) return this.exporting;
    const read = this.reader.read(timeMs);
    // Awaited only after earlier exports; a rejection meanwhile must not count as unhandled.
    read.catch(() => {});
    const next = this.exporting.then(async () => {
      let snapshot: Awaited<typeof read>;
      try {
        snapshot = await read;
      } catch {
        // Each exporter misses this snapshot's points.
        this.stats_.readErrors++;
        for (const e of this.exporters) this.countError(e);
        return;
      }
      this.stats_.snapshots++;
      for (const e of this.exporters) {
        try {
          e.export(snapshot);
        } catch {
          this.stats_.exportErrors++;
          this.countError(e);
        }
      }
    });
    this.exporting = next;
    return next;
  }

  private countError(exporter: MetricsExporter): void {
    this.errorsMetric.inc({ app: this.options.app, exporter: exporter.name });
  }

  // Every other hook only reaches the applying listener.

  onSourceEvent(event: SourceEvent): void {
    this.applying.onSourceEvent?.(event);
  }

  onBatchSubmitted(batch: BatchRecord): void {
    this.applying.onBatchSubmitted?.(batch);
  }

  onBatchStarted(batch: BatchRecord): void {
    this.applying.onBatchStarted?.(batch);
  }

  onOutputOperationStarted(batchTime: number, op: OutputOperationRecord): void {
    this.applying.onOutputOperationStarted?.(batchTime, op);
  }

  onOutputOperationCompleted(batchTime: number, op: OutputOperationRecord): void {
    this.applying.onOutputOperationCompleted?.(batchTime, op);
  }

  onTaskFailed(failure: TaskFailure): void {
    this.applying.onTaskFailed?.(failure);
  }

  onTaskStarted(task: TaskAttempt): void {
    this.applying.onTaskStarted?.(task);
  }

  onTaskCompleted(task: TaskAttemptEnd): void {
    this.applying.onTaskCompleted?.(task);
  }

  onBatchTraceContext(batchTime: number, context: BatchTraceContext): void {
    this.applying.onBatchTraceContext?.(batchTime, context);
  }

  onBatchOverdue(event: BatchOverdue): void {
    this.applying.onBatchOverdue?.(event);
  }

  onReceiverStarted(event: ReceiverEvent): void {
    this.applying.onReceiverStarted?.(event);
  }

  onReceiverError(event: ReceiverEvent): void {
    this.applying.onReceiverError?.(event);
  }

  onReceiverStopped(event: ReceiverEvent): void {
    this.applying.onReceiverStopped?.(event);
  }

  onBlockStored(block: BlockStored): void {
    this.applying.onBlockStored?.(block);
  }

  onWalWritten(write: WalWritten): void {
    this.applying.onWalWritten?.(write);
  }

  onWalError(failure: WalFailure): void {
    this.applying.onWalError?.(failure);
  }

  onCheckpointWritten(checkpoint: CheckpointWritten): void {
    this.applying.onCheckpointWritten?.(checkpoint);
  }

  onCheckpointFailed(failure: CheckpointFailure): void {
    this.applying.onCheckpointFailed?.(failure);
  }

  onBatchEventTimeLag(batchTime: number, lags: readonly EventTimeLagHistogram[]): void {
    this.applying.onBatchEventTimeLag?.(batchTime, lags);
  }
}
