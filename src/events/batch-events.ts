/**
 * The batch record and what is posted around it: the immutable snapshot of a batch handed to
 * listeners (onBatchSubmitted, onBatchStarted, onBatchCompleted), served by GET /api/batches and
 * written to the JSON-lines batch log (its JSON shape is in docs/reference.md). Raw timestamps are
 * stored; delays are derived from them exactly as Spark's BatchInfo derives them: scheduling =
 * start - submission, processing = end - start, total = scheduling + processing. The generation
 * delay (submission - batch time) is sidestream's own figure beside them (docs/spark-semantics.md).
 *
 * Types only: the engine builds these values (engine/running-batch.ts), listeners read them.
 */
import type { OffsetRange } from '../topic-partition.js';
import type { PartitionLag } from './kafka-events.js';

export interface EventTimeLagSummary {
  readonly avg: number;
  readonly max: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * What an input says about one batch besides its records (Spark's StreamInputInfo metadata).
 * The engine does not interpret it: it is merged into the input's entry of the batch record.
 */
export interface InputMetadata {
  /**
   * The positions the batch reads, as half-open `[from, until)` ranges, for inputs whose data
   * has positions (a Kafka direct stream: one range per planned partition).
   */
  readonly offsetRanges?: readonly OffsetRange[];
  /** Consumer lag per planned partition, measured when the batch was planned (Kafka direct streams). */
  readonly consumerLag?: readonly PartitionLag[];
}

/** One input's part of a batch (Spark's StreamInputInfo). */
export interface InputRecord extends InputMetadata {
  readonly streamId: number;
  readonly name: string;
  readonly numRecords: number;
  /** Always present in the record: empty for inputs without positions. */
  readonly offsetRanges: readonly OffsetRange[];
  /** processingStartTime - eventTime over the batch's records; null when the source has no event time. */
  readonly eventTimeLagMs: EventTimeLagSummary | null;
}

export interface OutputOperationRecord {
  readonly id: number;
  readonly name: string;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly failureReason: string | null;
}

export interface TaskTotals {
  /** Distinct tasks (one per partition per stage) the batch ran. */
  readonly total: number;
  /** Attempts that threw. */
  readonly failed: number;
  /** Attempts launched again after a failure. */
  readonly retried: number;
}

export type BatchOutcome = 'succeeded' | 'failed';

/** A batch as listeners see it; times not reached yet are null. */
export interface BatchRecord {
  readonly app: string;
  readonly batchTime: number;
  readonly submissionTime: number;
  readonly processingStartTime: number | null;
  readonly processingEndTime: number | null;
  /**
   * submissionTime - batchTime: how long generating the batch took (inputs captured, a direct
   * stream's plan included) before it was queued. Known from submission on. How late a batch is
   * overall is generationDelayMs + totalDelayMs; totalDelayMs stays Spark's (from submission).
   */
  readonly generationDelayMs: number;
  readonly schedulingDelayMs: number | null;
  readonly processingDelayMs: number | null;
  readonly totalDelayMs: number | null;
  readonly numRecords: number;
  readonly outcome: BatchOutcome | null;
  readonly inputs: readonly InputRecord[];
  readonly outputOperations: readonly OutputOperationRecord[];
  readonly tasks: TaskTotals;
}

/** A completed batch: every time and delay is known. */
export interface CompletedBatchRecord extends BatchRecord {
  readonly processingStartTime: number;
  readonly processingEndTime: number;
  readonly schedulingDelayMs: number;
  readonly processingDelayMs: number;
  readonly totalDelayMs: number;
  readonly outcome: BatchOutcome;
}

/**
 * Spark's name for the immutable batch record handed to listeners. The batch the engine is still
 * working on is a different thing (engine/running-batch.ts, RunningBatch); listeners only ever
 * see these snapshots of it.
 */
export type BatchInfo = BatchRecord;

/**
 * One input's event-time lag over one batch's records, bucketed by EVENT_TIME_LAG_BUCKETS_SECONDS
 * (src/event-time-lag.ts) while the batch is assembled, so a metrics listener adds a whole batch
 * at once. Posted with onBatchEventTimeLag; deliberately not part of the batch record.
 */
export interface EventTimeLagHistogram {
  readonly streamId: number;
  readonly name: string;
  /**
   * Records per bucket, NOT cumulative: index i counts lags in (bound[i-1], bound[i]]; the extra
   * last entry counts lags above the largest bound (+Inf).
   */
  readonly bucketCounts: readonly number[];
  /** Sum of the lags, in seconds. */
  readonly sumSeconds: number;
  readonly count: number;
}

/**
 * The next batch's generation fell more than two batch intervals behind its time (`overdue`
 * true: posted once, when it crosses) or caught up again (`overdue` false: posted once, when no
 * batch is that late any more). Once per episode, never per batch or per scrape: the live figure
 * is sidestream_next_batch_overdue_seconds.
 */
export interface BatchOverdue {
  /** The batch that crossed the bound (for a catch-up: the one announced). */
  readonly batchTime: number;
  readonly overdue: boolean;
  /** How late it was: when it crossed the bound; for a catch-up, from its due time until now. */
  readonly lateMs: number;
  /** What its generation waits (or waited) for, in words: `input kafka:events`. */
  readonly waitingFor: string;
}

/**
 * Per-batch trace context, posted after the batch's jobs ran and before onBatchCompleted: at
 * most MAX_TRACE_LINKS distinct W3C `traceparent` values read from the batch's input records
 * (Kafka headers), and the consumer group of each input that has one.
 */
export interface BatchTraceContext {
  readonly traceparents: readonly string[];
  readonly consumerGroups: readonly { readonly streamId: number; readonly group: string }[];
}
