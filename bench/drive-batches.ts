/**
 * driveBatches: runs `count` batches of a started context on its ManualClock, one at a time,
 * each advance waiting for that batch's completion. Shared by the in-memory benchmarks, which
 * time the loop around it.
 */
import type { ManualClock, StreamingContext } from '../src/index.js';

export async function driveBatches(ssc: StreamingContext, clock: ManualClock, count: number): Promise<void> {
  let batchDone: (() => void) | undefined;
  const unsubscribe = ssc.addStreamingListener({ onBatchCompleted: () => batchDone?.() });
  try {
    for (let i = 0; i < count; i++) {
      const done = new Promise<void>((resolve) => {
        batchDone = resolve;
      });
      clock.advance(ssc.batchIntervalMs);
      await done;
    }
  } finally {
    unsubscribe();
  }
}
