/**
 * PrometheusListener: turns the engine's listener events into the catalogue's prom-client
 * metrics (the event-to-metric table is in docs/telemetry.md; events.ts lists the events it
 * deliberately ignores). It works once per batch, block, WAL append, checkpoint, failed task
 * attempt or source event, never per record, and it owns no timing of its own: every number
 * comes from an event (the partition status's clock is the batch records' times).
 */
import type { SourceEvent } from '../dstream/input-source.js';
import type { CompletedBatchRecord, EventTimeLagHistogram } from '../engine/batch-record.js';
import type {
  BlockStored,
  CheckpointFailure,
  CheckpointWritten,
  ReceiverEvent,
  StreamingListener,
  TaskFailure,
  WalFailure,
  WalWritten,
} from '../engine/streaming-listener.js';
import {
  type AnyRegistry,
  counter,
  exporterErrorsCounter,
  gauge,
  histogram,
  lagHistogram,
} from './instruments.js';
import { PARTITION_STATUSES } from './metrics.js';
import { DEFAULT_STATUS_WINDOW, type PartitionStatus, PartitionStatusTracker } from './partition-status.js';

/** What the listener reads from the context besides events. */
export interface MetricsSource {
  readonly appName: string;
  readonly batchIntervalMs: number;
  /** Read at scrape time. */
  readonly batchesWaiting: number;
}

/** Tuning of the listener's derived metrics; the defaults suit most apps. */
export interface PrometheusListenerOptions {
  /** Samples in a partition's status window (PartitionStatusTracker); default 10. */
  readonly partitionStatusWindow?: number;
  /** No lag sample for this long, while lag > 0, is `stop`; default max(30 s, 10 batch intervals). */
  readonly partitionStopAfterMs?: number;
  /** Restarts of this agent by its supervisor so far (0 unsupervised): sidestream_restarts_total. */
  readonly restarts?: number;
}

const seconds = (ms: number) => ms / 1000;

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Error class names are a small, closed-enough set; the cap guards against odd thrown values. */
const errorTypeLabel = (t: string) => (t.length > 64 ? `${t.slice(0, 61)}...` : t) || 'unknown';

export class PrometheusListener implements StreamingListener {
  private readonly app: string;
  private readonly batches;
  private readonly schedulingDelay;
  private readonly processingDelay;
  private readonly totalDelay;
  private readonly lastSchedulingDelay;
  private readonly lastProcessingDelay;
  private readonly lastTotalDelay;
  private readonly lastRecords;
  private readonly lastCompleted;
  private readonly recordsProcessed;
  private readonly tasks;
  private readonly taskFailures;
  private readonly lagAvg;
  private readonly lagMax;
  private readonly recordErrors;
  private readonly kafkaLagRecords;
  private readonly kafkaLagSeconds;
  private readonly kafkaCommitted;
  private readonly kafkaHighWatermark;
  private readonly kafkaRebalances;
  private readonly kafkaAssigned;
  private readonly kafkaStatus;
  private readonly eventTimeLag;
  private readonly recordsReceived;
  private readonly receiversActive;
  private readonly receiverErrors;
  private readonly rateLimit;
  private readonly walWrites;
  private readonly walBytes;
  private readonly walDuration;
  private readonly walErrors;
  private readonly checkpoints;
  private readonly lastCheckpoint;
  /** Partitions owned, by `streamId/topic/partition`: the assigned-partitions gauge is its size. */
  private readonly assigned = new Set<string>();
  /** Per partition (topic, partition): its status tracker and the status last exported. */
  private readonly statuses = new Map<
    string,
    {
      topic: string;
      partition: number;
      tracker: PartitionStatusTracker;
      current: PartitionStatus | undefined;
    }
  >();
  private readonly receiversRunning = new Set<number>();
  private readonly statusWindow: number;
  private readonly stopAfterMs: number;

