/**
 * Scheduling delay on an idle pipeline: the SystemClock, short batches, a low-rate generator
 * stream and a trivial output. What is left is the engine's own overhead between a batch time
 * and the start of its jobs: how late the timer generated the batch (submission - batch time)
 * and how long the submitted batch waited for the scheduler (start - submission).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type CompletedBatchRecord, StreamingContext } from '../src/index.js';
import { type Spread, spread } from './stats.js';

export interface SchedulingDelayOptions {
  readonly batchIntervalMs: number;
  readonly durationMs: number;
  /** Batches at the start left out of the figures (JIT warm-up of a fresh process). */
  readonly warmupMs: number;
  readonly ratePerSec: number;
}

export interface SchedulingDelayResult {
  readonly batches: number;
  readonly failed: number;
  readonly schedulingDelayMs: Spread;
  readonly generationLateMs: Spread;
  readonly processingDelayMs: Spread;
}

export async function measureSchedulingDelay(
  options: SchedulingDelayOptions,
): Promise<SchedulingDelayResult> {
  const ssc = new StreamingContext({
    appName: 'bench-scheduling',
    batchIntervalMs: options.batchIntervalMs,
    retainedBatches: Math.ceil(options.durationMs / options.batchIntervalMs) + 10,
  });
  ssc.generatorStream({ ratePerSec: options.ratePerSec }).foreachRDD(async (rdd) => {
    await rdd.count();
  });
  const completed: CompletedBatchRecord[] = [];
  ssc.addStreamingListener({ onBatchCompleted: (b) => completed.push(b) });
  await ssc.start();
  const started = Date.now();
  await sleep(options.durationMs);
  await ssc.stop({ graceful: true });
  const measured = completed.filter((b) => b.batchTime >= started + options.warmupMs);
  return {
    batches: measured.length,
    failed: measured.filter((b) => b.outcome !== 'succeeded').length,
    schedulingDelayMs: spread(measured.map((b) => b.schedulingDelayMs)),
    generationLateMs: spread(measured.map((b) => b.submissionTime - b.batchTime)),
    processingDelayMs: spread(measured.map((b) => b.processingDelayMs)),
  };
}
