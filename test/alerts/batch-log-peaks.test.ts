/** The closest approach to the alert thresholds the false-alert soak reads from a batch log. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchLogPeaks } from '../support/batch-log-peaks.js';

/** A batch log line with only what batchLogPeaks reads. */
function batch(
  lagAvgMs: number | null,
  extra: { generation?: number; committedLag?: number; failed?: number } = {},
) {
  return JSON.stringify({
    generationDelayMs: extra.generation ?? 5,
    schedulingDelayMs: 1,
    processingDelayMs: 20,
    outcome: extra.failed ? 'failed' : 'succeeded',
    tasks: { total: 8, failed: extra.failed ?? 0, retried: 0 },
    inputs: [
      {
        eventTimeLagMs:
          lagAvgMs === null ? null : { avg: lagAvgMs, max: lagAvgMs, p50: lagAvgMs, p99: lagAvgMs },
        consumerLag: [{ committedLagSeconds: extra.committedLag ?? 0 }, {}],
      },
    ],
  });
}

describe('batchLogPeaks', () => {
  let dir = '';
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the peaks and the longest run of batches lagging more than the interval', async () => {
    dir = await mkdtemp(join(tmpdir(), 'batch-log-peaks-'));
    const file = join(dir, 'batches.jsonl');
    const lines = [
      batch(1200),
      batch(1300, { generation: 450 }),
      batch(null), // no records: the lag gauge is absent, the run ends
      batch(1100),
      batch(600, { committedLag: 1.5, failed: 2 }),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    expect(await batchLogPeaks(file, 1000)).toEqual({
      batches: 5,
      eventTimeLagAvgMaxMs: 1300,
      lagAboveIntervalLongestRun: 2,
      generationDelayMaxMs: 450,
      schedulingDelayMaxMs: 1,
      processingDelayMaxMs: 20,
      committedLagMaxSeconds: 1.5,
      failedTasks: 2,
      failedBatches: 1,
    });
  });
});
