/**
 * The status page's value formatting (src/agent/status-page/client/format.ts and average.ts):
 * what the cards, tables, axis ticks and tooltips say for counts, rates, durations, clock times
 * and ages, including the values a live agent produces at the edges (nothing yet, zero, a
 * fraction of a millisecond, days of uptime, trillions of records).
 */
import { describe, expect, it } from 'vitest';
import { average } from '../../../src/agent/status-page/client/average.js';
import {
  formatAge,
  formatClock,
  formatInputErrors,
  formatMs,
  formatNumber,
  formatUnit,
} from '../../../src/agent/status-page/client/format.js';

describe('formatNumber', () => {
  it('writes whole numbers below ten thousand as they are', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(7)).toBe('7');
    expect(formatNumber(9999)).toBe('9999');
    expect(formatNumber(-2500)).toBe('-2500');
  });

  it('keeps two decimals below 10, one below 100, none from 100', () => {
    expect(formatNumber(0.5)).toBe('0.50');
    expect(formatNumber(4.567)).toBe('4.57');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(123.6)).toBe('124');
  });

  it('abbreviates thousands from ten thousand, then millions and billions', () => {
    expect(formatNumber(10_000)).toBe('10.0k');
    expect(formatNumber(12_345)).toBe('12.3k');
    expect(formatNumber(-12_000)).toBe('-12.0k');
    expect(formatNumber(1_500_000)).toBe('1.5M');
    expect(formatNumber(2_000_000_000)).toBe('2.0G');
  });

  it('stays in billions for very large values (no exponent notation)', () => {
    expect(formatNumber(3e12)).toBe('3000.0G');
  });
});

describe('formatMs', () => {
  it('shows a dash for a duration that is not known', () => {
    expect(formatMs(null)).toBe('–');
    expect(formatMs(undefined)).toBe('–');
    expect(formatMs(Number.NaN)).toBe('–');
    expect(formatMs(Number.POSITIVE_INFINITY)).toBe('–');
  });

  it('writes zero as 0 ms and sub-millisecond durations to a hundredth', () => {
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(0.25)).toBe('0.25 ms');
    expect(formatMs(-0.5)).toBe('-0.50 ms');
  });

  it('rounds to whole milliseconds below a second', () => {
    expect(formatMs(1)).toBe('1 ms');
    expect(formatMs(999.4)).toBe('999 ms');
  });

  it('writes seconds without trailing zeros, so axis ticks read 2 s, 50 s, 150 s', () => {
    expect(formatMs(1234)).toBe('1.23 s');
    expect(formatMs(1500)).toBe('1.5 s');
    expect(formatMs(2000)).toBe('2 s');
    expect(formatMs(12_345)).toBe('12.3 s');
    expect(formatMs(50_000)).toBe('50 s');
    expect(formatMs(150_000)).toBe('150 s');
  });

  it('switches to minutes at ten minutes and to hours at an hour', () => {
    expect(formatMs(600_000)).toBe('10.0 min');
    expect(formatMs(45 * 60_000)).toBe('45.0 min');
    expect(formatMs(3_600_000)).toBe('1.0 h');
    expect(formatMs(9_000_000)).toBe('2.5 h');
    expect(formatMs(1000 * 86_400_000)).toBe('24000.0 h');
  });
});

describe('formatUnit', () => {
  it("writes a value in its chart's unit", () => {
    expect(formatUnit(1500, 'ms')).toBe('1.5 s');
    expect(formatUnit(1.5, 'seconds')).toBe('1.5 s');
    expect(formatUnit(12_345, 'rate')).toBe('12.3k/s');
    expect(formatUnit(0, 'rate')).toBe('0/s');
    expect(formatUnit(250, 'count')).toBe('250');
  });
});

describe('formatClock', () => {
  // Built from local components: the page shows the browser's local time.
  const at = (h: number, m: number, s: number, ms: number): number =>
    new Date(2025, 0, 2, h, m, s, ms).getTime();

  it('writes local HH:MM:SS, zero-padded', () => {
    expect(formatClock(at(3, 4, 5, 67))).toBe('03:04:05');
    expect(formatClock(at(0, 0, 0, 0))).toBe('00:00:00');
    expect(formatClock(at(23, 59, 59, 999))).toBe('23:59:59');
  });

  it('adds milliseconds when asked (sub-second batches)', () => {
    expect(formatClock(at(3, 4, 5, 67), true)).toBe('03:04:05.067');
    expect(formatClock(at(0, 0, 0, 0), true)).toBe('00:00:00.000');
    expect(formatClock(at(23, 59, 59, 999), true)).toBe('23:59:59.999');
  });
});

describe('formatAge', () => {
  it('writes seconds, then minutes and seconds, hours and minutes, days and hours', () => {
    expect(formatAge(0)).toBe('0s');
    expect(formatAge(59_400)).toBe('59s');
    expect(formatAge(187_000)).toBe('3m 7s');
    expect(formatAge(7_500_000)).toBe('2h 5m');
    expect(formatAge(93_784_000)).toBe('1d 2h');
  });

  it('rounds to the nearest second, carrying into the next unit', () => {
    expect(formatAge(59_500)).toBe('1m 0s');
    expect(formatAge(3_599_600)).toBe('1h 0m');
  });

  it('shows a negative age (the clocks disagree) as 0s, and counts days past a year', () => {
    expect(formatAge(-5000)).toBe('0s');
    expect(formatAge(400 * 86_400_000)).toBe('400d 0h');
  });
});

describe('average', () => {
  it('is null without values, the mean otherwise', () => {
    expect(average([])).toBeNull();
    expect(average([5])).toBe(5);
    expect(average([1, 2, 3, 4])).toBe(2.5);
    expect(average([0, 0])).toBe(0);
  });
});

describe('formatInputErrors', () => {
  it('is null when the input reported no failure', () => {
    expect(formatInputErrors(0, null, null, 10_000)).toBeNull();
  });

  it('says how many, how long ago the last came, and its message', () => {
    expect(formatInputErrors(1, 'cannot reach Kafka at k:9092', 4_000, 10_000)).toBe(
      '1 error, last 6s ago: cannot reach Kafka at k:9092',
    );
    expect(formatInputErrors(12, 'committing offsets failed', 10_000 - 125_000, 10_000)).toBe(
      '12 errors, last 2m 5s ago: committing offsets failed',
    );
  });

  it('leaves the age out when the time is unknown', () => {
    expect(formatInputErrors(2, 'lost', null, 10_000)).toBe('2 errors: lost');
  });
});
