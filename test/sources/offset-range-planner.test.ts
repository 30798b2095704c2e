/** planOffsetRanges against Spark's maxMessagesPerPartition, worked by hand. */
import { describe, expect, it } from 'vitest';
import { planOffsetRanges } from '../../src/sources/kafka/offset-range-planner.js';

const pos = (partition: number, current: number, latest: number) => ({
  topic: 't',
  partition,
  current,
  latest,
});
const spans = (ranges: { fromOffset: number; untilOffset: number }[]) =>
  ranges.map((r) => [r.fromOffset, r.untilOffset]);

describe('planOffsetRanges', () => {
  it('reads up to the high watermark when nothing caps it', () => {
    expect(spans(planOffsetRanges([pos(0, 5, 100), pos(1, 0, 0)], { batchIntervalMs: 1000 }))).toEqual([
      [5, 100],
      [0, 0],
    ]);
  });

  it('honours maxRatePerPartition x batch seconds exactly', () => {
    const ranges = planOffsetRanges([pos(0, 0, 10_000), pos(1, 100, 150)], {
      batchIntervalMs: 2000,
      maxRatePerPartition: 300,
    });
    expect(spans(ranges)).toEqual([
      [0, 600],
      [100, 150],
    ]);
  });

  it('splits a backpressure rate in proportion to each partition lag, capped by maxRatePerPartition', () => {
    // Lags 3000, 1000, 0 -> shares of 800/s: 600, 200, 0; cap 500/s -> 500, 200, 0; 1 s batches.
    const ranges = planOffsetRanges([pos(0, 0, 3000), pos(1, 0, 1000), pos(2, 7, 7)], {
      batchIntervalMs: 1000,
      rate: 800,
      maxRatePerPartition: 500,
    });
    expect(spans(ranges)).toEqual([
      [0, 500],
      [0, 200],
      [7, 7],
    ]);
  });

  it('never plans fewer than minRatePerPartition records for a lagging partition', () => {
    // Lags 100000 and 10 share 100/s: partition 1 would get 0.01 -> floor 0 -> raised to min 5.
    const ranges = planOffsetRanges([pos(0, 0, 100_000), pos(1, 0, 10)], {
      batchIntervalMs: 1000,
      rate: 100,
      minRatePerPartition: 5,
    });
    expect(spans(ranges)).toEqual([
      [0, 99],
      [0, 5],
    ]);
  });

  it('plans empty ranges when caught up, and never a negative range past the watermark', () => {
    const ranges = planOffsetRanges([pos(0, 50, 50), pos(1, 80, 40)], { batchIntervalMs: 1000, rate: 1000 });
    expect(spans(ranges)).toEqual([
      [50, 50],
      [40, 40],
    ]);
  });
});
