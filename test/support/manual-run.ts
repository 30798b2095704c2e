/**
 * Drives a StreamingContext on a ManualClock: advance one batch at a time and wait until that
 * batch's record is published. No sleeping on wall-clock time for the engine's own schedule.
 */
import type { CompletedBatchRecord, ManualClock, StreamingContext } from '../../src/index.js';

export interface ManualRun {
  clock: ManualClock;
  completed: CompletedBatchRecord[];
  /**
   * Advances the clock by one batch interval and waits for `batches` more completed batches, for
   * up to `timeoutMs` (default 10 s).
   */
  step(batches?: number, timeoutMs?: number): Promise<CompletedBatchRecord[]>;
}

export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function startManual(ssc: StreamingContext, clock: ManualClock): Promise<ManualRun> {
  const completed: CompletedBatchRecord[] = [];
  ssc.addStreamingListener({ onBatchCompleted: (b) => completed.push(b) });
  await ssc.start();
  return {
    clock,
    completed,
    async step(batches = 1, timeoutMs = 10_000) {
      const before = completed.length;
      for (let i = 0; i < batches; i++) clock.advance(ssc.batchIntervalMs);
      await waitFor(() => completed.length >= before + batches, timeoutMs, `${batches} batch(es)`);
      return completed.slice(before);
    },
  };
}
