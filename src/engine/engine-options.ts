/**
 * The engine's options (the part of StreamingContextOptions the engine itself reads) and their
 * validation: every value is checked once, here, with an error that names the option and a fix.
 */
import { availableParallelism } from 'node:os';
import { SidestreamError } from '../errors.js';
import type { JobIdentity } from '../state/checkpoint-store.js';
import type { FsyncPolicy } from '../state/write-ahead-log.js';
import { type Clock, MAX_TIMER_DELAY_MS, SystemClock } from '../time.js';
import { type Executor, InProcessExecutor } from './executor.js';

export type BatchFailurePolicy = 'stop' | 'continue';

export interface EngineOptions {
  appName: string;
  /** Batch interval in milliseconds: a positive whole number, at most 2^31-1 (Node's longest timer). */
  batchIntervalMs: number;
  /**
   * Enables metadata checkpoints (docs/checkpoints.md): after completed batches the graph's
   * state goes to `<checkpointDir>/checkpoints/`, and StreamingContext.getOrCreate recovers
   * from it. Direct Kafka streams keep their offset log here too.
   */
  checkpointDir?: string | undefined;
  /**
   * How often a checkpoint is written: a multiple of the batch interval; default the batch
   * interval (one per completed batch, as Spark). Recovery re-runs the completed batches after
   * the last checkpoint, so a longer interval means more re-run (at-least-once) outputs.
   */
  checkpointIntervalMs?: number;
  /** Checkpoint files kept (the newest N); default 10. Older ones are the fallback when the newest is damaged. */
  checkpointsRetained?: number;
  /** The job that declares this graph (the agent passes the module path and its sha256). */
  job?: JobIdentity;
  /** Resolved configuration recorded in each checkpoint for diagnosis (never read back). */
  configSnapshot?: Readonly<Record<string, unknown>>;
  /** Recover even when the checkpoint was written by a job with another hash (what matches is restored). */
  allowJobChange?: boolean;
  /** Attempts per task before its output operation fails; default 4 (Spark's default). */
  maxTaskFailures?: number;
  /**
   * What a failed batch does: 'stop' (default) stops the context and awaitTermination() rejects
   * with the failure, as Spark surfaces a job error; 'continue' records it and goes on.
   */
  onBatchFailure?: BatchFailurePolicy;
  /** Partitions for inputs and shuffles when none is given; default: the machine's cores. */
  defaultParallelism?: number;
  /** Completed batch records kept for recentBatches() and GET /api/batches; default 1000. */
  retainedBatches?: number;
  clock?: Clock;
  executor?: Executor;
  /**
   * Internal, for executor worker threads: keep every stream-generated RDD by its lineage key
   * so a task can find the RDD it computes (see docs/design/executors.md).
   */
  lineageRegistry?: boolean;
  /** Where print() writes; default process.stdout. */
  output?: (text: string) => void;
  /**
   * The receivers' write-ahead logs (on when `checkpointDir` is set): the fsync policy, default
   * `{ mode: 'always' }` (see FsyncPolicy for what each mode risks), and the segment roll interval.
   */
  writeAheadLog?: { fsync?: FsyncPolicy; rollIntervalMs?: number };
}

/** EngineOptions checked, with every default applied. */
export interface EngineSettings {
  readonly appName: string;
  readonly batchIntervalMs: number;
  readonly checkpointDir: string | undefined;
  readonly checkpointIntervalMs: number;
  readonly checkpointsRetained: number | undefined;
  readonly job: JobIdentity | undefined;
  readonly configSnapshot: Readonly<Record<string, unknown>> | undefined;
  readonly allowJobChange: boolean;
  readonly maxTaskFailures: number;
  readonly onBatchFailure: BatchFailurePolicy;
  readonly defaultParallelism: number;
  readonly retainedBatches: number;
  readonly clock: Clock;
  readonly executor: Executor;
  readonly lineageRegistry: boolean;
  readonly output: (text: string) => void;
  readonly writeAheadLog: { readonly fsync?: FsyncPolicy; readonly rollIntervalMs?: number };
}

export function engineSettings(options: EngineOptions): EngineSettings {
  const interval = options.batchIntervalMs;
  if (!Number.isInteger(interval) || interval <= 0) {
    throw new SidestreamError(
      'SS_BATCH_INTERVAL_INVALID',
      `batch interval must be a positive whole number of milliseconds (got ${interval}); for example 1000 for 1s`,
    );
  }
  if (interval > MAX_TIMER_DELAY_MS) {
    // The job generator's timer would overflow and fire every millisecond instead.
    throw new SidestreamError(
      'SS_BATCH_INTERVAL_INVALID',
      `batch interval must be at most ${MAX_TIMER_DELAY_MS} ms (24.8 days, the longest wait Node's timers accept; got ${interval}); for example 1000 for 1s`,
    );
  }
  const maxTaskFailures = options.maxTaskFailures ?? 4;
  if (!Number.isInteger(maxTaskFailures) || maxTaskFailures < 1) {
    throw new SidestreamError(
      'SS_CONFIG_INVALID',
      `maxTaskFailures must be a whole number >= 1 (got ${maxTaskFailures})`,
    );
  }
  if (!options.appName || /\s/.test(options.appName)) {
    throw new SidestreamError(
      'SS_CONFIG_INVALID',
      `appName must be a non-empty name without spaces (got '${options.appName}')`,
    );
  }
  const checkpointInterval = options.checkpointIntervalMs ?? interval;
  if (
    !Number.isInteger(checkpointInterval) ||
    checkpointInterval <= 0 ||
    checkpointInterval % interval !== 0
  ) {
    throw new SidestreamError(
      'SS_CONFIG_INVALID',
      `checkpointIntervalMs must be a positive multiple of the batch interval ${interval} ms (got ${checkpointInterval}); for example ${interval * 10}`,
    );
  }
  return {
    appName: options.appName,
    batchIntervalMs: interval,
    checkpointDir: options.checkpointDir,
    checkpointIntervalMs: checkpointInterval,
    checkpointsRetained: options.checkpointsRetained,
    job: options.job,
    configSnapshot: options.configSnapshot,
    allowJobChange: options.allowJobChange ?? false,
    maxTaskFailures,
    onBatchFailure: options.onBatchFailure ?? 'stop',
    defaultParallelism: Math.max(1, options.defaultParallelism ?? availableParallelism()),
    retainedBatches: options.retainedBatches ?? 1000,
    clock: options.clock ?? new SystemClock(),
    executor: options.executor ?? new InProcessExecutor(),
    lineageRegistry: options.lineageRegistry ?? false,
    output: options.output ?? ((text) => process.stdout.write(text)),
    writeAheadLog: options.writeAheadLog ?? {},
  };
}
