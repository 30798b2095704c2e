/// <reference lib="dom" />
/**
 * One poll of the agent: GET /api/status and /api/batches (same origin, so the browser sends the
 * credentials the page was loaded with), render both, and schedule the next poll unless the tab
 * is hidden. While the agent cannot be reached, a banner says so and the last figures stay.
 */
import type { CompletedBatchRecord } from '../../../events/index.js';
import type { AgentStatusSnapshot } from '../../agent-status.js';
import { setText } from './dom.js';
import { formatClock } from './format.js';
import { batchesToFetch, DEFAULT_INTERVAL_MS, pollDelay, RETRY_MS } from './poll-schedule.js';
import { renderBatches } from './render-batches.js';
import { renderStatus } from './render-status.js';

/** What the page last received, and the pending poll. */
export interface PageState {
  status: AgentStatusSnapshot | null;
  /** Newest first. */
  batches: CompletedBatchRecord[];
  timer: ReturnType<typeof setTimeout> | undefined;
}

async function fetchJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function poll(state: PageState, banner: HTMLElement): Promise<void> {
  const intervalMs = state.status?.batchIntervalMs ?? DEFAULT_INTERVAL_MS;
  let next = pollDelay(intervalMs);
  try {
    const [status, batches] = await Promise.all([
      fetchJson<AgentStatusSnapshot>('/api/status'),
      fetchJson<CompletedBatchRecord[]>(`/api/batches?limit=${batchesToFetch(intervalMs)}`),
    ]);
    state.status = status;
    state.batches = batches;
    renderStatus(status, batches[0]);
    renderBatches(batches, status.batchIntervalMs, status);
    banner.hidden = true;
    setText('updated', `updated ${formatClock(Date.now())}`);
    document.body.dataset.loaded = 'true';
  } catch (error) {
    banner.hidden = false;
    banner.textContent = `Cannot reach the agent (${error instanceof Error ? error.message : String(error)}); retrying every 5 s. The figures below are from ${state.status ? formatClock(state.status.now) : 'never'}.`;
    next = RETRY_MS;
  }
  if (!document.hidden) state.timer = setTimeout(() => void poll(state, banner), next);
}
