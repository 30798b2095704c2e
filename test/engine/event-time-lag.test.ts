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

/** The definition measureEventTimeLag must agree with: one sort, nearest ranks, first bound >= lag. */
function bySorting(startMs: number, eventTimes: readonly number[]) {
  const lags = Float64Array.from(eventTimes, (t) => startMs - t).sort();
  const n = lags.length;
  const rank = (q: number) => lags[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  const buckets = new Array<number>(EVENT_TIME_LAG_BUCKETS_SECONDS.length + 1).fill(0);
  for (const lag of lags) {
    const b = EVENT_TIME_LAG_BUCKETS_SECONDS.findIndex((s) => lag <= s * 1000);
    buckets[b < 0 ? EVENT_TIME_LAG_BUCKETS_SECONDS.length : b]! += 1;
  }
  // Summed in the records' order, as the engine sums them.
  const sum = eventTimes.reduce((a, t) => a + (startMs - t), 0);
  return { summary: { avg: sum / n, max: lags[n - 1], p50: rank(0.5), p99: rank(0.99) }, buckets, sum };
}

describe('event-time lag without a sort', () => {
  it('agrees with the sorted definition on random, sorted, reversed, repeated and NaN lags', () => {
    let seed = 7;
    const rand = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed / 2 ** 32;
    };
    const start = 10_000_000;
    const shapes: Record<string, (n: number) => number[]> = {
      random: (n) => Array.from({ length: n }, () => start - rand() * 4_000_000 + 1000),
      ascending: (n) => Array.from({ length: n }, (_, i) => start - 5000 + i),
      descending: (n) => Array.from({ length: n }, (_, i) => start - i * 37),
      repeated: (n) =>
        Array.from({ length: n }, () => start - [100, 100, 250, 3000][Math.floor(rand() * 4)]!),
      constant: (n) => Array.from({ length: n }, () => start - 42),
      'with NaN': (n) =>
        Array.from({ length: n }, (_, i) => (i % 17 === 3 ? Number.NaN : start - rand() * 9000)),
    };
    for (const [shape, make] of Object.entries(shapes)) {
      for (const n of [1, 2, 3, 10, 99, 100, 101, 1000, 5003]) {
        const times = make(n);
        const got = measureEventTimeLag(start, times)!;
        const want = bySorting(start, times);
        const context = `${shape}, n=${n}`;
        expect(got.summary, context).toEqual(want.summary);
        expect(got.bucketCounts, context).toEqual(want.buckets);
        expect(got.count, context).toBe(n);
        if (Number.isNaN(want.sum)) expect(got.sumSeconds, context).toBeNaN();
        else expect(got.sumSeconds * 1000, context).toBeCloseTo(want.sum, 3);
      }
    }
  });
});
