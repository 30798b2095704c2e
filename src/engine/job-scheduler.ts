/**
 * JobScheduler: runs each submitted batch's jobs (one per output operation), one batch at a
 * time in batch-time order. A batch that becomes due while another runs waits in the queue, so
 * batches never overlap; that wait is the batch's scheduling delay.
 */
import type { Job } from '../dstream/dstream-graph.js';
import { type InputSource, MAX_TRACE_LINKS } from '../dstream/input-source.js';
import type { RDD } from '../dstream/rdd.js';
import { describeError } from '../errors.js';
import { measureEventTimeLag } from '../event-time-lag.js';
import type { InputRecord } from '../events/index.js';
import type { EventPoster } from '../events/streaming-listener.js';
import type { Clock } from '../time.js';
import type { RunningBatch } from './running-batch.js';
import type { TaskScheduler } from './task-scheduler.js';

export interface JobSet {
  readonly info: RunningBatch;
  readonly jobs: readonly Job[];
  /** Stateful streams' RDDs to compute fully once the jobs are done (DStreamSpec.materialize). */
  readonly state: readonly RDD<unknown>[];
  /** The batch's inputs: committed after success, released after the batch either way. */
  readonly inputs: readonly InputSource<unknown>[];
}

export interface JobSchedulerDeps {
  readonly clock: Clock;
  readonly bus: EventPoster;
  readonly tasks: TaskScheduler;
  /**
   * Called after a batch's jobs are done; `failure` is the first failed job's error, `recovered`
   * whether an input took charge of it (InputSource.recover). The next batch starts only once
   * a returned promise settles: that is how a metadata checkpoint of this batch is durable
   * before any later batch commits anything.
   */
  onBatchDone(info: RunningBatch, failure: unknown, recovered: boolean): void | Promise<void>;
}

export class JobScheduler {
  private readonly queue: JobSet[] = [];
  private running: JobSet | undefined;
  private loop: Promise<void> | undefined;
  private halted = false;

  constructor(private readonly deps: JobSchedulerDeps) {}

  /** Batches submitted but not started. */
  get waiting(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.running !== undefined || this.queue.length > 0;
  }

  submit(set: JobSet): void {
    // After halt() nothing more runs: the batch is regenerated on recovery.
    if (this.halted) return;
    this.queue.push(set);
    this.deps.bus.post('onBatchSubmitted', set.info.toRecord());
    this.loop ??= this.runQueue();
  }

  /** Drops batches that have not started (a non-graceful stop); returns their times. */
  discardQueued(): number[] {
    return this.queue.splice(0).map((s) => s.info.batchTime);
  }

  /** Batch times submitted but not started, oldest first. */
  queuedTimes(): number[] {
    return this.queue.map((s) => s.info.batchTime);
  }

  /**
   * Stops at once and for good: queued batches are dropped and later submissions ignored, so
   * nothing after the running batch commits (a checkpoint that could not be written).
   */
  halt(): void {
    this.halted = true;
    this.queue.splice(0);
  }

  /** Resolves once no batch is running or queued. */
  async whenIdle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private async runQueue(): Promise<void> {
    // Yield once so `this.loop` is assigned before the loop can end.
    await Promise.resolve();
    try {
      for (let set = this.queue.shift(); set; set = this.queue.shift()) {
        this.running = set;
        try {
          await this.runBatch(set);
        } finally {
          this.running = undefined;
        }
      }
    } finally {
      // In the same step as the last empty shift(): a batch submitted from here on starts a new
      // loop (clearing it in a later .finally() left a window where one was queued and never run).
      this.loop = undefined;
    }
  }

