/**
 * Windows, worked out by hand with Spark's rules: batch interval 1s, zero time 0, first batch at
 * 1000; a window at time t covers the parent's batches in (t - window, t]; a window stream only
 * produces output at times that are multiples of its slide counted from the zero time.
 */
import { describe, expect, it } from 'vitest';
import { asObject, collect } from '../support/collect.js';
import { type ManualContext, manualContexts } from '../support/manual-contexts.js';
import { startManual } from '../support/manual-run.js';

const manualContext = manualContexts();

function context(): ManualContext {
  return manualContext({ appName: 'win', batchIntervalMs: 1000, defaultParallelism: 2 });
}

// Keyed batches 1..8: b1 = a,a,b  b2 = a  b3 = b  b4 = (none)  b5 = a  b6.. = (none)
const KEYED: [string, number][][] = [
  [
    ['a', 1],
    ['a', 1],
    ['b', 1],
  ],
  [['a', 1]],
  [['b', 1]],
  [],
  [['a', 1]],
];

describe('window', () => {
  it('window with slide != length outputs only at slide multiples of the zero time', async () => {
    const { ssc, clock } = context();
    const s = ssc.queueStream([[1], [2], [3], [4], [5], [6]]);
    const w = collect(s.window(3000, 2000));
    const run = await startManual(ssc, clock);
    await run.step(6);
    expect([...w.keys()]).toEqual([2000, 4000, 6000]);
    expect(w.get(2000)).toEqual([1, 2]); // time 0 is the zero time: no batch there
    expect(w.get(4000)).toEqual([2, 3, 4]);
    expect(w.get(6000)).toEqual([4, 5, 6]);
  });

  it('rejects a window that is not a multiple of the batch interval, naming both fixes', () => {
    const { ssc } = context();
    const s = ssc.queueStream<number>([]);
    expect(() => s.window(2500)).toThrow(/window length 2.5s is not a positive multiple.*use 2s or 3s/);
    expect(() => s.window(3000, 1500)).toThrow(/window slide 1.5s/);
    expect(() => s.window(0)).toThrow(/SS_WINDOW|not a positive multiple/);
  });

  it('reduceByKeyAndWindow without an inverse reduces each window from its batches', async () => {
    const { ssc, clock } = context();
    const w = collect(ssc.queueStream(KEYED.map((b) => [...b])).reduceByKeyAndWindow((x, y) => x + y, 3000));
    const run = await startManual(ssc, clock);
    await run.step(8);
    expect(asObject(w.get(1000))).toEqual({ a: 2, b: 1 });
    expect(asObject(w.get(2000))).toEqual({ a: 3, b: 1 });
    expect(asObject(w.get(3000))).toEqual({ a: 3, b: 2 });
    expect(asObject(w.get(4000))).toEqual({ a: 1, b: 1 });
    expect(asObject(w.get(5000))).toEqual({ a: 1, b: 1 });
    expect(asObject(w.get(6000))).toEqual({ a: 1 });
    expect(asObject(w.get(7000))).toEqual({ a: 1 });
    expect(asObject(w.get(8000))).toEqual({});
  });

  it('reduceByKeyAndWindow with an inverse keeps keys that fall to zero (as Spark does)', async () => {
    const { ssc, clock } = context();
    const w = collect(
      ssc.queueStream(KEYED.map((b) => [...b])).reduceByKeyAndWindow(
        (x, y) => x + y,
        3000,
        1000,
        (x, y) => x - y,
      ),
    );
    const run = await startManual(ssc, clock);
    await run.step(8);
    expect(asObject(w.get(1000))).toEqual({ a: 2, b: 1 });
    expect(asObject(w.get(3000))).toEqual({ a: 3, b: 2 });
    expect(asObject(w.get(4000))).toEqual({ a: 1, b: 1 });
    expect(asObject(w.get(5000))).toEqual({ a: 1, b: 1 });
    expect(asObject(w.get(6000))).toEqual({ a: 1, b: 0 });
    expect(asObject(w.get(7000))).toEqual({ a: 1, b: 0 });
    expect(asObject(w.get(8000))).toEqual({ a: 0, b: 0 });
  });

  it('reduceByKeyAndWindow with an inverse and a filter drops the keys the filter rejects', async () => {
    const { ssc, clock } = context();
    const w = collect(
      ssc.queueStream(KEYED.map((b) => [...b])).reduceByKeyAndWindow(
        (x, y) => x + y,
        3000,
        1000,
        (x, y) => x - y,
        { filter: ([, v]) => v > 0 },
      ),
    );
    const run = await startManual(ssc, clock);
    await run.step(8);
    expect(asObject(w.get(5000))).toEqual({ a: 1, b: 1 });
    expect(asObject(w.get(6000))).toEqual({ a: 1 });
    expect(asObject(w.get(8000))).toEqual({});
  });

  it('reduceByKeyAndWindow with an inverse and slide 2s matches the plain window reduction', async () => {
    const { ssc, clock } = context();
    const data = () =>
      Array.from({ length: 10 }, (_, i) =>
        Array.from({ length: (i * 7) % 5 }, (_, j): [string, number] => [`k${(i + j) % 3}`, i + j]),
      );
    const inv = collect(
      ssc.queueStream(data()).reduceByKeyAndWindow(
        (x, y) => x + y,
        4000,
        2000,
        (x, y) => x - y,
      ),
    );
    const plain = collect(ssc.queueStream(data()).reduceByKeyAndWindow((x, y) => x + y, 4000, 2000));
    const run = await startManual(ssc, clock);
    await run.step(12);
    expect([...inv.keys()]).toEqual([2000, 4000, 6000, 8000, 10000, 12000]);
    for (const [t, pairs] of plain) {
      // The inverse form also keeps zero-valued keys; apart from those the two must agree.
      expect(asObject(inv.get(t)?.filter(([, v]) => v !== 0))).toEqual(asObject(pairs));
    }
  });

  it('countByWindow and reduceByWindow follow Spark (countByWindow keeps reporting 0)', async () => {
    const { ssc, clock } = context();
    const batches = () => [['x', 'x'], ['x'], [], ['x', 'x', 'x']];
    const counts = collect(ssc.queueStream(batches()).countByWindow(3000, 1000));
    const longest = collect(
      ssc.queueStream(batches()).reduceByWindow((a, b) => (a.length >= b.length ? a : b), 2000, 1000),
    );
    const run = await startManual(ssc, clock);
    await run.step(7);
    expect([1000, 2000, 3000, 4000, 5000, 6000, 7000].map((t) => counts.get(t))).toEqual([
      [2],
      [3],
      [3],
      [4],
      [3],
      [3],
      [0],
    ]);
    expect(longest.get(2000)).toEqual(['x']);
    expect(longest.get(6000)).toEqual([]);
  });

  it('remembers only what windows still need', async () => {
    const { ssc, clock } = context();
    const s = ssc.queueStream(Array.from({ length: 30 }, (_, i) => [i]));
    const windowed = s.window(3000, 1000);
    collect(windowed);
    const run = await startManual(ssc, clock);
    await run.step(30);
    // The parent must keep the window (3s) plus the window stream's own slide: at most 4 batches.
    expect(s.rememberedTimes().length).toBeLessThanOrEqual(4);
    expect(s.rememberedTimes().at(-1)).toBe(30_000);
  });
});
