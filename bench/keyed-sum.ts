/**
 * The job the in-memory benchmarks measure, written once: keyed records mapped to pairs, a third
 * of them filtered out, summed per key (map + filter + reduceByKey) and every reduced value
 * collected. The plain-loop side of bench/throughput.ts calls the same three functions, so both
 * sides make exactly the same per-record calls.
 */
import type { DStream } from '../src/index.js';

export interface KeyedRecord {
  readonly key: string;
  readonly value: number;
}

export const toPair = (r: KeyedRecord): [string, number] => [r.key, r.value];
export const keep = (kv: [string, number]): boolean => kv[1] % 3 !== 0;
export const add = (a: number, b: number): number => a + b;

/** The engine side: `onSum` gets every value reduceByKey produced, batch after batch. */
export function keyedSum<R extends KeyedRecord>(records: DStream<R>, onSum: (value: number) => void): void {
  records
    .map(toPair)
    .filter(keep)
    .reduceByKey(add)
    .foreachRDD(async (rdd) => {
      for (const [, v] of await rdd.collect()) onSum(v);
    });
}
