/**
 * Operator semantics on queueStream against hand-computed expectations. Batch interval 1s on a
 * ManualClock starting at 0: the first batch time is 1000, the zero time 0 (Spark's rule).
 */
import { describe, expect, it } from 'vitest';
import { asObject, collect } from '../support/collect.js';
import { type ManualContext, manualContexts } from '../support/manual-contexts.js';
import { startManual } from '../support/manual-run.js';

const manualContext = manualContexts();

function context(partitions = 2): ManualContext {
  return manualContext({ appName: 'ops', batchIntervalMs: 1000, defaultParallelism: partitions });
}

describe('element-wise operators', () => {
  it('map, flatMap, filter, mapPartitions and transform see every element once per batch', async () => {
    const { ssc, clock } = context(3);
    const lines = ssc.queueStream([['a b', 'c'], ['d e f']]);
    const mapped = collect(lines.map((l) => l.length));
    const words = collect(lines.flatMap((l) => l.split(' ')));
    const filtered = collect(lines.filter((l) => l.includes(' ')));
    const perPartition = collect(lines.mapPartitions((items, p) => [`${p}:${items.length}`]));
    const transformed = collect(lines.transform((rdd, t) => rdd.map((l) => `${t}/${l}`)));
    const run = await startManual(ssc, clock);
    await run.step(2);
    expect(mapped.get(1000)).toEqual([1, 3]);
    expect(words.get(1000)).toEqual(['a', 'b', 'c']);
    expect(words.get(2000)).toEqual(['d', 'e', 'f']);
    expect(filtered.get(1000)).toEqual(['a b']);
    // Two records over three partitions: slices [0,0), [0,1), [1,2) as Spark's parallelize.
    expect(perPartition.get(1000)).toEqual(['0:0', '1:1', '2:1']);
    expect(transformed.get(2000)).toEqual(['2000/d e f']);
  });

  it('union combines streams with the same slide and rejects different slides', async () => {
    const { ssc, clock } = context();
    const a = ssc.queueStream([[1, 2], [5]]);
    const b = ssc.queueStream([[3], []]);
    const u = collect(a.union(b));
    expect(() => a.union(b.window(2000, 2000))).toThrow(/same slide/);
    const run = await startManual(ssc, clock);
    await run.step(2);
    expect(u.get(1000)).toEqual([1, 2, 3]);
    expect(u.get(2000)).toEqual([5]);
  });

  it('count emits 0 for an empty batch; reduce emits nothing; countByValue counts', async () => {
    const { ssc, clock } = context();
    const s = ssc.queueStream([['x', 'y', 'x'], []]);
    const counts = collect(s.count());
    const reduced = collect(s.reduce((a, b) => (a < b ? b : a)));
    const byValue = collect(s.countByValue());
    const run = await startManual(ssc, clock);
    await run.step(2);
    expect(counts.get(1000)).toEqual([3]);
    expect(counts.get(2000)).toEqual([0]);
    expect(reduced.get(1000)).toEqual(['y']);
    expect(reduced.get(2000)).toEqual([]);
    expect(asObject(byValue.get(1000))).toEqual({ x: 2, y: 1 });
  });

  it('repartition changes the partition count without losing elements', async () => {
    const { ssc, clock } = context(1);
    const s = ssc.queueStream([[1, 2, 3, 4, 5, 6, 7]]);
    const sizes: number[][] = [];
    s.repartition(3).foreachRDD(async (rdd) => {
      sizes.push(await rdd.runJob('sizes', (items) => items.length));
    });
    const all = collect(s.repartition(3));
    const run = await startManual(ssc, clock);
    await run.step();
    expect(sizes[0]).toHaveLength(3);
    expect(sizes[0]!.reduce((a, b) => a + b)).toBe(7);
    expect(all.get(1000)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('pair operators', () => {
  it('reduceByKey, groupByKey and mapValues aggregate per key within a batch', async () => {
    const { ssc, clock } = context(3);
    const s = ssc.queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 2],
        ['a', 3],
        ['c', 4],
        ['a', 5],
      ],
    ]);
    const sums = collect(s.reduceByKey((x, y) => x + y));
    const groups = collect(s.groupByKey().mapValues((vs) => [...vs].sort()));
    const doubled = collect(s.mapValues((v) => v * 2).reduceByKey((x, y) => x + y, 1));
    const run = await startManual(ssc, clock);
    await run.step();
    expect(asObject(sums.get(1000))).toEqual({ a: 9, b: 2, c: 4 });
    expect(asObject(groups.get(1000))).toEqual({ a: [1, 3, 5], b: [2], c: [4] });
    expect(asObject(doubled.get(1000))).toEqual({ a: 18, b: 4, c: 8 });
  });

  it('object keys compare by value, as Spark compares case-class keys', async () => {
    const { ssc, clock } = context(2);
    const s = ssc.queueStream<[{ user: string; day: number }, number]>([
      [
        [{ user: 'u', day: 1 }, 1],
        [{ user: 'u', day: 1 }, 1],
        [{ user: 'u', day: 2 }, 1],
      ],
    ]);
    const sums = collect(s.reduceByKey((a, b) => a + b));
    const run = await startManual(ssc, clock);
    await run.step();
    expect(sums.get(1000)).toEqual([
      [{ user: 'u', day: 1 }, 2],
      [{ user: 'u', day: 2 }, 1],
    ]);
  });

  it('join and leftOuterJoin pair the two streams per batch', async () => {
    const { ssc, clock } = context(2);
    const left = ssc.queueStream<[string, number]>([
      [
        ['k1', 1],
        ['k2', 2],
      ],
      [['k1', 3]],
    ]);
    const right = ssc.queueStream<[string, string]>([
      [
        ['k1', 'a'],
        ['k1', 'b'],
        ['k3', 'c'],
      ],
      [['k2', 'd']],
    ]);
    const joined = collect(left.join(right));
    const outer = collect(left.leftOuterJoin(right));
    const run = await startManual(ssc, clock);
    await run.step(2);
    expect(joined.get(1000)).toEqual([
      ['k1', [1, 'a']],
      ['k1', [1, 'b']],
    ]);
    expect(joined.get(2000)).toEqual([]);
    expect(outer.get(1000)).toEqual([
      ['k1', [1, 'a']],
      ['k1', [1, 'b']],
      ['k2', [2, undefined]],
    ]);
    expect(outer.get(2000)).toEqual([['k1', [3, undefined]]]);
  });
});
