import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/receiver/rate-limiter.js';
import { ManualClock } from '../../src/time.js';

describe('RateLimiter', () => {
  it('spaces acquisitions at the rate: 100 records at 50/s take 2 s', async () => {
    const clock = new ManualClock(10_000);
    const limiter = new RateLimiter(clock, 50);
    await limiter.acquire(100); // the first reservation starts now
    let second = false;
    const p = limiter.acquire(10).then(() => {
      second = true;
    });
    clock.advance(1999);
    await Promise.resolve();
    expect(second).toBe(false);
    clock.advance(1);
    await p;
    expect(second).toBe(true);
  });

  it('does not wait without a rate, and follows setRate', async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock, undefined);
    await limiter.acquire(1_000_000);
    limiter.setRate(10);
    expect(limiter.rate).toBe(10);
    await limiter.acquire(10);
    let done = false;
    const p = limiter.acquire(1).then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1000);
    await p;
    limiter.setRate(0);
    expect(limiter.rate).toBeUndefined();
  });
});
