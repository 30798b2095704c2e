/** Test helpers: collect each batch's output of a stream, keyed by batch time. */
import type { DStream } from '../../src/index.js';

export type Collected<T> = Map<number, T[]>;

/** Registers a foreachRDD that keeps every batch's collected elements (sorted for stable comparison). */
export function collect<T>(stream: DStream<T>): Collected<T> {
  const out: Collected<T> = new Map();
  stream.foreachRDD(async (rdd, t) => {
    out.set(t, sortStable(await rdd.collect()));
  });
  return out;
}

export function sortStable<T>(items: T[]): T[] {
  return [...items].sort((a, b) => {
    const x = JSON.stringify(a) ?? '';
    const y = JSON.stringify(b) ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** A Map's entries as a plain object for readable equality assertions. */
export function asObject<V>(pairs: [string, V][] | undefined): Record<string, V> {
  return Object.fromEntries(pairs ?? []);
}
