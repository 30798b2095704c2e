/**
 * reduceByKeyAndWindow with an inverse function (Spark's ReducedWindowedDStream). The window at
 * time t is the previous window's result, minus (invF) the batches that slid out, plus (f) the
 * batches that slid in. Keys are never dropped by the arithmetic itself: a key whose count falls
 * back to 0 stays with value 0 unless the caller's filter removes it, exactly as in Spark.
 */
import { SidestreamError } from '../errors.js';
import type { ComputeFn, DStream } from './dstream.js';
import { RDD } from './rdd.js';

export function reducedWindowCompute<K, V>(
  reduced: DStream<[K, V]>,
  windowMs: number,
  slideMs: number,
  f: (a: V, b: V) => V,
  invF: (a: V, b: V) => V,
  filter: ((kv: [unknown, V]) => boolean) | undefined,
  numPartitions: number,
): ComputeFn<[K, V]> {
  const parentSlide = reduced.slideMs;
  return (t, self) => {
    const currentBegin = t - windowMs + parentSlide;
    const previousBegin = currentBegin - slideMs;
    const previousEnd = t - slideMs;
    // Batches that left the window, and batches that entered it, since the previous window.
    const oldRdds = reduced.slice(previousBegin, currentBegin - parentSlide);
    const newRdds = reduced.slice(previousEnd + parentSlide, t);
    const previous = self.getOrCompute(previousEnd) ?? RDD.empty<[K, V]>(reduced.scope.rddEnv);
    const numOld = oldRdds.length;
    const merged = previous.cogroup([...oldRdds, ...newRdds], numPartitions).map(([k, groups]): [K, V] => {
      // biome-ignore lint/style/noNonNullAssertion: cogroup gives every key one group per input, and `previous` is input 0.
      const prior = groups[0]!;
      const olds = groups
        .slice(1, 1 + numOld)
        .filter((g) => g.length > 0)
        .map((g) => g[0] as V);
      const news = groups
        .slice(1 + numOld)
        .filter((g) => g.length > 0)
        .map((g) => g[0] as V);
      if (prior.length === 0) {
        if (news.length === 0) {
          throw new SidestreamError(
            'SS_CONTEXT_STATE',
            'reduceByKeyAndWindow: a key left the window that never entered it; keys must compare equal across batches',
          );
        }
        return [k, news.reduce(f)];
      }
      let value = prior[0] as V;
      if (olds.length > 0) value = invF(value, olds.reduce(f));
      if (news.length > 0) value = f(value, news.reduce(f));
      return [k, value];
    });
    return filter ? merged.filter(filter as (kv: [K, V]) => boolean) : merged;
  };
}
