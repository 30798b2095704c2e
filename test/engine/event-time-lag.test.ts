import { describe, expect, it } from 'vitest';
import { EVENT_TIME_LAG_BUCKETS_SECONDS, measureEventTimeLag } from '../../src/event-time-lag.js';
import type { EventTimeLagHistogram } from '../../src/events/index.js';
import { manualContexts } from '../support/manual-contexts.js';
import { startManual } from '../support/manual-run.js';

const manualContext = manualContexts();

describe('event-time lag buckets', () => {
  it('counts each lag once, in the bucket whose bound is the first >= it, +Inf last', () => {
    const start = 1_000_000;
    // Lags in ms: -5 (future event), 100 (on a bound), 101, 59_999, 60_000, 2 hours.
    const lags = [-5, 100, 101, 59_999, 60_000, 7_200_000];
    const m = measureEventTimeLag(
      start,
      lags.map((l) => start - l),
    )!;
    const at = (bound: number) => m.bucketCounts[EVENT_TIME_LAG_BUCKETS_SECONDS.indexOf(bound)];
    expect(m.bucketCounts).toHaveLength(EVENT_TIME_LAG_BUCKETS_SECONDS.length + 1);
    expect(at(0.1)).toBe(2);
    expect(at(0.25)).toBe(1);
    expect(at(60)).toBe(2);
    expect(m.bucketCounts.at(-1)).toBe(1);
    expect(m.bucketCounts.reduce((a, b) => a + b, 0)).toBe(lags.length);
    expect(m.count).toBe(lags.length);
    expect(m.sumSeconds).toBeCloseTo(lags.reduce((a, b) => a + b, 0) / 1000, 9);
    expect(m.summary.max).toBe(7_200_000);
    expect(measureEventTimeLag(start, [])).toBeNull();
  });

  it('posts one histogram per input with event times before onBatchCompleted, outside the batch record', async () => {
    const { ssc, clock } = manualContext({ appName: 'lag', batchIntervalMs: 1000 }, 10_000);
    ssc.generatorStream({ ratePerSec: 50, eventTimeLagMs: 2000 }).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    ssc.queueStream([[1, 2]]).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    const order: string[] = [];
    const posted: EventTimeLagHistogram[][] = [];
    ssc.addStreamingListener({
      onBatchEventTimeLag: (_t, lags) => {
        order.push('lag');
        posted.push([...lags]);
      },
      onBatchCompleted: () => {
        order.push('completed');
      },
    });
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    expect(order).toEqual(['lag', 'completed']);
    expect(posted[0]).toHaveLength(1);
    const h = posted[0]![0]!;
    expect(h.name).toBe('generator');
    expect(h.count).toBe(b!.inputs[0]!.numRecords);
    expect(h.sumSeconds).toBeCloseTo((b!.inputs[0]!.eventTimeLagMs!.avg * h.count) / 1000, 9);
    const json = JSON.stringify(ssc.recentBatches(1)[0]);
    expect(json).not.toContain('bucketCounts');
    expect(json).not.toContain('eventTimeLagHistograms');
  });
});
