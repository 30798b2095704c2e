/**
 * The plug-in point for inputs. A source captures one batch's data when the JobGenerator asks
 * for it (in batch-time order, before the graph generates that batch's RDDs), which is what
 * makes a batch's input fixed at generation time, as Spark allocates blocks to a batch.
 */
import type { InputMetadata } from '../events/batch-events.js';
import type { WalKind } from '../events/durability-events.js';
import type { SourceEvent } from '../events/input-events.js';
import type { EventPoster } from '../events/streaming-listener.js';
import type { WriteAheadLog } from '../state/write-ahead-log.js';
import type { Clock } from '../time.js';
import type { RDD, RddEnv } from './rdd.js';

/**
 * Event times that are only known once the batch's tasks have read its records (a direct Kafka
 * stream reads at processing time): called after the batch's jobs, measured against the same
 * processing start time.
 */
export type EventTimesAfterRun = () => ArrayLike<number> | undefined;

export interface InputBatch<T> {
  readonly rdd: RDD<T>;
  readonly numRecords: number;
  /** Event time (epoch ms) of each record, when the source knows it: feeds event-time lag. */
  readonly eventTimesMs?: ArrayLike<number> | EventTimesAfterRun;
  /**
   * What else the batch record should say about this input (Spark's StreamInputInfo metadata):
   * the positions it reads, its consumer lag. The engine copies it into the record unread.
   */
  readonly metadata?: InputMetadata;
  /**
   * W3C `traceparent` values of some of the batch's records (Kafka headers), at most
   * MAX_TRACE_LINKS: the batch span links to them. A function when the records are only read
   * by the batch's tasks (direct Kafka): called after the jobs ran.
   */
  readonly traceparents?: readonly string[] | (() => readonly string[] | undefined);
  /** The consumer group a messaging input reads as, for tracing's messaging attributes. */
  readonly consumerGroup?: string;
}

/** Most trace links one batch span carries: links are sampled, not one per record. */
export const MAX_TRACE_LINKS = 32;

/**
 * The first MAX_TRACE_LINKS distinct `headers.traceparent` strings of `records` (any record
 * shape: objects without string headers are skipped). Stops scanning once the bound is reached.
 */
export function collectTraceparents(records: ArrayLike<unknown>): string[] | undefined {
  let out: string[] | undefined;
  for (let i = 0; i < records.length; i++) {
    const headers = (records[i] as { headers?: Record<string, unknown> } | null)?.headers;
    const tp = headers?.traceparent;
    if (typeof tp !== 'string') continue;
    out ??= [];
    if (!out.includes(tp)) out.push(tp);
    if (out.length >= MAX_TRACE_LINKS) break;
  }
  return out;
}

export interface InputContext {
  /**
   * The listener bus: inputs post their events on it directly (receivers their lifecycle and
   * blocks, every input its SourceEvents through `report`).
   */
  readonly events: EventPoster;
  /** Posts one input event (a failure, a rejected record, a rebalance...): `events.post('onSourceEvent', event)`. */
  report(event: SourceEvent): void;
  readonly streamId: number;
  readonly batchIntervalMs: number;
  readonly defaultParallelism: number;
  readonly rddEnv: RddEnv;
  readonly clock: Clock;
  /**
   * Opens (recovering) a write-ahead log under the context's checkpoint directory, at
   * `<checkpointDir>/<relativeDir>`; the log posts its writes and failures on the bus as `kind`.
   * `options.readPastDamage`: recovery reads on after a damaged record (see
   * FileWriteAheadLogOptions; only for logs whose records cannot contain a frame).
   * Absent when the context has no checkpoint directory: nothing can be made durable then.
   */
  readonly openWriteAheadLog?: (
    relativeDir: string,
    kind: WalKind,
    options?: { readonly readPastDamage?: boolean },
  ) => Promise<WriteAheadLog>;
  /**
   * Set when the context resumes from a metadata checkpoint: the batch time it describes. Every
   * batch after it is generated again (recoveredBatchTimes, pending and down times), so a source
   * with a durable log of its input must replay what it logged for batches after this time,
   * committed or not: the checkpointed state does not include them.
   */
  readonly recoveringFromCheckpointMs?: number;
  /**
   * True when the context's tasks run in executor workers that read inputs themselves
   * (InputSource.remoteRead): a source that would otherwise fetch everything on the driver
   * ahead of the tasks (the Kafka group consumer) fetches nothing there and reads on demand.
   */
  readonly executorsReadInputs?: boolean;
}

