/**
 * The batch progress line, one per completed batch: `batch 12:00:01.000  1,234 records  sched 1ms
 * proc 35ms  lag 1.2s`, and the same facts as structured fields for JSON logs. The event table
 * uses it as the log line of onBatchCompleted; the agent prints it on a terminal. A batch whose
 * generation took a second or more (a healthy one takes milliseconds) says so, `gen 24.6s`, first:
 * Spark's delays are measured from submission and would not show that it came late.
 */
import type { CompletedBatchRecord } from '../events/batch-events.js';
import { formatDurationMs } from '../time.js';

/** The largest event-time lag over the batch's inputs; undefined when no input has event times. */
export function maxEventTimeLagMs(batch: CompletedBatchRecord): number | undefined {
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

/** Generation delays from here on are shown on the line; below, they would be noise on every line. */
const NOTABLE_GENERATION_MS = 1000;

/** The line for one batch (no newline); a failed batch ends in `FAILED`. */
export function formatBatchProgress(batch: CompletedBatchRecord): string {
  const parts = [
    `batch ${clockTime(batch.batchTime)}`,
    `${batch.numRecords.toLocaleString('en-US')} records`,
    ...(batch.generationDelayMs >= NOTABLE_GENERATION_MS
      ? [`gen ${formatDurationMs(batch.generationDelayMs)}`]
      : []),
    `sched ${formatDurationMs(batch.schedulingDelayMs)}`,
    `proc ${formatDurationMs(batch.processingDelayMs)}`,
  ];
  const lag = maxEventTimeLagMs(batch);
  if (lag !== undefined) parts.push(`lag ${formatDurationMs(lag)}`);
  if (batch.outcome === 'failed') parts.push(`FAILED (${batch.tasks.failed} failed task attempts)`);
  return parts.join('  ');
}

/** The structured fields of the line: what it shows, unformatted. */
export function batchProgressFields(batch: CompletedBatchRecord): Record<string, unknown> {
  const lag = maxEventTimeLagMs(batch);
  return {
    batchTime: batch.batchTime,
    numRecords: batch.numRecords,
    outcome: batch.outcome,
    generationDelayMs: batch.generationDelayMs,
    schedulingDelayMs: batch.schedulingDelayMs,
    processingDelayMs: batch.processingDelayMs,
    totalDelayMs: batch.totalDelayMs,
    ...(lag === undefined ? {} : { eventTimeLagMaxMs: lag }),
    failedTasks: batch.tasks.failed,
  };
}
