/**
 * The one catalogue of coded errors. Every error sidestream raises on purpose is a SidestreamError
 * with a code from ERROR_CODES; the message says what went wrong AND what to do about it.
 * `retriable` alone decides whether a caller may try the same thing again.
 * docs/errors.md documents every code (a test keeps the two in step).
 */

export const ERROR_CODES = {
  SS_USAGE: {
    retriable: false,
    summary: 'A command-line flag or argument is missing, unknown or malformed.',
  },
  SS_CONFIG_INVALID: {
    retriable: false,
    summary: 'A configuration value is invalid; the message names the field and the fix.',
  },
  SS_JOB_NOT_FOUND: { retriable: false, summary: 'The job module path does not exist or cannot be read.' },
  SS_JOB_NO_DEFAULT_EXPORT: {
    retriable: false,
    summary: 'The job module does not default-export a function that declares the graph.',
  },
  SS_JOB_LOAD_FAILED: {
    retriable: false,
    summary: 'The job module threw while being imported or while declaring its graph.',
  },
  SS_BATCH_INTERVAL_INVALID: {
    retriable: false,
    summary: 'The batch interval is not a positive whole number of milliseconds.',
  },
  SS_WINDOW_NOT_MULTIPLE: {
    retriable: false,
    summary:
      "A window length or slide is not a positive multiple of the parent stream's slide (the batch interval).",
  },
  SS_CONTEXT_STATE: {
    retriable: false,
    summary:
      "An operation is not allowed in the context's current state (for example adding a stream after start).",
  },
  SS_NO_OUTPUT_OPERATIONS: {
    retriable: false,
    summary: 'The graph has no output operation, so there would be nothing to run.',
  },
  SS_TASK_FAILED: {
    retriable: false,
    summary:
      'A task threw on every one of its maxTaskFailures attempts; the output operation that ran it fails.',
  },
  SS_SLIDE_MISMATCH: {
    retriable: false,
    summary: 'Streams combined with union or join must have the same slide duration.',
  },
  SS_BATCH_FAILED: {
    retriable: false,
    summary: 'An output operation of a batch failed after its tasks exhausted their retries.',
  },
  SS_STOP_TIMEOUT: {
    retriable: false,
    summary: 'A graceful stop did not drain the in-flight batches within its time limit.',
  },
  SS_SOURCE_FAILED: { retriable: true, summary: 'An input source failed while producing a batch.' },
  SS_HTTP_BIND_FAILED: {
    retriable: false,
    summary: 'The agent could not listen on its HTTP address (in use, or not allowed).',
  },
  SS_AGENT_UNREACHABLE: {
    retriable: true,
    summary: "A command that talks to a running agent (status) could not reach the agent's HTTP API.",
  },
  SS_CHECKPOINT_DIR_UNUSABLE: {
    retriable: false,
    summary: 'The checkpoint directory (offset log, checkpoints) cannot be created or written.',
  },
  SS_OFFSET_LOG_CORRUPT: {
    retriable: false,
    summary: 'An offset log entry cannot be read or has an unknown format; the message names the file.',
  },
  SS_SINK_OFFSET_CONFLICT: {
    retriable: false,
    summary:
      "A transactional sink's stored offsets match neither the batch's from- nor its until-offsets; nothing was written.",
  },
  SS_PARTITION_REVOKED: {
    retriable: false,
    summary:
      'A rebalance moved a partition to another agent before its planned range was read; the batch is re-planned.',
  },
  SS_METRIC_INVALID: {
    retriable: false,
    summary:
      'A user metric (ssc.metrics.counter/gauge/histogram) has an invalid or reserved name, label or buckets, or its name is taken.',
  },
  SS_RESTART_BUDGET_EXHAUSTED: {
    retriable: false,
    summary:
      'Under --supervise the agent crashed more often than the restart budget allows within its window; the supervisor gave up.',
  },
  SS_WAL_WRITE_FAILED: {
    retriable: true,
    summary:
      'A write-ahead log append (or its fsync) failed after its bounded retries; nothing that depended on it was acknowledged.',
  },
  SS_WAL_FORMAT_UNKNOWN: {
    retriable: false,
    summary:
      'A write-ahead log segment was written by an unknown format version (a newer sidestream?); the message names the file.',
  },
  SS_CHECKPOINT_CORRUPT: {
    retriable: false,
    summary:
      'No checkpoint in the checkpoint directory can be read (every candidate is corrupt or of an unknown format).',
  },
  SS_CHECKPOINT_WRITE_FAILED: {
    retriable: false,
    summary:
      'A metadata checkpoint could not be written (disk full, read-only directory); the agent stops rather than run without one.',
  },
  SS_JOB_CHANGED: {
    retriable: false,
    summary:
      "The job module's content hash differs from the checkpoint's; restart with --allow-job-change to accept it, or use a new checkpoint directory.",
  },
  SS_CHECKPOINT_INCOMPATIBLE: {
    retriable: false,
    summary:
      "The checkpoint was written with another app name, batch interval or defaultParallelism than the context's; use the original settings or a new checkpoint directory.",
  },
} as const satisfies Record<string, { retriable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SidestreamError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SidestreamError';
    this.code = code;
    this.retriable = ERROR_CODES[code].retriable;
  }
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
