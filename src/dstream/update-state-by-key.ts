/**
 * updateStateByKey (Spark's StateDStream): state at time t = update(new values at t, state at
 * t - slide) for every key that has either. The state RDD is hash-partitioned by key so each
 * partition's update is local: partition p of the previous state meets partition p of the
 * grouped new values. Returning undefined from the update function removes the key.
 */
import type { ComputeFn, DStream } from './dstream.js';
import { type KeyId, keyIdOf } from './keys.js';
import type { RDD } from './rdd.js';

export function updateStateCompute<K, V, S>(
  parent: DStream<[K, V]>,
  update: (values: V[], state: S | undefined) => S | undefined,
  numPartitions: number,
): ComputeFn<[K, S]> {
  return (t, self) => {
    const previous: RDD<[K, S]> | undefined = self.getOrCompute(t - self.slideMs);
    const batch = parent.getOrCompute(t);
    let grouped: RDD<[K, V[]]>;
    if (batch) grouped = batch.groupByKey(numPartitions);
    else if (previous) grouped = previous.mapPartitions(() => []) as unknown as RDD<[K, V[]]>;
    else return undefined;
    const prior = previous ?? grouped.mapPartitions(() => [] as [K, S][]);
    return prior.zipPartitions(grouped, (states, news) => {
      const byKey = new Map<KeyId, [K, V[]]>();
      for (const kv of news) byKey.set(keyIdOf(kv[0]), kv);
      const out: [K, S][] = [];
      for (const [k, s] of states) {
        const id = keyIdOf(k);
        const values = byKey.get(id)?.[1] ?? [];
        byKey.delete(id);
        const next = update(values, s);
        if (next !== undefined) out.push([k, next]);
      }
      for (const [k, values] of byKey.values()) {
        const next = update(values, undefined);
        if (next !== undefined) out.push([k, next]);
      }
      return out;
    });
  };
}
