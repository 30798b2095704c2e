/**
 * SystemClock waits with real timers: a target further away than Node's longest timer
 * (MAX_TIMER_DELAY_MS) must be waited for in several bounded waits, not handed to setTimeout,
 * which would turn it into 1 ms and spin (a TimeoutOverflowWarning per turn).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TIMER_DELAY_MS, SystemClock } from '../src/time.js';

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

describe('SystemClock.waitUntil', () => {
  it('waits for a target beyond 2^31-1 ms without overflowing the timer', async () => {
    expect(MAX_TIMER_DELAY_MS).toBe(2_147_483_647);
    process.on('warning', onWarning);
    const clock = new SystemClock();
    const stop = new AbortController();
    let settled: string | undefined;
    clock.waitUntil(Date.now() + 2 * MAX_TIMER_DELAY_MS, stop.signal).then(
      () => {
        settled = 'resolved';
      },
      () => {
        settled = 'aborted';
      },
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBeUndefined();
    stop.abort(new Error('done'));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe('aborted');
    expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
  });
});