  private async runBatch({ info, jobs, state, inputs }: JobSet): Promise<void> {
    const { clock, bus, tasks } = this.deps;
    const start = clock.now();
    info.processingStartTime = start;
    const eventTimes = info.pendingEventTimes;
    info.inputs = info.inputs.map((input, i) => {
      const times = eventTimes[i];
      return times && typeof times !== 'function' ? withEventTimeLag(info, input, start, times) : input;
    });
    info.pendingEventTimes = [];
    tasks.currentBatch = info;
    bus.post('onBatchStarted', info.toRecord());
    let failure: unknown;
    for (const job of jobs) {
      const op = {
        id: job.outputOpId,
        name: job.name,
        startTime: clock.now(),
        endTime: null as number | null,
        failureReason: null as string | null,
      };
      info.outputOperations.push(op);
      bus.post('onOutputOperationStarted', info.batchTime, { ...op });
      try {
        await job.run();
      } catch (error) {
        op.failureReason = describeError(error);
        failure ??= error;
      }
      op.endTime = clock.now();
      bus.post('onOutputOperationCompleted', info.batchTime, { ...op });
    }
    // Inputs that learn their records' event times while the tasks read them (direct Kafka).
    info.inputs = info.inputs.map((input, i) => {
      const times = eventTimes[i];
      if (typeof times !== 'function') return input;
      const known = times();
      return known ? withEventTimeLag(info, input, start, known) : input;
    });
    this.postTraceContext(info);
    for (const rdd of state) {
      try {
        await rdd.materialize('materialize state');
      } catch (error) {
        // Not an output operation, but the batch failed all the same: the state did not advance.
        info.outputOperations.push({
          id: -1,
          name: 'materializeState',
          startTime: null,
          endTime: clock.now(),
          failureReason: describeError(error),
        });
        failure ??= error;
      }
    }
    if (failure === undefined) {
      for (const input of inputs) {
        try {
          await input.commit?.(info.batchTime);
        } catch (error) {
          info.outputOperations.push({
            id: -2,
            name: 'commitInput',
            startTime: null,
            endTime: clock.now(),
            failureReason: `committing ${input.name}: ${describeError(error)}`,
          });
          failure ??= error;
        }
      }
    }
    let recovered = false;
    if (failure !== undefined) {
      for (const input of inputs) {
        try {
          if (await input.recover?.(info.batchTime, failure)) recovered = true;
        } catch {
          // A source that cannot recover leaves the failure to the policy.
        }
      }
    }
    for (const input of inputs) {
      try {
        input.release?.(info.batchTime);
      } catch {
        // Releasing memory early is an optimisation; the batch's result does not depend on it.
      }
    }
    tasks.currentBatch = undefined;
    info.processingEndTime = clock.now();
    info.outcome = failure === undefined ? 'succeeded' : 'failed';
    if (info.eventTimeLagHistograms.length > 0) {
      bus.post('onBatchEventTimeLag', info.batchTime, info.eventTimeLagHistograms);
    }
    await this.deps.onBatchDone(info, failure, recovered);
  }

  /** Gathers at most MAX_TRACE_LINKS distinct traceparents over the inputs; one post per batch. */
  private postTraceContext(info: RunningBatch): void {
    const traceparents: string[] = [];
    for (const pending of info.pendingTraceparents) {
      const found = typeof pending === 'function' ? pending() : pending;
      if (!found) continue;
      for (const tp of found) {
        if (traceparents.length >= MAX_TRACE_LINKS) break;
        if (!traceparents.includes(tp)) traceparents.push(tp);
      }
    }
    info.pendingTraceparents = [];
    if (traceparents.length === 0 && info.consumerGroups.length === 0) return;
    this.deps.bus.post('onBatchTraceContext', info.batchTime, {
      traceparents,
      consumerGroups: info.consumerGroups,
    });
  }
}

/**
 * The input with its event-time lag summary; the same pass buckets the lags for the lag histogram,
 * kept on the RunningBatch (outside the record) until the batch is done.
 */
function withEventTimeLag(
  info: RunningBatch,
  input: InputRecord,
  start: number,
  times: ArrayLike<number>,
): InputRecord {
  const measured = measureEventTimeLag(start, times);
  if (!measured) return { ...input, eventTimeLagMs: null };
  info.eventTimeLagHistograms.push({
    streamId: input.streamId,
    name: input.name,
    bucketCounts: measured.bucketCounts,
    sumSeconds: measured.sumSeconds,
    count: measured.count,
  });
  return { ...input, eventTimeLagMs: measured.summary };
}
