/// <reference lib="dom" />
/**
 * Renders the recent batches table: the newest TABLE_ROWS batches, newest first, failed ones
 * highlighted with their failure reasons, a total delay over the interval in orange.
 */
import type { CompletedBatchRecord } from '../../../events/index.js';
import { byId, el, setText, td, tdNode } from './dom.js';
import { formatClock, formatMs, formatNumber } from './format.js';

/** The table stops here; the charts show every batch fetched. */
export const TABLE_ROWS = 50;

/** `batches`: newest first. */
export function renderBatchTable(batches: readonly CompletedBatchRecord[], intervalMs: number): void {
  const body = byId('batches-body');
  body.replaceChildren();
  for (const b of batches.slice(0, TABLE_ROWS)) {
    const tr = el('tr');
    const isFailed = b.outcome === 'failed';
    if (isFailed) tr.className = 'failed';
    const reason = b.outputOperations
      .map((o) => o.failureReason)
      .filter((r): r is string => r !== null)
      .join('; ');
    const outcome = el('span', `pill ${isFailed ? 'bad' : 'ok'}`, b.outcome);
    const reasonCell = td(reason || '', 'reason');
    if (reason) reasonCell.title = reason;
    tr.append(
      // Sub-second batches share their second: show milliseconds then.
      td(formatClock(b.batchTime, intervalMs < 1000), 'mono'),
      tdNode(outcome),
      td(formatNumber(b.numRecords), 'num'),
      td(formatMs(b.schedulingDelayMs), 'num'),
      td(formatMs(b.processingDelayMs), 'num'),
      td(formatMs(b.totalDelayMs), `num${b.totalDelayMs > intervalMs ? ' slow' : ''}`),
      td(`${b.tasks.total} / ${b.tasks.failed} / ${b.tasks.retried}`, 'num'),
      td(String(b.outputOperations.length), 'num'),
      reasonCell,
    );
    body.append(tr);
  }
  setText('batches-note', batches.length > TABLE_ROWS ? `newest ${TABLE_ROWS} of ${batches.length}` : '');
}
