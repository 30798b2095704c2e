/**
 * How often the status page polls the agent and how many batches it asks for, from the batch
 * interval. Pure, so test/agent/status-page/poll-schedule.test.ts checks it in Node.
 */

/** The wait before the next poll after a failed one. */
export const RETRY_MS = 5000;

/** The interval assumed before the first status arrives. */
export const DEFAULT_INTERVAL_MS = 1000;

/** About five minutes of batches for the charts, 60 to 600 of them (the agent keeps up to 1000). */
export function batchesToFetch(intervalMs: number): number {
  return Math.min(600, Math.max(60, Math.ceil(300_000 / intervalMs)));
}

/** Once a batch interval, but at least every 5 s and at most once a second. */
export function pollDelay(intervalMs: number): number {
  return Math.min(5000, Math.max(1000, intervalMs));
}
