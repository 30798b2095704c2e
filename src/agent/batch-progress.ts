/**
 * One line per completed batch for a person watching the agent: on a terminal in the text format,
 * `batch 12:00:01.000  1,234 records  sched 1ms  proc 35ms  lag 1.2s` on stderr; elsewhere (json,
 * or stderr not a terminal) a debug-level log line with the same facts as structured fields, so
 * `--log-level debug` shows them without flooding a log shipper by default.
 */
import type { CompletedBatchRecord } from '../engine/batch-record.js';
import type { StreamingListener } from '../engine/streaming-listener.js';
import { formatDurationMs } from '../time.js';
import type { AgentLogger, LogFormat } from './logger.js';

/** The largest event-time lag over the batch's inputs; undefined when no input has event times. */
function maxLagMs(batch: CompletedBatchRecord): number | undefined {
  let max: number | undefined;
  for (const input of batch.inputs) {
    const lag = input.eventTimeLagMs?.max;
    if (lag !== undefined && (max === undefined || lag > max)) max = lag;
  }
  return max;
}

/** `12:00:01.000` in local time, the clock a person at the terminal reads. */
function clockTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** The terminal line for one batch (no newline); a failed batch ends in `FAILED`. */
export function formatBatchProgress(batch: CompletedBatchRecord): string {
  const parts = [
    `batch ${clockTime(batch.batchTime)}`,
    `${batch.numRecords.toLocaleString('en-US')} records`,
    `sched ${formatDurationMs(batch.schedulingDelayMs)}`,
    `proc ${formatDurationMs(batch.processingDelayMs)}`,
  ];
  const lag = maxLagMs(batch);
  if (lag !== undefined) parts.push(`lag ${formatDurationMs(lag)}`);
  if (batch.outcome === 'failed') parts.push(`FAILED (${batch.tasks.failed} failed task attempts)`);
  return parts.join('  ');
}

/** The structured fields of the debug line: what the terminal line shows, unformatted. */
export function batchProgressFields(batch: CompletedBatchRecord): Record<string, unknown> {
  const lag = maxLagMs(batch);
  return {
    batchTime: batch.batchTime,
    numRecords: batch.numRecords,
    outcome: batch.outcome,
    schedulingDelayMs: batch.schedulingDelayMs,
    processingDelayMs: batch.processingDelayMs,
    totalDelayMs: batch.totalDelayMs,
    ...(lag === undefined ? {} : { eventTimeLagMaxMs: lag }),
    failedTasks: batch.tasks.failed,
  };
}

export interface BatchProgressOptions {
  readonly logger: AgentLogger;
  readonly format: LogFormat;
  /** process.stderr.isTTY, injected so the decision can be tested. */
  readonly isTTY: boolean;
  /** Where terminal lines go; default process.stderr. */
  readonly write?: (line: string) => void;
}

/** 'line' for a terminal reading text, else 'debug' (a structured debug-level log line). */
export function batchProgressMode(format: LogFormat, isTTY: boolean): 'line' | 'debug' {
  return format === 'text' && isTTY ? 'line' : 'debug';
}

export function batchProgressListener(options: BatchProgressOptions): StreamingListener {
  const { logger } = options;
  if (batchProgressMode(options.format, options.isTTY) === 'line') {
    const write = options.write ?? ((line: string) => process.stderr.write(line));
    return {
      onBatchCompleted(batch) {
        // --log-level warn and above keep the terminal to problems only.
        if (logger.isEnabled('info')) write(`${formatBatchProgress(batch)}\n`);
      },
    };
  }
  return {
    onBatchCompleted(batch) {
      if (logger.isEnabled('debug')) logger.debug(formatBatchProgress(batch), batchProgressFields(batch));
    },
  };
}
