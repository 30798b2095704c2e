/**
 * window(): the union of the parent's RDDs over `(t - windowMs, t]` (Spark's WindowedDStream).
 * The window's own slide decides at which times it produces output; the window itself is always
 * aligned to the context's zero time, so early windows simply hold fewer batches.
 */
import type { ComputeFn, DStream } from './dstream.js';
import { RDD } from './rdd.js';

export function windowCompute<T>(parent: DStream<T>, windowMs: number): ComputeFn<T> {
  return (t) => {
    const [first, ...rest] = parent.slice(t - windowMs + parent.slideMs, t);
    return first ? first.union(...rest) : RDD.empty<T>(parent.scope.rddEnv);
  };
}
