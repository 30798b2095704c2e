/// <reference lib="dom" />
/**
 * The status page's script: the entry point that scripts/status-page-bundle.ts bundles, with
 * everything it imports, into the one inline script page.ts serves. It runs in the browser, not
 * in the agent: it polls the agent's /api/status and /api/batches and draws the page's cards,
 * charts and tables by hand, with no library and no request anywhere else (the page's
 * Content-Security-Policy enforces that too). Polling stops while the tab is hidden; the charts
 * are redrawn to fit after a resize.
 */
import { byId } from './dom.js';
import { type PageState, poll } from './poll.js';
import { renderBatches } from './render-batches.js';

/** Resizing fires continuously: redraw once it pauses. */
const RESIZE_SETTLE_MS = 150;

const state: PageState = { status: null, batches: [], timer: undefined };
const banner = byId('banner');

document.addEventListener('visibilitychange', () => {
  clearTimeout(state.timer);
  if (!document.hidden) void poll(state, banner);
});
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (state.status) renderBatches(state.batches, state.status.batchIntervalMs, state.status);
  }, RESIZE_SETTLE_MS);
});
void poll(state, banner);
