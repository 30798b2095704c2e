/**
 * The batch record: what every batch leaves behind (listener payload, GET /api/batches, the JSONL
 * batch log). Raw timestamps are stored; delays are derived from them exactly as Spark's
 * BatchInfo derives them: scheduling = start - submission, processing = end - start,
 * total = scheduling + processing. See CONTRACT.md for the JSON shape.
 */
import type { PartitionLag } from '../dstream/input-source.js';
import type { OffsetRange } from '../topic-partition.js';

export interface EventTimeLagSummary {
  readonly avg: number;
  readonly max: number;
  readonly p50: number;
  readonly p99: number;
}

export interface InputRecord {
  readonly streamId: number;
  readonly name: string;
  readonly numRecords: number;
  readonly offsetRanges: readonly OffsetRange[];
  /** processingStartTime - eventTime over the batch's records; null when the source has no event time. */
  readonly eventTimeLagMs: EventTimeLagSummary | null;
  /** Kafka direct streams: consumer lag per planned partition, measured when the batch was planned. */
  readonly consumerLag?: readonly PartitionLag[];
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

export interface BatchRecord {
  readonly app: string;
  readonly batchTime: number;
  readonly submissionTime: number;
  readonly processingStartTime: number | null;
  readonly processingEndTime: number | null;
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

/** The mutable side of a batch while the engine works on it; records are snapshots of it. */
export class BatchInfo {
  processingStartTime: number | null = null;
  processingEndTime: number | null = null;
  outcome: BatchOutcome | null = null;
  inputs: InputRecord[] = [];
  readonly outputOperations: {
    id: number;
    name: string;
    startTime: number | null;
    endTime: number | null;
    failureReason: string | null;
  }[] = [];
  readonly tasks = { total: 0, failed: 0, retried: 0 };
  /** Event times held until processing starts, when the lag is measured. */
  pendingEventTimes: (ArrayLike<number> | (() => ArrayLike<number> | undefined) | undefined)[] = [];
  /** Per input: trace parents of its records (or how to get them after the jobs), for tracing. */
  pendingTraceparents: (readonly string[] | (() => readonly string[] | undefined) | undefined)[] = [];
  /** Kafka consumer groups of the inputs that have one, for tracing. */
  consumerGroups: { streamId: number; group: string }[] = [];
  /** Per input with event times: its lag histogram, posted before onBatchCompleted; not in the record. */
  eventTimeLagHistograms: EventTimeLagHistogram[] = [];

  constructor(
    readonly app: string,
    readonly batchTime: number,
    readonly submissionTime: number,
  ) {}

  get numRecords(): number {
    let n = 0;
    for (const i of this.inputs) n += i.numRecords;
    return n;
  }

  toRecord(): BatchRecord {
    const start = this.processingStartTime;
    const end = this.processingEndTime;
    const scheduling = start === null ? null : start - this.submissionTime;
    const processing = start === null || end === null ? null : end - start;
    return {
      app: this.app,
      batchTime: this.batchTime,
      submissionTime: this.submissionTime,
      processingStartTime: start,
      processingEndTime: end,
      schedulingDelayMs: scheduling,
      processingDelayMs: processing,
      totalDelayMs: scheduling === null || processing === null ? null : scheduling + processing,
      numRecords: this.numRecords,
      outcome: this.outcome,
      inputs: this.inputs.map((i) => ({ ...i })),
      outputOperations: this.outputOperations.map((o) => ({ ...o })),
      tasks: { ...this.tasks },
    };
  }
}

/**
 * Upper bounds, in seconds, of the event-time lag histogram (sidestream_event_time_lag_seconds):
 * sub-second for a healthy pipeline, up to an hour for a backlog being replayed. A lag above the
 * last bound lands in +Inf; a negative lag (event time ahead of the clock) in the first bucket.
 */
export const EVENT_TIME_LAG_BUCKETS_SECONDS: readonly number[] = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];

/**
 * One input's event-time lag over one batch's records, bucketed by EVENT_TIME_LAG_BUCKETS_SECONDS
 * while the batch is assembled, so a metrics listener adds a whole batch at once. Posted with
 * onBatchEventTimeLag; deliberately not part of the batch record (not in JSON, `/api/batches`).
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

export interface EventTimeLagMeasure {
  readonly summary: EventTimeLagSummary;
  readonly bucketCounts: number[];
  readonly sumSeconds: number;
  readonly count: number;
}

/**
 * Exact summary of `processingStartMs - eventTime` over a batch's records (nearest-rank
 * percentiles). One sort per input per batch; nothing per record reaches a metric.
 */
export function summarizeEventTimeLag(
  processingStartMs: number,
  eventTimesMs: ArrayLike<number>,
): EventTimeLagSummary | null {
  return measureEventTimeLag(processingStartMs, eventTimesMs)?.summary ?? null;
}

/**
 * summarizeEventTimeLag plus the histogram bucket counts, from the same sorted array: one pass
 * over the sorted lags fills the buckets, so the cost per record is the sort's, not a search.
 */
export function measureEventTimeLag(
  processingStartMs: number,
  eventTimesMs: ArrayLike<number>,
): EventTimeLagMeasure | null {
  const n = eventTimesMs.length;
  if (n === 0) return null;
  const lags = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const lag = processingStartMs - eventTimesMs[i]!;
    lags[i] = lag;
    sum += lag;
  }
  lags.sort();
  const rank = (q: number) => lags[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  const bounds = EVENT_TIME_LAG_BUCKETS_SECONDS;
  const bucketCounts = new Array<number>(bounds.length + 1).fill(0);
  let i = 0;
  for (let b = 0; b < bounds.length; b++) {
    const boundMs = bounds[b]! * 1000;
    const from = i;
    while (i < n && lags[i]! <= boundMs) i++;
    bucketCounts[b] = i - from;
  }
  bucketCounts[bounds.length] = n - i;
  return {
    summary: { avg: sum / n, max: lags[n - 1]!, p50: rank(0.5), p99: rank(0.99) },
    bucketCounts,
    sumSeconds: sum / 1000,
    count: n,
  };
}