  constructor(
    registry: AnyRegistry,
    source: MetricsSource,
    version: string,
    options: PrometheusListenerOptions = {},
  ) {
    const app = source.appName;
    this.app = app;
    this.statusWindow = options.partitionStatusWindow ?? DEFAULT_STATUS_WINDOW;
    this.stopAfterMs = options.partitionStopAfterMs ?? Math.max(30_000, 10 * source.batchIntervalMs);
    gauge(registry, 'sidestream_build_info').set({ app, version }, 1);
    // A counter that starts each process at the supervisor's count: increase() over a window
    // then shows the restarts in it, even though every restart is a new process.
    counter(registry, 'sidestream_restarts_total').inc({ app }, options.restarts ?? 0);
    gauge(registry, 'sidestream_batch_interval_seconds').set({ app }, seconds(source.batchIntervalMs));
    gauge(registry, 'sidestream_batches_waiting', (g) => g.set({ app }, source.batchesWaiting));
    this.batches = counter(registry, 'sidestream_batches_total');
    this.schedulingDelay = histogram(registry, 'sidestream_batch_scheduling_delay_seconds');
    this.processingDelay = histogram(registry, 'sidestream_batch_processing_delay_seconds');
    this.totalDelay = histogram(registry, 'sidestream_batch_total_delay_seconds');
    this.lastSchedulingDelay = gauge(registry, 'sidestream_last_batch_scheduling_delay_seconds');
    this.lastProcessingDelay = gauge(registry, 'sidestream_last_batch_processing_delay_seconds');
    this.lastTotalDelay = gauge(registry, 'sidestream_last_batch_total_delay_seconds');
    this.lastRecords = gauge(registry, 'sidestream_last_batch_records');
    this.lastCompleted = gauge(registry, 'sidestream_last_completed_batch_timestamp_seconds');
    this.recordsProcessed = counter(registry, 'sidestream_records_processed_total');
    this.tasks = counter(registry, 'sidestream_tasks_total');
    this.taskFailures = counter(registry, 'sidestream_task_failures_total');
    this.lagAvg = gauge(registry, 'sidestream_last_batch_event_time_lag_avg_seconds');
    this.lagMax = gauge(registry, 'sidestream_last_batch_event_time_lag_max_seconds');
    this.recordErrors = counter(registry, 'sidestream_record_errors_total');
    this.kafkaLagRecords = gauge(registry, 'sidestream_kafka_consumer_lag_records');
    this.kafkaLagSeconds = gauge(registry, 'sidestream_kafka_consumer_lag_seconds');
    this.kafkaCommitted = gauge(registry, 'sidestream_kafka_committed_offset');
    this.kafkaHighWatermark = gauge(registry, 'sidestream_kafka_high_watermark');
    this.kafkaRebalances = counter(registry, 'sidestream_kafka_rebalances_total');
    this.kafkaRebalances.inc({ app }, 0);
    this.kafkaAssigned = gauge(registry, 'sidestream_kafka_assigned_partitions');
    this.kafkaStatus = gauge(registry, 'sidestream_kafka_partition_status');
    this.eventTimeLag = lagHistogram(registry);
    this.recordsReceived = counter(registry, 'sidestream_records_received_total');
    this.receiversActive = gauge(registry, 'sidestream_receivers_active');
    this.receiversActive.set({ app }, 0);
    this.receiverErrors = counter(registry, 'sidestream_receiver_errors_total');
    this.rateLimit = gauge(registry, 'sidestream_rate_limit_records_per_second');
    this.walWrites = counter(registry, 'sidestream_wal_writes_total');
    this.walBytes = counter(registry, 'sidestream_wal_bytes_total');
    this.walDuration = histogram(registry, 'sidestream_wal_write_duration_seconds');
    this.walErrors = counter(registry, 'sidestream_wal_errors_total');
    this.checkpoints = counter(registry, 'sidestream_checkpoints_total');
    this.lastCheckpoint = gauge(registry, 'sidestream_last_checkpoint_timestamp_seconds');
    exporterErrorsCounter(registry);
    // Counters of a closed label set start at a real 0 so rate() and increase() work from the
    // first scrape; "last batch" gauges stay absent until a batch has completed.
    for (const outcome of ['succeeded', 'failed'] as const) {
      this.batches.inc({ app, outcome }, 0);
      this.tasks.inc({ app, outcome }, 0);
    }
  }

