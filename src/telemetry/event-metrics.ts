/**
 * EventMetrics: the catalogue's instruments on one registry, and the little state some metric
 * effects need (which partitions are owned, each partition's status tracker, which receivers
 * run). The event table (event-table.ts) says which event changes which of them; this class only
 * holds them and implements the effects that are more than one line. Nothing here is per record:
 * every method runs once per batch, block, append, checkpoint, failed attempt or input event.
 */

import type { CompletedBatchRecord, KafkaPartitionLag, KafkaRebalance } from '../events/index.js';
import { topicPartitionKey } from '../topic-partition.js';
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

/** An input as the metrics read it at scrape time (an InputDStream of the context's graph). */
export interface MetricsInput {
  readonly streamId: number;
  readonly source: {
    readonly name: string;
    /** Absent: the input has no upstream (queue, generator), so no connection series. */
    readonly connected?: boolean;
    readonly lastResponseMs?: number | undefined;
  };
}

/** What the metrics read from the context besides events (a StreamingContext satisfies it). */
export interface MetricsSource {
  readonly appName: string;
  readonly batchIntervalMs: number;
  /** Read at scrape time. */
  readonly batchesWaiting: number;
  /** Read at scrape time (StreamingEngine.nextBatchOverdueMs); absent: always 0. */
  readonly nextBatchOverdueMs?: number;
  /**
   * The declared inputs: their connection state is read at scrape time, and their processed-records
   * counters start at a real 0. Absent: no input series until batches name them.
   */
  readonly graph?: { readonly inputs: readonly MetricsInput[] };
  /**
   * The engine's clock. With it, the partition statuses are evaluated again at every scrape, so
   * `stop` shows while no batch completes at all (generation stuck); without it, only at batch
   * completions.
   */
  readonly clock?: { now(): number };
}

/** Tuning of the derived metrics; the defaults suit most apps. */
export interface EventMetricsOptions {
  /** Samples in a partition's status window (PartitionStatusTracker); default 10. */
  readonly partitionStatusWindow?: number;
  /** No lag sample for this long, while lag > 0, is `stop`; default max(30 s, 10 batch intervals). */
  readonly partitionStopAfterMs?: number;
  /** Restarts of this agent by its supervisor so far (0 unsupervised): sidestream_restarts_total. */
  readonly restarts?: number;
}

export const seconds = (ms: number) => ms / 1000;

/** Error class names are a small, closed-enough set; the cap guards against odd thrown values. */
export const errorTypeLabel = (t: string) => (t.length > 64 ? `${t.slice(0, 61)}...` : t) || 'unknown';

