import { describe, expect, it } from 'vitest';
import { type PartitionStatus, PartitionStatusTracker } from '../../src/telemetry/partition-status.js';

/** Feeds samples one second apart from t = 1000 s; returns the status after each. */
function feed(
  tracker: PartitionStatusTracker,
  samples: readonly [committed: number, lag: number][],
  t0 = 1_000_000,
) {
  return samples.map(([committedOffset, lag], i) =>
    tracker.record({ timeMs: t0 + i * 1000, committedOffset, lag }),
  );
}

const tracker = () => new PartitionStatusTracker({ windowSize: 4, stopAfterMs: 10_000 });

describe('PartitionStatusTracker', () => {
  it('ok while consuming keeps up, and while the window is not full', () => {
    const t = tracker();
    expect(
      feed(t, [
        [0, 0],
        [10, 5],
        [20, 8],
        [30, 12],
      ]),
    ).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('ok -> warn when the lag grows across the whole window, back to ok once it shrinks', () => {
    const t = tracker();
    const s = feed(t, [
      [0, 5],
      [10, 6],
      [20, 6],
      [30, 9],
      [40, 7],
    ]);
    expect(s).toEqual<PartitionStatus[]>(['ok', 'ok', 'ok', 'warn', 'ok']);
  });

  it('a constant lag with moving offsets is not warn (it did not grow)', () => {
    const t = tracker();
    expect(
      feed(t, [
        [0, 5],
        [10, 5],
        [20, 5],
        [30, 5],
      ]).at(-1),
    ).toBe('ok');
  });

  it('ok -> stall when the committed offset stays put while records wait, -> ok when it moves and catches up', () => {
    const t = tracker();
    const s = feed(t, [
      [50, 3],
      [50, 3],
      [50, 4],
      [50, 9],
      [60, 0],
    ]);
    expect(s).toEqual<PartitionStatus[]>(['ok', 'ok', 'ok', 'stall', 'ok']);
  });

  it('no stall when nothing waits (lag 0): an idle partition is ok', () => {
    const t = tracker();
    expect(
      feed(t, [
        [50, 0],
        [50, 0],
        [50, 0],
        [50, 0],
      ]).at(-1),
    ).toBe('ok');
  });

  it('ok -> stop when no sample arrives for longer than the threshold while lag > 0; a new sample ends it', () => {
    const t = tracker();
    feed(t, [
      [0, 5],
      [10, 5],
    ]);
    const last = 1_001_000;
    expect(t.status(last + 10_000)).toBe('ok');
    expect(t.status(last + 10_001)).toBe('stop');
    expect(t.record({ timeMs: last + 11_000, committedOffset: 20, lag: 5 })).toBe('ok');
  });

  it('no stop for a caught-up partition that gets no samples', () => {
    const t = tracker();
    feed(t, [[0, 0]]);
    expect(t.status(1_000_000 + 60_000)).toBe('ok');
  });

  it('-> rewind when the committed offset goes backwards, until that step leaves the window', () => {
    const t = tracker();
    const s = feed(t, [
      [100, 1],
      [90, 1],
      [95, 1],
      [100, 1],
      [105, 1],
    ]);
    // Window of 4: the 100 -> 90 step is in it until the fifth sample pushes 100 out.
    expect(s).toEqual<PartitionStatus[]>(['ok', 'rewind', 'rewind', 'rewind', 'ok']);
  });

  it('rewind outranks stop, stop outranks stall', () => {
    const t = tracker();
    feed(t, [
      [50, 3],
      [50, 3],
      [50, 3],
      [50, 3],
    ]);
    expect(t.status(1_003_000)).toBe('stall');
    expect(t.status(1_003_000 + 20_000)).toBe('stop');
    t.record({ timeMs: 1_004_000, committedOffset: 40, lag: 3 });
    expect(t.status(1_004_000 + 20_000)).toBe('rewind');
  });

  it('rejects a window below 2 and a non-positive stop threshold', () => {
    expect(() => new PartitionStatusTracker({ windowSize: 1, stopAfterMs: 1 })).toThrow(RangeError);
    expect(() => new PartitionStatusTracker({ stopAfterMs: 0 })).toThrow(RangeError);
  });
});
