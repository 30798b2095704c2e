/** PidRateEstimator against values worked out by hand from Spark's formula. */
import { describe, expect, it } from 'vitest';
import { PidRateEstimator } from '../../../src/engine/rate/pid-rate-estimator.js';

describe('PidRateEstimator', () => {
  it('says nothing for the first batch, then corrects towards the processing rate', () => {
    const pid = new PidRateEstimator({ batchIntervalMs: 1000 });
    // First batch: 1000 records in 500 ms -> processing rate 2000/s is remembered, no estimate.
    expect(pid.compute(1000, 1000, 500, 0)).toBeUndefined();
    // Second: 1000 records in 1000 ms -> rate 1000/s; error = 2000 - 1000 = 1000; no delay.
    // newRate = 2000 - 1.0 * 1000 - 0.2 * 0 = 1000.
    expect(pid.compute(2000, 1000, 1000, 0)).toBeCloseTo(1000);
    // Third: 1000 records in 2000 ms -> 500/s; error = 1000 - 500 = 500; scheduling delay 1000 ms
    // -> historical error = 1000 * 500 / 1000 = 500; newRate = 1000 - 500 - 0.2 * 500 = 400.
    expect(pid.compute(3000, 1000, 2000, 1000)).toBeCloseTo(400);
  });

  it('never goes below minRate and ignores empty, instant or stale batches', () => {
    const pid = new PidRateEstimator({ batchIntervalMs: 1000, minRate: 100 });
    pid.compute(1000, 100, 1000, 0); // 100/s
    // 10 records in 1000 ms with a huge scheduling delay would go negative: clamped to 100.
    expect(pid.compute(2000, 10, 1000, 100_000)).toBe(100);
    expect(pid.compute(3000, 0, 1000, 0)).toBeUndefined();
    expect(pid.compute(3000, 10, 0, 0)).toBeUndefined();
    expect(pid.compute(1500, 10, 10, 0)).toBeUndefined();
  });

  it('uses the derivative term when asked', () => {
    const pid = new PidRateEstimator({ batchIntervalMs: 1000, proportional: 0, integral: 0, derivative: 1 });
    pid.compute(1000, 1000, 1000, 0); // rate 1000, error 0
    // error = 1000 - 500 = 500; dError = (500 - 0) / 1 s = 500; newRate = 1000 - 500 = 500.
    expect(pid.compute(2000, 500, 1000, 0)).toBeCloseTo(500);
  });

  it('rejects nonsense settings with the field named', () => {
    expect(() => new PidRateEstimator({ batchIntervalMs: 1000, minRate: 0 })).toThrow(
      /backpressure.minRate must be > 0/,
    );
    expect(() => new PidRateEstimator({ batchIntervalMs: 1000, integral: -1 })).toThrow(
      /backpressure.integral/,
    );
  });
});
