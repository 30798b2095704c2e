/**
 * The one catalogue of coded errors. Every error sidestream raises on purpose is a SidestreamError
 * with a code from ERROR_CODES; the message says what went wrong AND what to do about it.
 *
 * Each code has one remedy, and it alone decides what a caller does about the error:
 * - `retry`: the same thing, done again unchanged, can succeed (a connection, a disk that frees
 *   up); the engine retries a task that threw it, and `retriable` is true for these codes only;
 * - `replan`: the batch must be planned again from its input's positions, never retried as is
 *   (another agent took the partition, or wrote first): the input re-plans (InputSource.recover);
 * - `stop`: nothing changes until a person changes the command, the configuration, the job or the
 *   machine; the engine fails at once, without retrying.
 * docs/errors.md documents every code (a test keeps the two in step).
 */

/** What to do about an error: try again, plan the batch again, or stop for a person to act. */
export type ErrorRemedy = 'retry' | 'replan' | 'stop';

/** A catalogue entry; `retriable` is `remedy === 'retry'`, kept for callers that test it. */
function entry<R extends ErrorRemedy, S extends string>(
  remedy: R,
  summary: S,
): { readonly remedy: R; readonly retriable: R extends 'retry' ? true : false; readonly summary: S } {
  return { remedy, retriable: (remedy === 'retry') as R extends 'retry' ? true : false, summary };
}

export const ERROR_CODES = {
  SS_USAGE: entry('stop', 'A command-line flag or argument is missing, unknown or malformed.'),
  SS_CONFIG_INVALID: entry(
    'stop',
    'A configuration value is invalid; the message names the field and the fix.',
  ),
  SS_JOB_NOT_FOUND: entry('stop', 'The job module path does not exist or cannot be read.'),
  SS_JOB_NO_DEFAULT_EXPORT: entry(
    'stop',
    'The job module does not default-export a function that declares the graph.',
  ),
  SS_JOB_LOAD_FAILED: entry(
    'stop',
    'The job module threw while being imported or while declaring its graph.',
  ),
  SS_JOB_LOAD_TIMEOUT: entry(
    'stop',
    'The job module did not finish loading, or its job function did not finish declaring the graph, within the job load timeout.',
  ),
  SS_BATCH_INTERVAL_INVALID: entry(
    'stop',
    'The batch interval is not a positive whole number of milliseconds.',
  ),
  SS_WINDOW_NOT_MULTIPLE: entry(
    'stop',
    "A window length or slide is not a positive multiple of the parent stream's slide (the batch interval).",
  ),
  SS_CONTEXT_STATE: entry(
    'stop',
    "An operation is not allowed in the context's current state (for example adding a stream after start).",
  ),
  SS_NO_OUTPUT_OPERATIONS: entry(
    'stop',
    'The graph has no output operation, so there would be nothing to run.',
  ),
  SS_TASK_FAILED: entry(
    'stop',
    'A task threw on every one of its maxTaskFailures attempts; the output operation that ran it fails.',
  ),
  SS_SLIDE_MISMATCH: entry('stop', 'Streams combined with union or join must have the same slide duration.'),
  SS_BATCH_FAILED: entry(
    'stop',
    'An output operation of a batch failed after its tasks exhausted their retries.',
  ),
  SS_STOP_TIMEOUT: entry(
    'stop',
    'A graceful stop did not drain the in-flight batches within its time limit.',
  ),
  SS_SOURCE_FAILED: entry('retry', 'An input source failed while producing a batch.'),
  SS_HTTP_BIND_FAILED: entry(
    'stop',
    'The agent could not listen on its HTTP address (in use, or not allowed).',
  ),
  SS_AGENT_UNREACHABLE: entry(
    'retry',
    "A command that talks to a running agent (status) could not reach the agent's HTTP API.",
  ),
  SS_CHECKPOINT_DIR_UNUSABLE: entry(
    'stop',
    'The checkpoint directory (offset log, checkpoints) cannot be created or written.',
  ),
  SS_OFFSET_LOG_CORRUPT: entry(
    'stop',
    'An offset log entry cannot be read or has an unknown format; the message names the file.',
  ),
  SS_SINK_OFFSET_CONFLICT: entry(
    'replan',
    "A transactional sink's stored offsets match neither the batch's from- nor its until-offsets; nothing was written.",
  ),
  SS_PARTITION_REVOKED: entry(
    'replan',
    'A rebalance moved a partition to another agent before its planned range was read; the batch is re-planned.',
  ),
  SS_METRIC_INVALID: entry(
    'stop',
    'A user metric (ssc.metrics.counter/gauge/histogram) has an invalid or reserved name, label or buckets, or its name is taken; or an update (inc/dec/set/observe) was called with arguments it does not take.',
  ),
  SS_RESTART_BUDGET_EXHAUSTED: entry(
    'stop',
    'Under --supervise the agent crashed more often than the restart budget allows within its window; the supervisor gave up.',
  ),
  SS_WAL_WRITE_FAILED: entry(
    'retry',
    'A write-ahead log append (or its fsync) failed after its bounded retries; nothing that depended on it was acknowledged.',
  ),
  SS_WAL_FORMAT_UNKNOWN: entry(
    'stop',
    'A write-ahead log segment (or a receiver data record) was written by an unknown format version (a newer sidestream?); the message names the file.',
  ),
  SS_CHECKPOINT_CORRUPT: entry(
    'stop',
    'No checkpoint in the checkpoint directory can be read (every candidate is corrupt or of an unknown format).',
  ),
  SS_CHECKPOINT_WRITE_FAILED: entry(
    'stop',
    'A metadata checkpoint could not be written (disk full, read-only directory); the agent stops rather than run without one.',
  ),
  SS_JOB_CHANGED: entry(
    'stop',
    "The job module's content hash differs from the checkpoint's; restart with --allow-job-change to accept it, or use a new checkpoint directory.",
  ),
  SS_CHECKPOINT_INCOMPATIBLE: entry(
    'stop',
    "The checkpoint was written with another app name, batch interval or defaultParallelism than the context's; use the original settings or a new checkpoint directory.",
  ),
} as const satisfies Record<string, { remedy: ErrorRemedy; retriable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SidestreamError extends Error {
  readonly code: ErrorCode;
  readonly remedy: ErrorRemedy;
  /** `remedy === 'retry'`. */
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SidestreamError';
    this.code = code;
    this.remedy = ERROR_CODES[code].remedy;
    this.retriable = ERROR_CODES[code].retriable;
  }
}

/**
 * The remedy of the first coded error in `error`'s cause chain (an error wrapped by a task or a
 * job keeps its code below), read by shape so a job's own copy of sidestream counts too.
 */
export function remedyOf(error: unknown): ErrorRemedy | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(ERROR_CODES, code))
      return ERROR_CODES[code as ErrorCode].remedy;
  }
  return undefined;
}

export function isSidestreamError(err: unknown, code?: ErrorCode): err is SidestreamError {
  return err instanceof SidestreamError && (code === undefined || err.code === code);
}

/** A one-line reason for batch records and logs: never a stack, never undefined. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`;
  return String(err);
}

/**
 * The error's catalogue code. Read by shape rather than instanceof: a job may bring its own copy
 * of the sidestream package (installed in its project), whose SidestreamError is another class.
 */
export function codeOf(error: unknown): ErrorCode | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : undefined;
}
