/**
 * The batch progress line for a person watching the agent. The line itself is the log line of
 * onBatchCompleted in the event table (telemetry/batch-progress-line.ts): on a terminal in the
 * text format it is printed on stderr for every batch (`batch 12:00:01.000  1,234 records  sched
 * 1ms  proc 35ms  lag 1.2s`); elsewhere (json, or stderr not a terminal) it is that row's log
 * line, at debug for a healthy batch and warn for a failed one, with the same facts as
 * structured fields, so `--log-level debug` shows them without flooding a log shipper by default.
 */
import type { StreamingListener } from '../events/index.js';
import { formatBatchProgress } from '../telemetry/batch-progress-line.js';
import { eventLogListener } from '../telemetry/event-log-listener.js';
import type { AgentLogger, LogFormat } from './logger.js';

export { batchProgressFields, formatBatchProgress } from '../telemetry/batch-progress-line.js';

export interface BatchProgressOptions {
  readonly logger: AgentLogger;
  readonly format: LogFormat;
  /** process.stderr.isTTY, injected so the decision can be tested. */
  readonly isTTY: boolean;
  /** Where terminal lines go; default process.stderr. */
  readonly write?: (line: string) => void;
}

/** 'line' for a terminal reading text, else 'debug' (the event table's log line). */
export function batchProgressMode(format: LogFormat, isTTY: boolean): 'line' | 'debug' {
  return format === 'text' && isTTY ? 'line' : 'debug';
}

/** Handles onBatchCompleted only; the agent's event log leaves that event to it. */
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
  const { onBatchCompleted } = eventLogListener(logger);
  return onBatchCompleted ? { onBatchCompleted } : {};
}
