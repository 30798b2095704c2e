/**
 * Pairs without tuples: mapValues, flatMapValues, a combine's reduce side and the pairs of
 * DStream.countByValue and reduce hand a map-side combine a key and a value (iteratePairs), not a
 * tuple. The answers must be the same as through tuples, persisted or not, and the combine must
 * take that path: it never asks such an RDD for its tuples.
 */
import { describe, expect, it, vi } from 'vitest';
import { RDD, standaloneRddEnv } from '../../src/dstream/rdd.js';

const words = Array.from({ length: 500 }, (_, i) => `w${(i * 7919) % 37}`);

/** The counts per word the plain way, sorted. */
function expectedCounts(xs: readonly string[], weight: (w: string) => number = () => 1): [string, number][] {
  const m = new Map<string, number>();
  for (const w of xs) m.set(w, (m.get(w) ?? 0) + weight(w));
  return [...m].sort(([a], [b]) => a.localeCompare(b));
}

const sorted = (kvs: [string, number][]) => [...kvs].sort(([a], [b]) => a.localeCompare(b));

describe('pair iteration', () => {
  it('reduceByKey over mapValues and flatMapValues gives what the tuples give, and reads no tuple', async () => {
    const source = RDD.parallelize(standaloneRddEnv, words, 4).map((w): [string, number] => [w, w.length]);
    const mapped = source.mapValues((n) => n * 10);
    const flat = mapped.flatMapValues((n) => [n, 1]);
    const tuples = vi.spyOn(mapped, 'iterate');
    const flatTuples = vi.spyOn(flat, 'iterate');
    const reduced = await flat.reduceByKey((a, b) => a + b, 3).collect();
    expect(sorted(reduced)).toEqual(expectedCounts(words, (w) => w.length * 10 + 1));
    // The combine took keys and values from flatMapValues, which took them from mapValues.
    expect(flatTuples).not.toHaveBeenCalled();
    expect(tuples).not.toHaveBeenCalled();
    // Asked for elements, the same RDDs give tuples: two per word, in order.
    const elements = await flat.collect();
    expect(elements).toHaveLength(words.length * 2);
    expect(elements.slice(0, 4)).toEqual([
      [words[0], (words[0] as string).length * 10],
      [words[0], 1],
      [words[1], (words[1] as string).length * 10],
      [words[1], 1],
    ]);
  });

  it('reads a persisted RDD through its kept tuples, and the answer is the same', async () => {
    let computed = 0;
    const source = RDD.parallelize(standaloneRddEnv, words, 2).map((w): [string, number] => {
      computed++;
      return [w, 1];
    });
    const mapped = source.mapValues((n) => n + 1).persist();
    await mapped.materialize();
    expect(computed).toBe(words.length);
    const reduced = await mapped.reduceByKey((a, b) => a + b).collect();
    expect(sorted(reduced)).toEqual(expectedCounts(words, () => 2));
    // The kept partitions were read: the chain was not computed again.
    expect(computed).toBe(words.length);
  });

  it("chains a combine's reduce side into another combine as keys and values", async () => {
    const counted = RDD.parallelize(standaloneRddEnv, words, 3)
      .pairsBy(
        'countByValue',
        (w) => w,
        () => 1,
      )
      .reduceByKey((a, b) => a + b, 4);
    const byLength = counted.mapValues((n) => n).reduceByKey((a, b) => a + b, 2);
    const tuples = vi.spyOn(counted, 'iterate');
    expect(sorted(await byLength.collect())).toEqual(expectedCounts(words));
    expect(tuples).not.toHaveBeenCalled();
  });

  it('groupByKey and combineByKey see the same values in the same order through pairs', async () => {
    const pairs = RDD.parallelize(standaloneRddEnv, words, 1).pairsBy(
      'pairs',
      (w) => w.length,
      (w) => w,
    );
    const grouped = await pairs.groupByKey(1).collect();
    const byTuples = await RDD.parallelize(standaloneRddEnv, words, 1)
      .map((w): [number, string] => [w.length, w])
      .groupByKey(1)
      .collect();
    expect(grouped).toEqual(byTuples);
  });
});
