/**
 * The partitions a direct stream owns now, as the group last assigned them, each with the buffer
 * the group consumer fetches into, the next offset a batch plans from, and where the group
 * resumes it. The group membership adds and revokes partitions; planning claims ranges; commits
 * and finished batches move the committed offsets and free the buffers.
 */
import { type OffsetRange, type TopicPartition, topicPartitionKey } from '../../topic-partition.js';
import { PartitionBuffer } from './partition-buffer.js';

export interface OwnedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly buffer: PartitionBuffer;
  /** Next offset to plan from. */
  current: number;
  /** Where the group resumes: the until-offset last committed, or where the partition started. */
  committed: number;
  /** eachBatch passed over the fetched batch: kafkajs' END_BATCH_PROCESS must not advance the buffer. */
  skipBatchEnd: boolean;
}

export class PartitionTable {
  private readonly byKey = new Map<string, OwnedPartition>();

  get size(): number {
    return this.byKey.size;
  }

  get(tp: TopicPartition): OwnedPartition | undefined {
    return this.byKey.get(topicPartitionKey(tp.topic, tp.partition));
  }

  has(tp: TopicPartition): boolean {
    return this.byKey.has(topicPartitionKey(tp.topic, tp.partition));
  }

  /** Partition keys (topicPartitionKey), in the order the partitions were assigned. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  values(): OwnedPartition[] {
    return [...this.byKey.values()];
  }

  /** Sorted by topic, then partition: the order a batch plans them in. */
  sorted(): OwnedPartition[] {
    return this.values().sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
  }

  /** The next offset to plan from, per partition key. */
  positions(): Map<string, number> {
    return new Map([...this.byKey].map(([key, a]) => [key, a.current]));
  }

  /** A newly assigned partition, positioned at `start`. */
  add(tp: TopicPartition, start: number): void {
    this.byKey.set(topicPartitionKey(tp.topic, tp.partition), {
      topic: tp.topic,
      partition: tp.partition,
      buffer: new PartitionBuffer(start),
      current: start,
      committed: start,
      skipBatchEnd: false,
    });
  }

  /**
   * The partition under `key` went to another agent. Reads of a planned range that can no longer
   * be fetched fail at once (the batch is then re-planned) instead of waiting out the fetch timeout.
   */
  revoke(key: string, description: string): void {
    this.byKey.get(key)?.buffer.revoke(description);
    this.byKey.delete(key);
  }

  /**
   * The ranges a batch takes: those of owned partitions positioned exactly at their from-offset
   * (a rebalance may have moved the others since they were planned), each partition moved on to
   * the range's until-offset.
   */
  claim(ranges: readonly OffsetRange[]): OffsetRange[] {
    const owned = ranges.filter((r) => this.get(r)?.current === r.fromOffset);
    for (const r of owned) {
      const a = this.get(r);
      if (!a) continue;
      a.current = r.untilOffset;
      a.buffer.planned(r.untilOffset);
    }
    return owned;
  }

  /** The ranges' until-offsets were committed to Kafka. */
  committedTo(ranges: readonly OffsetRange[]): void {
    for (const r of ranges) {
      const a = this.get(r);
      if (a) a.committed = r.untilOffset;
    }
  }

  /** The batch of these ranges is over: its records are no longer needed in memory. */
  release(ranges: readonly OffsetRange[]): void {
    for (const r of ranges) this.get(r)?.buffer.release(r.untilOffset);
  }

  /** What KafkaDirectSource.assignment() shows. */
  assignment(): { topic: string; partition: number; current: number; committed: number }[] {
    return this.values().map((a) => ({
      topic: a.topic,
      partition: a.partition,
      current: a.current,
      committed: a.committed,
    }));
  }
}
