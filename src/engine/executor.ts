/**
 * The Executor seam: the scheduler hands every task attempt to an Executor and never runs a task
 * body itself. InProcessExecutor runs it on the main thread; the worker-thread pool
 * (executors/worker-pool-executor.ts) uses the descriptor's ids to rebuild the work in a worker,
 * the body being the in-process shortcut.
 */

import type { LineageId, RddShape, RemoteInput, RemoteOp, RemoteSideOutput } from '../dstream/task-runner.js';

/**
 * One user-metric update made by job code running in an executor worker, replayed on the
 * driver's metric of the same name (docs/design/executors.md): labels are the caller's. Defined
 * here, at the seam; the user metrics API (telemetry/user-metrics.ts) records and replays them.
 */
export interface RemoteMetricOp {
  readonly name: string;
  readonly op: 'inc' | 'set' | 'dec' | 'observe';
  readonly labels: Readonly<Partial<Record<string, string | number>>>;
  readonly value: number;
}

/** Where an executor replays the user-metric updates job code made in its workers. */
export interface RemoteMetricsSink {
  applyRemote(ops: readonly RemoteMetricOp[]): void;
}

/**
 * What a worker needs to compute a task without the driver's closures: the RDD's stable
 * identity, what to compute, and (driver side, called per attempt) the data to ship.
 */
export interface RemoteTask {
  readonly op: RemoteOp;
  readonly rdd: LineageId;
  readonly shape: RddShape;
  readonly shuffleIndex?: number;
  /** Undefined when the lineage cannot be rebuilt in a worker: run the body in-process. */
  inputs(): RemoteInput[] | undefined;
  /** After the worker succeeded: its input reads' side outputs, for the driver's input RDDs. */
  acceptSideOutputs(outputs: readonly RemoteSideOutput[]): Promise<void>;
}

/**
 * The `name` of the error a worker reports when the RDD it regenerated is not the driver's (a
 * stream whose compute depends on earlier batches it cannot rebuild): the task then runs
 * in-process; it is not a task failure.
 */
export const LINEAGE_MISMATCH = 'LineageMismatchError';

export interface TaskDescriptor {
  readonly taskId: number;
  readonly batchTime: number | null;
  readonly stage: string;
  readonly rddId: number;
  readonly partition: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Present when the task may run in a worker thread (see RemoteTask). */
  readonly remote?: RemoteTask;
}

export interface Executor {
  /** How many tasks the scheduler may hand over at once. */
  readonly parallelism: number;
  /** True when tasks read their inputs themselves (InputSource.remoteRead), off the driver. */
  readonly readsInputs?: boolean;
  /** Runs one task attempt; rejects with whatever the task threw. */
  run<R>(task: TaskDescriptor, body: () => R | Promise<R>): Promise<R>;
  close(): Promise<void>;
  /**
   * Executors that run user code elsewhere (worker threads): where to replay the user-metric
   * updates that code made, so `ssc.metrics` counts the same as in-process.
   */
  attachUserMetrics?(metrics: RemoteMetricsSink): void;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs tasks on the main thread, one at a time, yielding to the event loop before each so timers
 * (the next batch's generation), HTTP probes and signals are served between tasks.
 */
export class InProcessExecutor implements Executor {
  readonly parallelism = 1;

  async run<R>(_task: TaskDescriptor, body: () => R | Promise<R>): Promise<R> {
    await yieldToEventLoop();
    return body();
  }

  async close(): Promise<void> {}
}
