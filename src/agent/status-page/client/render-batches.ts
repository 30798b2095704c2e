/// <reference lib="dom" />
/**
 * Renders everything GET /api/batches feeds: the summary cards, the charts and the batches table,
 * in that order. Called after each poll and again on a resize (the charts fit their width).
 */
import type { CompletedBatchRecord } from '../../../events/index.js';
import type { AgentStatusSnapshot } from '../../agent-status.js';
import { renderBatchCards } from './render-batch-cards.js';
import { renderBatchTable } from './render-batch-table.js';
import { renderCharts } from './render-charts.js';

/** `batches`: newest first, as the agent lists them; `status`: the agent's, polled with them. */
export function renderBatches(
  batches: readonly CompletedBatchRecord[],
  intervalMs: number,
  status: AgentStatusSnapshot | null,
): void {
  renderBatchCards(batches, intervalMs);
  renderCharts([...batches].reverse(), intervalMs, status);
  renderBatchTable(batches, intervalMs);
}
