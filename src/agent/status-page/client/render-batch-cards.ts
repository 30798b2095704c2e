/// <reference lib="dom" />
/**
 * Renders the summary cards computed from the batch records: input rate, scheduling, processing
 * and total delay (average, last, max over the batches on the page) and the succeeded / failed
 * counts; a card turns red when the newest batch took longer than the interval or a batch failed,
 * and the failed count is red only when it is not 0.
 */
import type { CompletedBatchRecord } from '../../../events/index.js';
import { average } from './average.js';
import { byId, setText } from './dom.js';
import { formatMs, formatNumber } from './format.js';

/** `batches`: newest first. */
export function renderBatchCards(batches: readonly CompletedBatchRecord[], intervalMs: number): void {
  const seconds = intervalMs / 1000;
  const rates = batches.map((b) => b.numRecords / seconds);
  const meanRate = average(rates);
  setText('rate', meanRate === null ? '–' : `${formatNumber(meanRate)}/s`);
  const lastRate = rates[0];
  setText(
    'rate-sub',
    lastRate === undefined
      ? 'no batches yet'
      : `last ${formatNumber(lastRate)}/s · ${batches.length} batches`,
  );
  for (const key of ['scheduling', 'processing', 'total'] as const) {
    const values = batches.map((b) => b[`${key}DelayMs`]);
    setText(key, formatMs(average(values)));
    setText(
      `${key}-sub`,
      values.length ? `last ${formatMs(values[0])} · max ${formatMs(Math.max(...values))}` : '',
    );
  }
  byId('card-total').classList.toggle('alert', (batches[0]?.totalDelayMs ?? 0) > intervalMs);
  const failed = batches.filter((b) => b.outcome === 'failed').length;
  setText('completed', formatNumber(batches.filter((b) => b.outcome === 'succeeded').length));
  setText('failed', formatNumber(failed));
  // Red says something failed: a red 0 reads as a failure at a glance.
  byId('failed').classList.toggle('bad-text', failed > 0);
  byId('card-batches').classList.toggle('alert', failed > 0);
}
