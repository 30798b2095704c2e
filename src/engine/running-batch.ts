/**
 * RunningBatch: the batch the engine is working on, mutable while it is generated, queued, run
 * and committed (with Spark's JobSet it is what the scheduler holds). Listeners never see it:
 * they get immutable snapshots of it, BatchRecord (events/batch-events.ts, Spark's BatchInfo).
 */
import type {
  BatchOutcome,
  BatchRecord,
  EventTimeLagHistogram,
  InputRecord,
} from '../events/batch-events.js';

/** What an input's event times are while the batch waits: values, or a read after the tasks. */
export type PendingEventTimes = ArrayLike<number> | (() => ArrayLike<number> | undefined) | undefined;

/** What an input's trace parents are while the batch waits: values, or a read after the tasks. */
export type PendingTraceparents = readonly string[] | (() => readonly string[] | undefined) | undefined;

export class RunningBatch {
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
  pendingEventTimes: PendingEventTimes[] = [];
  /** Per input: trace parents of its records (or how to get them after the jobs), for tracing. */
  pendingTraceparents: PendingTraceparents[] = [];
  /** Consumer groups of the inputs that have one, for tracing. */
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

  /**
   * Batch time to submission: how long capturing the inputs and building the jobs took (a direct
   * stream's planning waiting on a slow broker shows here). Not one of Spark's delays: scheduling
   * is measured from submission, so this is the part of a batch's lateness they do not see.
   */
  get generationDelayMs(): number {
    return this.submissionTime - this.batchTime;
  }

  /**
   * The immutable record of the batch as it stands; Spark's delays derived as Spark's BatchInfo
   * derives them, the generation delay beside them.
   */
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
      generationDelayMs: this.generationDelayMs,
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
