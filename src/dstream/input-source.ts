/**
 * The plug-in point for inputs. A source captures one batch's data when the JobGenerator asks
 * for it (in batch-time order, before the graph generates that batch's RDDs), which is what
 * makes a batch's input fixed at generation time, as Spark allocates blocks to a batch.
 */
import type { Clock } from '../time.js';
import type { OffsetRange, RDD, RddEnv } from './rdd.js';

export interface InputBatch<T> {
  readonly rdd: RDD<T>;
  readonly numRecords: number;
  /** Event time (epoch ms) of each record, when the source knows it: feeds event-time lag. */
  readonly eventTimesMs?: ArrayLike<number>;
  /** Kafka direct streams: the ranges this batch reads. */
  readonly offsetRanges?: readonly OffsetRange[];
}

/** Receiver lifecycle notifications a source passes to the listener bus. */
export interface ReceiverReporter {
  started(): void;
  error(message: string, error?: unknown): void;
  stopped(reason: string): void;
}

export interface InputContext {
  readonly streamId: number;
  readonly batchIntervalMs: number;
  readonly defaultParallelism: number;
  readonly rddEnv: RddEnv;
  readonly clock: Clock;
  readonly receiver: ReceiverReporter;
}

export interface InputSource<T> {
  /** Shown in batch records, e.g. `queue`, `generator`, `socket:127.0.0.1:9999`. */
  readonly name: string;
  /** Called once when the context starts. Must not block waiting for data. */
  start(ctx: InputContext): void | Promise<void>;
  /** This batch's data. Called once per batch time, in increasing order. */
  generate(batchTimeMs: number): InputBatch<T> | Promise<InputBatch<T>>;
  /** Called once when the context stops; must be safe to call after a failed start. */
  stop(): void | Promise<void>;
  /** False while the source is not connected to its upstream; readiness waits for true. */
  readonly connected?: boolean;
}