export class EventMetrics {
  readonly app: string;
  readonly batches;
  readonly schedulingDelay;
  readonly processingDelay;
  readonly totalDelay;
  readonly generationDelay;
  readonly lastSchedulingDelay;
  readonly lastProcessingDelay;
  readonly lastTotalDelay;
  readonly lastGenerationDelay;
  readonly lastRecords;
  readonly lastCompleted;
  readonly recordsProcessed;
  readonly tasks;
  readonly taskFailures;
  readonly lagAvg;
  readonly lagMax;
  readonly recordErrors;
  readonly inputErrors;
  readonly kafkaLagRecords;
  readonly kafkaLagSeconds;
  readonly kafkaCommittedLagRecords;
  readonly kafkaCommittedLagSeconds;
  readonly kafkaCommitted;
  readonly kafkaHighWatermark;
  readonly kafkaRebalances;
  readonly kafkaAssigned;
  readonly kafkaStatus;
  readonly eventTimeLag;
  readonly recordsReceived;
  readonly receiversActive;
  readonly receiverErrors;
  readonly rateLimit;
  readonly walWrites;
  readonly walBytes;
  readonly walDuration;
  readonly walErrors;
  readonly checkpoints;
  readonly lastCheckpoint;
  /** Partitions owned, by `streamId/topic-partition`: the assigned-partitions gauge is its size. */
  private readonly assigned = new Set<string>();
  /** Per partition: its status tracker and the status last exported. */
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
    options: EventMetricsOptions = {},
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
    // Live, not per batch: while a batch's generation hangs no batch completes to say so.
    gauge(registry, 'sidestream_next_batch_overdue_seconds', (g) =>
      g.set({ app }, seconds(source.nextBatchOverdueMs ?? 0)),
    );
    this.batches = counter(registry, 'sidestream_batches_total');
    this.schedulingDelay = histogram(registry, 'sidestream_batch_scheduling_delay_seconds');
    this.processingDelay = histogram(registry, 'sidestream_batch_processing_delay_seconds');
    this.totalDelay = histogram(registry, 'sidestream_batch_total_delay_seconds');
    this.generationDelay = histogram(registry, 'sidestream_batch_generation_delay_seconds');
    this.lastSchedulingDelay = gauge(registry, 'sidestream_last_batch_scheduling_delay_seconds');
    this.lastProcessingDelay = gauge(registry, 'sidestream_last_batch_processing_delay_seconds');
    this.lastTotalDelay = gauge(registry, 'sidestream_last_batch_total_delay_seconds');
    this.lastGenerationDelay = gauge(registry, 'sidestream_last_batch_generation_delay_seconds');
    this.lastRecords = gauge(registry, 'sidestream_last_batch_records');
    this.lastCompleted = gauge(registry, 'sidestream_last_completed_batch_timestamp_seconds');
    this.recordsProcessed = counter(registry, 'sidestream_records_processed_total');
    this.tasks = counter(registry, 'sidestream_tasks_total');
    this.taskFailures = counter(registry, 'sidestream_task_failures_total');
    this.lagAvg = gauge(registry, 'sidestream_last_batch_event_time_lag_avg_seconds');
    this.lagMax = gauge(registry, 'sidestream_last_batch_event_time_lag_max_seconds');
    this.recordErrors = counter(registry, 'sidestream_record_errors_total');
    this.inputErrors = counter(registry, 'sidestream_input_errors_total');
    this.kafkaLagRecords = gauge(registry, 'sidestream_kafka_consumer_lag_records');
    this.kafkaLagSeconds = gauge(registry, 'sidestream_kafka_consumer_lag_seconds');
    this.kafkaCommittedLagRecords = gauge(registry, 'sidestream_kafka_committed_lag_records');
    this.kafkaCommittedLagSeconds = gauge(registry, 'sidestream_kafka_committed_lag_seconds');
    this.kafkaCommitted = gauge(registry, 'sidestream_kafka_committed_offset');
    this.kafkaHighWatermark = gauge(registry, 'sidestream_kafka_high_watermark');
    this.kafkaRebalances = counter(registry, 'sidestream_kafka_rebalances_total');
    this.kafkaRebalances.inc({ app }, 0);
    this.kafkaAssigned = gauge(registry, 'sidestream_kafka_assigned_partitions');
    const clock = source.clock;
    // `stop` needs time to pass without samples; with the engine's clock it is judged at every
    // scrape too, so it shows even when no batch completes (a generation stuck on a frozen broker).
    this.kafkaStatus = gauge(
      registry,
      'sidestream_kafka_partition_status',
      clock ? () => this.evaluateStatuses(clock.now()) : undefined,
    );
    this.eventTimeLag = lagHistogram(registry);
    this.recordsReceived = counter(registry, 'sidestream_records_received_total');
    this.receiversActive = gauge(registry, 'sidestream_receivers_active');
    this.receiversActive.set({ app }, 0);
    this.receiverErrors = counter(registry, 'sidestream_receiver_errors_total');
    const inputs = source.graph?.inputs ?? [];
    // Read from each input at scrape time, not from events: right between events, and without a
    // series for inputs that have no upstream.
    gauge(registry, 'sidestream_input_connected', (g) => {
      g.reset();
      for (const { source: s } of inputs)
        if (s.connected !== undefined) g.set({ app, stream: s.name }, s.connected ? 1 : 0);
    });
    gauge(registry, 'sidestream_input_last_response_timestamp_seconds', (g) => {
      g.reset();
      for (const { source: s } of inputs)
        if (s.lastResponseMs !== undefined) g.set({ app, stream: s.name }, seconds(s.lastResponseMs));
    });
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
    // Every declared input's counters too: an app that never completes a batch still has a
    // processed-records series standing at 0, which SidestreamNoRecordsProcessed needs to fire.
    for (const { source: s } of inputs) {
      this.recordsProcessed.inc({ app, stream: s.name }, 0);
      this.inputErrors.inc({ app, stream: s.name }, 0);
    }
  }

  batchCompleted(batch: CompletedBatchRecord): void {
    const app = this.app;
    this.batches.inc({ app, outcome: batch.outcome });
    this.schedulingDelay.observe({ app }, seconds(batch.schedulingDelayMs));
    this.processingDelay.observe({ app }, seconds(batch.processingDelayMs));
    this.totalDelay.observe({ app }, seconds(batch.totalDelayMs));
    this.lastSchedulingDelay.set({ app }, seconds(batch.schedulingDelayMs));
    this.lastProcessingDelay.set({ app }, seconds(batch.processingDelayMs));
    this.lastTotalDelay.set({ app }, seconds(batch.totalDelayMs));
    this.generationDelay.observe({ app }, seconds(batch.generationDelayMs));
    this.lastGenerationDelay.set({ app }, seconds(batch.generationDelayMs));
    this.lastRecords.set({ app }, batch.numRecords);
    this.lastCompleted.set({ app }, seconds(batch.processingEndTime));
    for (const input of batch.inputs) {
      const labels = { app, stream: input.name };
      this.recordsProcessed.inc(labels, input.numRecords);
      // Every input's failure counter exists, at a real 0, from its first batch: increase() and
      // the SidestreamInputErrors alert see the first failure.
      this.inputErrors.inc(labels, 0);
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
    this.evaluateStatuses(batch.processingEndTime);
  }

  /** Every partition's status at clock time `nowMs` (batch completions, and scrapes with a clock). */
  private evaluateStatuses(nowMs: number): void {
    for (const p of this.statuses.values()) this.exportStatus(p, p.tracker.status(nowMs));
  }

  receiverStarted(streamId: number, stream: string): void {
    const labels = { app: this.app, stream };
    // Real zeros from the start, so rate() and increase() see the first records and errors.
    this.recordsReceived.inc(labels, 0);
    this.receiverErrors.inc(labels, 0);
    this.receiversRunning.add(streamId);
    this.receiversActive.set({ app: this.app }, this.receiversRunning.size);
  }

  receiverStopped(streamId: number): void {
    this.receiversRunning.delete(streamId);
    this.receiversActive.set({ app: this.app }, this.receiversRunning.size);
  }

  partitionLag(event: KafkaPartitionLag): void {
    const app = this.app;
    const labels = { app, topic: event.topic, partition: String(event.partition) };
    this.kafkaLagRecords.set(labels, event.records);
    if (event.seconds === undefined) this.kafkaLagSeconds.remove(labels);
    else this.kafkaLagSeconds.set(labels, event.seconds);
    // Reported by the input, or absent: a made-up committed lag would be worse than none.
    if (event.committedLagRecords === undefined) this.kafkaCommittedLagRecords.remove(labels);
    else this.kafkaCommittedLagRecords.set(labels, event.committedLagRecords);
    if (event.committedLagSeconds === undefined) this.kafkaCommittedLagSeconds.remove(labels);
    else this.kafkaCommittedLagSeconds.set(labels, event.committedLagSeconds);
    this.kafkaCommitted.set(labels, event.committedOffset);
    this.kafkaHighWatermark.set(labels, event.highWatermark);
    const key = topicPartitionKey(event.topic, event.partition);
    // A partition with a planned batch is owned, even if its assignment predates this listener.
    this.assigned.add(`${event.streamId}/${key}`);
    this.kafkaAssigned.set({ app }, this.assigned.size);
    let p = this.statuses.get(key);
    if (!p) {
      const tracker = new PartitionStatusTracker({
        windowSize: this.statusWindow,
        stopAfterMs: this.stopAfterMs,
      });
      p = { topic: event.topic, partition: event.partition, tracker, current: undefined };
      this.statuses.set(key, p);
    }
    this.exportStatus(
      p,
      p.tracker.record({
        timeMs: event.batchTime,
        committedOffset: event.committedOffset,
        // Burrow judges the lag at the committed offset: records planned but never committed (a
        // failing sink, a frozen broker mid-batch) still count, where the planned lag reads 0.
        lag: event.committedLagRecords ?? Math.max(0, event.highWatermark - event.committedOffset),
      }),
    );
  }

  rebalance(event: KafkaRebalance): void {
    const app = this.app;
    this.kafkaRebalances.inc({ app });
    for (const { topic, partition } of event.assigned)
      this.assigned.add(`${event.streamId}/${topicPartitionKey(topic, partition)}`);
    for (const { topic, partition } of event.revoked) {
      const key = topicPartitionKey(topic, partition);
      this.assigned.delete(`${event.streamId}/${key}`);
      this.statuses.delete(key);
      for (const status of PARTITION_STATUSES)
        this.kafkaStatus.remove({ app, topic, partition: String(partition), status });
      // A partition this agent no longer owns has no lag here: its series go, not freeze.
      const labels = { app, topic, partition: String(partition) };
      for (const g of [
        this.kafkaLagRecords,
        this.kafkaLagSeconds,
        this.kafkaCommittedLagRecords,
        this.kafkaCommittedLagSeconds,
        this.kafkaCommitted,
        this.kafkaHighWatermark,
      ]) {
        g.remove(labels);
      }
    }
    this.kafkaAssigned.set({ app }, this.assigned.size);
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
}
