/**
 * A direct stream's consumer lag, measured once per planned batch (docs/kafka.md, "Consumer
 * lag"): per planned partition, the records left up to the high watermark once the batch's range
 * is read, and the age of the first of them. One lookup per partition per batch, nothing per
 * record.
 */
import type { PartitionLag } from '../../events/index.js';
import type { Clock } from '../../time.js';
import { type OffsetRange, topicPartitionKey } from '../../topic-partition.js';
import type { KafkaRangeReader } from './kafka-range-reader.js';
import type { PartitionTable } from './partition-table.js';

export interface LagSources {
  /** High watermarks per partition key that the batch's plan fetched; undefined for a re-run batch. */
  readonly planned: ReadonlyMap<string, number> | undefined;
  /** Today's high watermarks (GroupMembership.highWatermarks); undefined when not connected. */
  highWatermarks(topics: Iterable<string>): Promise<ReadonlyMap<string, number> | undefined>;
  readonly table: PartitionTable;
  /** Executors read the ranges: nothing is buffered ahead, so the next record is fetched for its timestamp. */
  readonly onDemand: boolean;
  reader(): KafkaRangeReader;
  readonly clock: Clock;
}

/**
 * Lag after `ranges` are read: `highWatermark - untilOffset` records, and the age of the record
 * at untilOffset when it is known (buffered, or fetched when reading on demand).
 */
export async function measureConsumerLag(
  ranges: readonly OffsetRange[],
  sources: LagSources,
): Promise<PartitionLag[]> {
  if (ranges.length === 0) return [];
  // A re-run batch keeps its logged ranges; the watermarks are still today's.
  const high = sources.planned ?? (await sources.highWatermarks(new Set(ranges.map((r) => r.topic))));
  const { table, onDemand } = sources;
  // Reading on demand, nothing is buffered ahead: the first record left is fetched (one small
  // fetch per lagging partition, in parallel, bounded) for its timestamp.
  const ahead = new Map<string, number | undefined>();
  if (onDemand) {
    await Promise.all(
      ranges.map(async (r) => {
        const key = topicPartitionKey(r.topic, r.partition);
        const h = high?.get(key);
        if (h === undefined || h <= r.untilOffset) return;
        const next = await sources
          .reader()
          .read(r.topic, r.partition, r.untilOffset, r.untilOffset + 1, 1000)
          .catch(() => undefined);
        ahead.set(key, next?.messages[0]?.timestamp);
      }),
    );
  }
  const now = sources.clock.now();
  const lag: PartitionLag[] = [];
  for (const r of ranges) {
    const key = topicPartitionKey(r.topic, r.partition);
    const a = table.get(r);
    const highWatermark = high?.get(key);
    if (!a || highWatermark === undefined) continue;
    const records = Math.max(highWatermark - r.untilOffset, 0);
    const timestamp =
      records === 0 ? undefined : onDemand ? ahead.get(key) : a.buffer.timestampAt(r.untilOffset);
    const seconds =
      records === 0
        ? 0
        : timestamp === undefined || timestamp < 0
          ? undefined
          : Math.max(now - timestamp, 0) / 1000;
    lag.push({
      topic: r.topic,
      partition: r.partition,
      records,
      ...(seconds === undefined ? {} : { seconds }),
      highWatermark,
      committedOffset: a.committed,
    });
  }
  return lag;
}
