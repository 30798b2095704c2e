/** The traffic plan of the false-alert soak (test/support/bursty-schedule.ts). */
import { describe, expect, it } from 'vitest';
import { burstySchedule } from '../support/bursty-schedule.js';

describe('burstySchedule', () => {
  const options = { seed: 7, durationMs: 30 * 60_000 };

  it('is the same plan for the same seed and another for another seed', () => {
    expect(burstySchedule(options)).toEqual(burstySchedule(options));
    expect(burstySchedule({ ...options, seed: 8 })).not.toEqual(burstySchedule(options));
  });

  it('starts idle, alternates bursts and gaps within their bounds and covers the duration exactly', () => {
    const plan = burstySchedule(options);
    expect(plan[0]).toEqual({ startMs: 0, durationMs: 15_000, rate: 0 });
    let at = 0;
    for (const [i, phase] of plan.entries()) {
      expect(phase.startMs).toBe(at);
      at += phase.durationMs;
      const last = i === plan.length - 1;
      if (i === 0) continue;
      if (i % 2 === 1) {
        expect(phase.rate).toBeGreaterThanOrEqual(2000);
        expect(phase.rate).toBeLessThanOrEqual(5000);
        if (!last) expect(phase.durationMs).toBeGreaterThanOrEqual(20_000);
        expect(phase.durationMs).toBeLessThanOrEqual(60_000);
      } else {
        expect(phase.rate).toBe(0);
        if (!last) expect(phase.durationMs).toBeGreaterThanOrEqual(60_000);
        expect(phase.durationMs).toBeLessThanOrEqual(300_000);
      }
    }
    expect(at).toBe(options.durationMs);
    // 30 minutes of 20-60 s bursts and 1-5 minute gaps: several of each.
    expect(plan.filter((p) => p.rate > 0).length).toBeGreaterThanOrEqual(5);
  });
});