/** What InputSource.remoteRead returns in an executor worker. */
export interface RemoteReadRdd<T> {
  readonly rdd: RDD<T>;
  /** After the task: what the reads of each partition produced for the driver (RemoteRead.accept). */
  sideOutputs(): { partition: number; data: unknown }[];
}

export interface InputSource<T> {
  /** Shown in batch records, e.g. `queue`, `generator`, `socket:127.0.0.1:9999`. */
  readonly name: string;
  /**
   * Executor workers (docs/executors.md): an RDD of `numPartitions` partitions that this copy of the
   * source (declared by the worker's graph, never started) reads itself, each partition as
   * `reads[p]` describes (the driver RDD's RemoteRead.describe). Sources whose data only the
   * driver holds do not implement it.
   */
  remoteRead?(env: RddEnv, numPartitions: number, reads: Readonly<Record<number, unknown>>): RemoteReadRdd<T>;
  /** Called once when the context starts. Must not block waiting for data. */
  start(ctx: InputContext): void | Promise<void>;
  /** This batch's data. Called once per batch time, in increasing order. */
  generate(batchTimeMs: number): InputBatch<T> | Promise<InputBatch<T>>;
  /**
   * Called after every output operation of the batch succeeded, before the batch counts as
   * completed: the place to make the batch's consumption durable (offset log commit entry,
   * offsets committed upstream). A throw fails the batch.
   */
  commit?(batchTimeMs: number): Promise<void> | void;
  /**
   * Graceful stop, first step: stop taking in new data but keep what was already received for
   * the batches still to be generated (receivers). Sources that read on demand need nothing.
   */
  stopReceiving?(): void | Promise<void>;
  /**
   * Called when the batch failed, before the failure policy applies. Returning true means the
   * source understands the failure and has arranged to re-plan what the batch would have
   * consumed (a rebalance, a sink whose offsets moved): the batch stays recorded as failed but
   * does not stop the context.
   */
  recover?(batchTimeMs: number, error: unknown): boolean | Promise<boolean>;
  /** Called once the batch is over, succeeded or not: its input may be dropped from memory. */
  release?(batchTimeMs: number): void;
  /**
   * Driver recovery: batch times whose input this source logged durably before a crash but
   * which never completed (a direct stream's planned-but-uncommitted offset ranges, a receiver
   * stream's allocated-but-unfinished blocks). Asked once after start(); the context generates
   * these times again (with the checkpoint's pending times and the down time) and the source
   * must give each of them exactly the input it logged for it.
   */
  recoveredBatchTimes?(): readonly number[];
  /**
   * A metadata checkpoint for `batchTimeMs` is durable: input logged for batches at or before
   * `cleanBeforeMs` is no longer needed for recovery (write-ahead log segments, journal
   * entries, offset log entries may go).
   */
  checkpointed?(batchTimeMs: number, cleanBeforeMs: number): void | Promise<void>;
  /** Called once when the context stops; must be safe to call after a failed start. */
  stop(): void | Promise<void>;
  /** False while the source is not connected to its upstream; readiness waits for true. */
  readonly connected?: boolean;
  /**
   * Clock time (epoch ms) the source last heard from its upstream (a broker's answer, bytes on a
   * socket, a file stat): what `sidestream_input_last_response_timestamp_seconds` exports. Absent
   * for inputs without an upstream (queues, generators) and before the first answer (a getter
   * may say so with undefined).
   */
  readonly lastResponseMs?: number | undefined;
  /** Why the source is not connected, when `connected` is false (shown by /readyz and /api/status). */
  readonly disconnectedReason?: string | undefined;
}
