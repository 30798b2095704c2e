/**
 * The RDD of one batch of a Kafka direct stream (Spark's KafkaRDD with HasOffsetRanges): exactly
 * the half-open `[fromOffset, untilOffset)` range each partition reads, the ranges the batch's
 * plan logged. Only the stream's own RDDs carry them; an RDD derived from one (map, reduceByKey)
 * does not, as in Spark. Module 1 knows nothing of this: the ranges live here, in the Kafka source.
 */
import type { DStream } from '../../dstream/dstream.js';
import { RDD, type RddEnv, type Sink } from '../../dstream/rdd.js';
import type { OffsetRange } from '../../topic-partition.js';
import type { KafkaRecord } from './kafka-record.js';

/** An RDD that knows the offset ranges its partitions read. */
export interface HasOffsetRanges {
  readonly offsetRanges: readonly OffsetRange[];
}

export class KafkaRDD<V = string | null> extends RDD<KafkaRecord<V>> implements HasOffsetRanges {
  constructor(
    env: RddEnv,
    /** Partition p reads `offsetRanges[p]`. */
    readonly offsetRanges: readonly OffsetRange[],
    iterate: (partition: number, sink: Sink<KafkaRecord<V>>) => void | Promise<void>,
    name: string,
    numPartitions = offsetRanges.length,
  ) {
    super(env, numPartitions, iterate, name);
  }
}

/** Whether `rdd` carries offset ranges (a Kafka direct stream's own RDD); Spark's `asInstanceOf[HasOffsetRanges]`. */
export function hasOffsetRanges<T>(rdd: RDD<T>): rdd is RDD<T> & HasOffsetRanges {
  return Array.isArray((rdd as Partial<HasOffsetRanges>).offsetRanges);
}

/**
 * A Kafka direct stream: a DStream of KafkaRecords whose own RDDs, handed to foreachRDD, are
 * KafkaRDDs, so `rdd.offsetRanges` is at hand where transactional sinks need it.
 */
export type KafkaDStream<V = string | null> = {
  // First, so that a callback's `rdd` is typed as a KafkaRDD (an intersection's signatures are
  // overloads, tried in order).
  foreachRDD(fn: (rdd: KafkaRDD<V>, batchTimeMs: number) => void | Promise<void>): void;
} & DStream<KafkaRecord<V>>;