  onBatchCompleted(batch: CompletedBatchRecord): void {
    const app = this.app;
    this.batches.inc({ app, outcome: batch.outcome });
    this.schedulingDelay.observe({ app }, seconds(batch.schedulingDelayMs));
    this.processingDelay.observe({ app }, seconds(batch.processingDelayMs));
    this.totalDelay.observe({ app }, seconds(batch.totalDelayMs));
    this.lastSchedulingDelay.set({ app }, seconds(batch.schedulingDelayMs));
    this.lastProcessingDelay.set({ app }, seconds(batch.processingDelayMs));
    this.lastTotalDelay.set({ app }, seconds(batch.totalDelayMs));
    this.lastRecords.set({ app }, batch.numRecords);
    this.lastCompleted.set({ app }, seconds(batch.processingEndTime));
    for (const input of batch.inputs) {
      const labels = { app, stream: input.name };
      this.recordsProcessed.inc(labels, input.numRecords);
      if (input.eventTimeLagMs) {
        this.lagAvg.set(labels, seconds(input.eventTimeLagMs.avg));
        this.lagMax.set(labels, seconds(input.eventTimeLagMs.max));
      } else {
        // No event times in this batch: a stale lag would be a made-up value, so drop the series.
        this.lagAvg.remove(labels);
        this.lagMax.remove(labels);
      }
    }
    // Attempts: every failed attempt is one failure; each distinct task ended with one successful
    // attempt unless it exhausted its retries, and those are the failures not followed by a retry.
    const { total, failed, retried } = batch.tasks;
    const exhausted = Math.max(0, failed - retried);
    this.tasks.inc({ app, outcome: 'succeeded' }, Math.max(0, total - exhausted));
    this.tasks.inc({ app, outcome: 'failed' }, failed);
    // `stop` needs time to pass without lag samples: re-evaluate every partition per batch.
    for (const p of this.statuses.values()) this.exportStatus(p, p.tracker.status(batch.processingEndTime));
  }

  /**
   * The engine bucketed each input's lags while it assembled the batch; one add per input per
   * batch (BulkHistogram), never an observe() per record.
   */
  onBatchEventTimeLag(_batchTime: number, lags: readonly EventTimeLagHistogram[]): void {
    for (const lag of lags) {
      this.eventTimeLag.add({ app: this.app, stream: lag.name }, lag.bucketCounts, lag.sumSeconds);
    }
  }

  onReceiverStarted(event: ReceiverEvent): void {
    const labels = { app: this.app, stream: event.name };
    // Real zeros from the start, so rate() and increase() see the first records and errors.
    this.recordsReceived.inc(labels, 0);
    this.receiverErrors.inc(labels, 0);
    this.receiversRunning.add(event.streamId);
    this.receiversActive.set({ app: this.app }, this.receiversRunning.size);
  }

  onReceiverStopped(event: ReceiverEvent): void {
    this.receiversRunning.delete(event.streamId);
    this.receiversActive.set({ app: this.app }, this.receiversRunning.size);
  }

  onReceiverError(event: ReceiverEvent): void {
    this.receiverErrors.inc({ app: this.app, stream: event.name });
  }

  onBlockStored(block: BlockStored): void {
    this.recordsReceived.inc({ app: this.app, stream: block.name }, block.numRecords);
  }

  onWalWritten(write: WalWritten): void {
    const app = this.app;
    this.walWrites.inc({ app });
    this.walBytes.inc({ app }, write.bytes);
    this.walDuration.observe({ app }, seconds(write.durationMs));
    // A log that writes can fail: its error series exists (at 0) from its first write.
    this.walErrors.inc({ app, log: write.log }, 0);
  }

  onWalError(failure: WalFailure): void {
    this.walErrors.inc({ app: this.app, log: failure.log });
  }

