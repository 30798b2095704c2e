/**
 * Reading a whole topic back as a read_committed consumer sees it: what a fleet run (fleet.ts)
 * compares the sinks against. It uses the engine's own KafkaRangeReader, whose filter drops
 * aborted transactions even where they interleave (kafkajs' consumer lets some through), from
 * each partition's low to high watermark.
 */
import type { Kafka } from 'kafkajs';
import { KafkaRangeReader } from '../../src/sources/kafka/kafka-range-reader.js';

export interface TopicRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

/** Each partition's high watermark (one past its last offset). */
export async function topicEnds(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Every committed record of `topic`, partition by partition, in offset order. */
export async function readTopicRecords(kafka: Kafka, topic: string): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const reader = new KafkaRangeReader(kafka);
  const records: TopicRecord[] = [];
  try {
    for (const { partition, low, high } of offsets.sort((a, b) => a.partition - b.partition)) {
      const { messages } = await reader.read(topic, partition, Number(low), Number(high), 120_000);
      for (const m of messages) {
        records.push({
          partition,
          offset: m.offset,
          key: m.key?.toString() ?? null,
          value: m.value?.toString() ?? null,
        });
      }
    }
  } finally {
    await reader.close();
  }
  return records;
}
