/**
 * Driver recovery arithmetic (Spark's JobGenerator.restart and Checkpoint validation), pure: is a
 * checkpoint compatible with the context about to resume from it, and which batch times must be
 * generated again before the timer's first one. No I/O, no clock: the caller passes `nowMs`.
 */
import { SidestreamError } from '../errors.js';
import type {
  CheckpointData,
  JobIdentity,
  ReadCheckpoint,
  SkippedCheckpoint,
} from '../state/checkpoint-store.js';

/** What a recovery from a checkpoint did; set once start() has rescheduled the batches. */
export interface RecoveryReport {
  readonly checkpointFile: string;
  /** The completed batch the checkpoint describes. */
  readonly checkpointTimeMs: number;
  /** Newer checkpoint files that could not be used, and why. */
  readonly skipped: readonly SkippedCheckpoint[];
  /** Batches generated but not completed when the checkpoint was taken (or logged by an input). */
  readonly pendingTimesMs: readonly number[];
  /** Batch times that fell due while the context was down. */
  readonly downTimesMs: readonly number[];
  /** Every batch time generated again before the timer's first one, in order. */
  readonly rescheduledTimesMs: readonly number[];
  /** Stream keys (`<index>:<operator>`) whose remembered RDDs were restored. */
  readonly restoredStreams: readonly string[];
  /** Checkpointed streams the current graph does not have (a changed job): dropped. */
  readonly droppedStreams: readonly string[];
  /** Streams of the current graph with nothing in the checkpoint: they start empty. */
  readonly emptyStreams: readonly string[];
  /** True when the job's hash differed and allowJobChange accepted it. */
  readonly jobChanged: boolean;
}

/** What a context must share with the checkpoint it resumes from. */
export interface RecoverableSettings {
  readonly appName: string;
  readonly batchIntervalMs: number;
  readonly defaultParallelism: number;
  readonly job: JobIdentity | undefined;
}

/**
 * Throws SS_CHECKPOINT_INCOMPATIBLE when the checkpoint was written with another app name, batch
 * interval or default parallelism, and SS_JOB_CHANGED when the job's hash differs and
 * `allowJobChange` is false. Returns whether the job changed (and was allowed to).
 */
export function checkRecoverable(
  found: ReadCheckpoint,
  settings: RecoverableSettings,
  allowJobChange: boolean,
): { readonly jobChanged: boolean } {
  const data = found.data;
  const mismatch = (what: string, was: unknown, now: unknown) =>
    new SidestreamError(
      'SS_CHECKPOINT_INCOMPATIBLE',
      `checkpoint ${found.file} was written with ${what} ${String(was)} but the context has ${String(now)}; ` +
        `start with ${what} ${String(was)}, or point checkpointDir at a new directory (state starts empty)`,
    );
  if (data.appName !== settings.appName) throw mismatch('app name', data.appName, settings.appName);
  if (data.batchIntervalMs !== settings.batchIntervalMs)
    throw mismatch('batch interval (ms)', data.batchIntervalMs, settings.batchIntervalMs);
  // State partitions are keyed by hash modulo the partition count: another count would misplace keys.
  if (data.defaultParallelism !== settings.defaultParallelism)
    throw mismatch('defaultParallelism', data.defaultParallelism, settings.defaultParallelism);
  const job = settings.job;
  if (data.job && job && data.job.sha256 !== job.sha256) {
    if (!allowJobChange) {
      throw new SidestreamError(
        'SS_JOB_CHANGED',
        `job ${job.path} (sha256 ${job.sha256.slice(0, 12)}) differs from the job that wrote checkpoint ` +
          `${found.file} (${data.job.path}, sha256 ${data.job.sha256.slice(0, 12)}); restart with --allow-job-change ` +
          '(SIDESTREAM_ALLOW_JOB_CHANGE=true) to restore what still matches, or use a new checkpoint directory',
      );
    }
    return { jobChanged: true };
  }
  return { jobChanged: false };
}

export interface RestartTimes {
  /** The checkpoint's pending batches and the ones inputs logged, after the checkpoint, in order. */
  readonly pendingTimesMs: readonly number[];
  /** Batch times that fell due while the context was down and are not pending. */
  readonly downTimesMs: readonly number[];
  /** Every batch time to generate again, in order: pending and down times together. */
  readonly rescheduledTimesMs: readonly number[];
}

/**
 * The batches to generate again: the checkpoint's pending ones, the ones inputs logged durably
 * but never completed (`loggedByInputs`), and every batch time that fell due while the context
 * was down; all on the checkpoint's time grid, after its batch and before the timer's next one.
 */
export function restartTimes(
  data: Pick<CheckpointData, 'batchTimeMs' | 'zeroTimeMs' | 'pendingTimesMs'>,
  nowMs: number,
  batchIntervalMs: number,
  loggedByInputs: readonly number[],
): RestartTimes {
  const interval = batchIntervalMs;
  const next = (Math.floor(nowMs / interval) + 1) * interval;
  const after = (t: number) => t > data.batchTimeMs && t < next && (t - data.zeroTimeMs) % interval === 0;
  const down: number[] = [];
  for (let t = data.batchTimeMs + interval; t < next; t += interval) down.push(t);
  const byTime = (a: number, b: number) => a - b;
  const pending = [...new Set([...data.pendingTimesMs, ...loggedByInputs])].filter(after).sort(byTime);
  const times = [...new Set([...pending, ...down])].filter(after).sort(byTime);
  return {
    pendingTimesMs: pending,
    downTimesMs: down.filter((t) => !pending.includes(t)),
    rescheduledTimesMs: times,
  };
}
