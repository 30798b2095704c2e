/**
 * How close a run came to the thresholds of the alerts, read from the agent's JSON-lines batch
 * log (--batch-log; one CompletedBatchRecord per line): the false-alert soak
 * (scripts/false-alert-soak.ts) reports these beside its count of alerts, because "no alert" says
 * more when the margin to each threshold is known. The batch log has every batch, which a
 * Prometheus scraping every 15 s does not.
 */
import { readFile } from 'node:fs/promises';
import type { CompletedBatchRecord } from '../../src/events/index.js';

export interface BatchLogPeaks {
  readonly batches: number;
  /** The largest per-batch average event-time lag (SidestreamEventTimeLagHigh: above the interval for 2m). */
  readonly eventTimeLagAvgMaxMs: number;
  /** The most consecutive batches whose average event-time lag was above the batch interval. */
  readonly lagAboveIntervalLongestRun: number;
  /** The largest generation delay: how late a batch was submitted (SidestreamBatchOverdue: two intervals). */
  readonly generationDelayMaxMs: number;
  /** The largest scheduling delay: how long a batch waited behind another (SidestreamBatchesQueueing). */
  readonly schedulingDelayMaxMs: number;
  readonly processingDelayMaxMs: number;
  /** The largest committed lag of any partition (SidestreamConsumerLagGrowing: above 60 s). */
  readonly committedLagMaxSeconds: number;
  readonly failedTasks: number;
  readonly failedBatches: number;
}

export async function batchLogPeaks(file: string, batchIntervalMs: number): Promise<BatchLogPeaks> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const batches = lines.map((l) => JSON.parse(l) as CompletedBatchRecord);
  let lagMax = 0;
  let run = 0;
  let longestRun = 0;
  let committedLagMax = 0;
  for (const batch of batches) {
    // A batch without records has no event-time lag; the gauge is absent then, so the run ends.
    const lags = batch.inputs.flatMap((i) => (i.eventTimeLagMs ? [i.eventTimeLagMs.avg] : []));
    const lag = lags.length === 0 ? undefined : Math.max(...lags);
    lagMax = Math.max(lagMax, lag ?? 0);
    run = lag !== undefined && lag > batchIntervalMs ? run + 1 : 0;
    longestRun = Math.max(longestRun, run);
    for (const p of batch.inputs.flatMap((i) => i.consumerLag ?? []))
      committedLagMax = Math.max(committedLagMax, p.committedLagSeconds ?? 0);
  }
  const max = (f: (b: CompletedBatchRecord) => number) => batches.reduce((m, b) => Math.max(m, f(b)), 0);
  return {
    batches: batches.length,
    eventTimeLagAvgMaxMs: lagMax,
    lagAboveIntervalLongestRun: longestRun,
    generationDelayMaxMs: max((b) => b.generationDelayMs),
    schedulingDelayMaxMs: max((b) => b.schedulingDelayMs),
    processingDelayMaxMs: max((b) => b.processingDelayMs),
    committedLagMaxSeconds: committedLagMax,
    failedTasks: batches.reduce((n, b) => n + b.tasks.failed, 0),
    failedBatches: batches.filter((b) => b.outcome === 'failed').length,
  };
}
