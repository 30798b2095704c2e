/**
 * What a Kafka input reports besides its batches: the group's rebalances, offsets that moved
 * without the stream consuming them, and each planned partition's consumer lag (the kafkajs
 * idea: a feature declares its own instrumentation events). Members of SourceEvent
 * (input-events.ts). Offsets are numbers; `stream` is the input's name (`kafka:events`).
 * Types only.
 */
import type { TopicPartition } from '../topic-partition.js';

/**
 * Consumer lag of one Kafka partition, measured when a batch is planned: what remains to read
 * after that batch.
 */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** highWatermark - the batch's untilOffset: records left for later batches. */
  readonly records: number;
  /**
   * Age in seconds (now - Kafka timestamp) of the record at the batch's untilOffset, the oldest
   * one left; 0 when `records` is 0. Absent when that record has not been fetched yet.
   */
  readonly seconds?: number;
  /** One past the partition's last readable offset when the batch was planned. */
  readonly highWatermark: number;
  /** The offset the stream last committed for the partition (where the group would resume). */
  readonly committedOffset: number;
  /**
   * highWatermark - committedOffset: the lag external tools (kafka-lag-exporter, Burrow,
   * kafka-consumer-groups) show. Larger than `records` while a planned batch is not committed.
   */
  readonly committedLagRecords?: number;
  /**
   * Age in seconds of the record at the committed offset, the oldest one not committed; 0 when
   * `committedLagRecords` is 0. Absent when that record's timestamp is not known.
   */
  readonly committedLagSeconds?: number;
}

/** The group gave this agent a new assignment. */
export interface KafkaRebalance {
  readonly type: 'rebalance';
  readonly streamId: number;
  readonly stream: string;
  readonly assigned: readonly TopicPartition[];
  readonly revoked: readonly TopicPartition[];
}

/**
 * A partition's position moved without the stream consuming the records in between: retention
 * deleted them, or a stored offset lay outside the retained range. Data was skipped.
 */
export interface KafkaOffsetsReset {
  readonly type: 'offsets-reset';
  readonly streamId: number;
  readonly stream: string;
  readonly topic: string;
  readonly partition: number;
  readonly storedOffset: number;
  readonly resetTo: number;
  readonly reason: string;
}

/** One planned partition's consumer lag (one per partition per planned batch). */
export type KafkaPartitionLag = {
  readonly type: 'partition-lag';
  readonly streamId: number;
  readonly stream: string;
  /** The batch whose plan this lag was measured for. */
  readonly batchTime: number;
} & PartitionLag;
