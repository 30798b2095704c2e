/**
 * formatBatchTable: the table `sidestream status` prints, one row per completed batch, newest
 * first: batch time, records, scheduling/processing/total delay, event-time lag (the largest
 * input average), Kafka consumer lag (records left after the batch, summed over its partitions),
 * outcome, failed task attempts. `-` where a batch has no such figure.
 */
import type { CompletedBatchRecord } from '../events/index.js';
import { formatDurationMs } from '../time.js';

const HEADER = [
  'BATCH TIME',
  'RECORDS',
  'SCHED',
  'PROC',
  'TOTAL',
  'EVENT LAG',
  'KAFKA LAG',
  'OUTCOME',
  'TASK FAILURES',
];
/** Numbers read best right-aligned. */
const RIGHT = new Set([1, 2, 3, 4, 5, 6, 8]);

function eventLag(b: CompletedBatchRecord): string {
  const avgs = b.inputs.flatMap((i) => (i.eventTimeLagMs ? [i.eventTimeLagMs.avg] : []));
  return avgs.length === 0 ? '-' : formatDurationMs(Math.round(Math.max(...avgs)));
}

function kafkaLag(b: CompletedBatchRecord): string {
  const lags = b.inputs.flatMap((i) => i.consumerLag ?? []);
  return lags.length === 0 ? '-' : String(lags.reduce((n, l) => n + l.records, 0));
}

export function formatBatchTable(batches: readonly CompletedBatchRecord[]): string {
  if (batches.length === 0) return 'no completed batches yet\n';
  const rows = batches.map((b) => [
    new Date(b.batchTime).toISOString(),
    String(b.numRecords),
    formatDurationMs(b.schedulingDelayMs),
    formatDurationMs(b.processingDelayMs),
    formatDurationMs(b.totalDelayMs),
    eventLag(b),
    kafkaLag(b),
    b.outcome,
    String(b.tasks.failed),
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const width = widths[i] ?? 0;
        return RIGHT.has(i) ? c.padStart(width) : c.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return `${[line(HEADER), ...rows.map(line)].join('\n')}\n`;
}