  onCheckpointWritten(checkpoint: CheckpointWritten): void {
    const app = this.app;
    this.checkpoints.inc({ app, outcome: 'succeeded' });
    this.checkpoints.inc({ app, outcome: 'failed' }, 0);
    this.lastCheckpoint.set({ app }, seconds(checkpoint.time));
  }

  onCheckpointFailed(_failure: CheckpointFailure): void {
    const app = this.app;
    this.checkpoints.inc({ app, outcome: 'failed' });
    this.checkpoints.inc({ app, outcome: 'succeeded' }, 0);
  }

  onSourceEvent(event: SourceEvent): void {
    const app = this.app;
    switch (event.type) {
      case 'record-error':
        this.recordErrors.inc({ app, stream: event.stream, error_type: errorTypeLabel(event.errorType) });
        return;
      case 'partition-lag': {
        const labels = { app, topic: event.topic, partition: String(event.partition) };
        this.kafkaLagRecords.set(labels, event.records);
        if (event.seconds === undefined) this.kafkaLagSeconds.remove(labels);
        else this.kafkaLagSeconds.set(labels, event.seconds);
        this.kafkaCommitted.set(labels, event.committedOffset);
        this.kafkaHighWatermark.set(labels, event.highWatermark);
        // A partition with a planned batch is owned, even if its assignment predates this listener.
        this.assigned.add(`${event.streamId}/${partitionKey(event.topic, event.partition)}`);
        this.kafkaAssigned.set({ app }, this.assigned.size);
        const key = partitionKey(event.topic, event.partition);
        let p = this.statuses.get(key);
        if (!p) {
          const tracker = new PartitionStatusTracker({
            windowSize: this.statusWindow,
            stopAfterMs: this.stopAfterMs,
          });
          p = { topic: event.topic, partition: event.partition, tracker, current: undefined };
          this.statuses.set(key, p);
        }
        const status = p.tracker.record({
          timeMs: event.batchTime,
          committedOffset: event.committedOffset,
          lag: event.records,
        });
        this.exportStatus(p, status);
        return;
      }
      case 'rate-changed':
        this.rateLimit.set({ app, stream: event.stream }, event.ratePerSec);
        return;
      case 'rebalance':
        this.kafkaRebalances.inc({ app });
        for (const { topic, partition } of event.assigned) {
          this.assigned.add(`${event.streamId}/${partitionKey(topic, partition)}`);
        }
        for (const { topic, partition } of event.revoked) {
          this.assigned.delete(`${event.streamId}/${partitionKey(topic, partition)}`);
          this.statuses.delete(partitionKey(topic, partition));
          for (const status of PARTITION_STATUSES) {
            this.kafkaStatus.remove({ app, topic, partition: String(partition), status });
          }
        }
        this.kafkaAssigned.set({ app }, this.assigned.size);
        // A partition this agent no longer owns has no lag here: its series go, not freeze.
        for (const { topic, partition } of event.revoked) {
          const labels = { app, topic, partition: String(partition) };
          for (const g of [
            this.kafkaLagRecords,
            this.kafkaLagSeconds,
            this.kafkaCommitted,
            this.kafkaHighWatermark,
          ]) {
            g.remove(labels);
          }
        }
        return;
      default:
        return;
    }
  }

  /**
   * All five status series of a partition, 1 for the current status and 0 for the others: a
   * status that ends drops to 0 instead of vanishing, which matters in Graphite (a series that
   * stops receiving points keeps showing its last value, a stale 1) and lets alerts compare a
   * series with its own past. Written only when the status changes.
   */
  private exportStatus(
    p: { topic: string; partition: number; current: PartitionStatus | undefined },
    status: PartitionStatus,
  ): void {
    if (p.current === status) return;
    p.current = status;
    const base = { app: this.app, topic: p.topic, partition: String(p.partition) };
    for (const s of PARTITION_STATUSES) this.kafkaStatus.set({ ...base, status: s }, s === status ? 1 : 0);
  }

  onTaskFailed(failure: TaskFailure): void {
    this.taskFailures.inc({ app: this.app, error_type: errorTypeLabel(failure.errorType) });
  }
}
