/**
 * formatBatchTable: the table `sidestream status` prints, one row per completed batch, newest
 * first: batch time, records, scheduling/processing/total delay, outcome, failed task attempts.
 */
import type { CompletedBatchRecord } from '../engine/batch-record.js';
import { formatDurationMs } from '../time.js';

const HEADER = ['BATCH TIME', 'RECORDS', 'SCHED', 'PROC', 'TOTAL', 'OUTCOME', 'TASK FAILURES'];
/** Numbers read best right-aligned. */
const RIGHT = new Set([1, 2, 3, 4, 6]);

export function formatBatchTable(batches: readonly CompletedBatchRecord[]): string {
  if (batches.length === 0) return 'no completed batches yet\n';
  const rows = batches.map((b) => [
    new Date(b.batchTime).toISOString(),
    String(b.numRecords),
    formatDurationMs(b.schedulingDelayMs),
    formatDurationMs(b.processingDelayMs),
    formatDurationMs(b.totalDelayMs),
    b.outcome,
    String(b.tasks.failed),
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (RIGHT.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(HEADER), ...rows.map(line)].join('\n')}\n`;
}
