/**
 * One measured run of a job on a ManualClock, as every in-memory benchmark times it: the context
 * is built and started outside the measurement; its batches are driven one at a time, each clock
 * advance waiting for that batch's completion, between the wall-clock and CPU readings; the
 * context is stopped afterwards.
 */
import { performance } from 'node:perf_hooks';
import {
  type CompletedBatchRecord,
  ManualClock,
  StreamingContext,
  type StreamingContextOptions,
} from '../src/index.js';

export type ManualRoundOptions = Omit<StreamingContextOptions, 'batchIntervalMs' | 'clock'>;

export interface ManualRound {
  /** performance.now() just before the first batch and just after the last one completed. */
  readonly startMs: number;
  readonly endMs: number;
  /** CPU time of the whole process (every thread) over the same interval. */
  readonly cpu: NodeJS.CpuUsage;
  /** The context's retained batch records when the last batch completed, newest first. */
  readonly records: readonly CompletedBatchRecord[];
}

/**
 * Runs `batches` one-second batches of the job `declare` adds to a fresh context (clock at 0).
 * `afterBatch`, when given, runs inside the measurement once each batch has completed.
 */
export async function manualRound(
  options: ManualRoundOptions,
  batches: number,
  declare: (ssc: StreamingContext) => void,
  afterBatch?: (index: number) => void,
): Promise<ManualRound> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ ...options, batchIntervalMs: 1000, clock });
  declare(ssc);
  await ssc.start();
  const cpuBefore = process.cpuUsage();
  const startMs = performance.now();
  await driveBatches(ssc, clock, batches, afterBatch);
  const endMs = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const records = ssc.recentBatches();
  await ssc.stop();
  return { startMs, endMs, cpu, records };
}

async function driveBatches(
  ssc: StreamingContext,
  clock: ManualClock,
  count: number,
  afterBatch: ((index: number) => void) | undefined,
): Promise<void> {
  let batchDone: (() => void) | undefined;
  const unsubscribe = ssc.addStreamingListener({ onBatchCompleted: () => batchDone?.() });
  try {
    for (let i = 0; i < count; i++) {
      const done = new Promise<void>((resolve) => {
        batchDone = resolve;
      });
      clock.advance(ssc.batchIntervalMs);
      await done;
      afterBatch?.(i);
    }
  } finally {
    unsubscribe();
  }
}
