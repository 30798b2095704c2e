/**
 * The vocabulary of positions in a partitioned log (Kafka's): a topic-partition, a half-open
 * offset range read by one partition of a batch, and the one text key a topic-partition has in
 * maps, messages and logs. A root leaf: the Kafka source, the sinks, the offset log, the batch
 * record and telemetry share it without importing each other. Nothing here knows kafkajs.
 */

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * A half-open range `[fromOffset, untilOffset)` of one topic-partition: the records a batch
 * reads from it. Offsets are numbers. A batch's ranges are logged before the batch runs and are
 * never recomputed on replay.
 */
export interface OffsetRange extends TopicPartition {
  readonly fromOffset: number;
  readonly untilOffset: number;
}

/**
 * `topic-partition`, as Kafka itself prints a TopicPartition: the key of a partition in every map
 * and the name of a partition in every message. A partition is a number, so the last `-` splits
 * the key back (parseTopicPartitionKey) even for topics that contain `-`.
 */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** The topic-partition a topicPartitionKey() names; throws a RangeError on anything else. */
export function parseTopicPartitionKey(key: string): TopicPartition {
  const at = key.lastIndexOf('-');
  const digits = key.slice(at + 1);
  if (at <= 0 || !/^\d+$/.test(digits)) {
    throw new RangeError(
      `'${key}' is not a topic-partition key (expected topic-partition, for example events-3)`,
    );
  }
  return { topic: key.slice(0, at), partition: Number(digits) };
}
