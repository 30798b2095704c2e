/**
 * A direct stream's consumer lag, measured once per planned batch (docs/kafka.md, "Consumer
 * lag"): per planned partition, the records left up to the high watermark once the batch's range
 * is read and the age of the first of them, and the same from the offset last committed to Kafka
 * (what outside lag tools see, larger while batches are in flight). One lookup per partition and
 * offset per batch, nothing per record; every fetch is bounded, so a broker that does not answer
 * leaves a lag's seconds absent instead of holding the batch.
 */
import type { PartitionLag } from '../../events/index.js';
import type { Clock } from '../../time.js';
import { type OffsetRange, type TopicPartition, topicPartitionKey } from '../../topic-partition.js';
import type { KafkaRangeReader } from './kafka-range-reader.js';
import type { PartitionTable } from './partition-table.js';

export interface LagSources {
  /** High watermarks per partition key that the batch's plan fetched; undefined for a re-run batch. */
  readonly planned: ReadonlyMap<string, number> | undefined;
  /** Today's high watermarks of some partitions (GroupMembership.highWatermarks, bounded); undefined when not connected. */
  highWatermarks(parts: readonly TopicPartition[]): Promise<ReadonlyMap<string, number> | undefined>;
  readonly table: PartitionTable;
  /** Executors read the ranges: nothing is buffered ahead, so the next record is fetched for its timestamp. */
  readonly onDemand: boolean;
  reader(): KafkaRangeReader;
  readonly clock: Clock;
  /** Longest one record's fetch for its timestamp may take. */
  readonly fetchTimeoutMs: number;
}

/**
 * Lag after `ranges` are read: `highWatermark - untilOffset` records and the age of the record at
 * untilOffset, and `highWatermark - committedOffset` records and the age of the record at the
 * committed offset, each age when it is known (buffered, or fetched).
 */
export async function measureConsumerLag(
  ranges: readonly OffsetRange[],
  sources: LagSources,
): Promise<PartitionLag[]> {
  if (ranges.length === 0) return [];
  // A re-run batch keeps its logged ranges; the watermarks are still today's.
  const high = sources.planned ?? (await sources.highWatermarks(ranges));
  const { table, onDemand } = sources;
  // The offsets whose record's timestamp is wanted, per partition key: the first record left
  // behind the batch and the first one not committed, when records lie behind them.
  const wanted: { r: OffsetRange; key: string; offset: number; kind: 'until' | 'committed' }[] = [];
  for (const r of ranges) {
    const key = topicPartitionKey(r.topic, r.partition);
    const a = table.get(r);
    const h = high?.get(key);
    if (!a || h === undefined) continue;
    if (h > r.untilOffset) wanted.push({ r, key, offset: r.untilOffset, kind: 'until' });
    if (h > a.committed && a.committed !== r.untilOffset)
      wanted.push({ r, key, offset: a.committed, kind: 'committed' });
  }
  const timestamps = new Map<string, number | undefined>();
  const at = (key: string, offset: number) => `${key}@${offset}`;
  await Promise.all(
    wanted.map(async ({ r, key, offset, kind }) => {
      // The group consumer's buffer has what it fetched ahead and not yet released (the record
      // at the committed offset, normally: a batch's records are released once it committed).
      // Reading on demand nothing is buffered; and the committed offset's record may not be held
      // (not fetched yet, or released after a failed commit to Kafka): one small fetch, bounded.
      // The first record left behind the batch is only looked up in the buffer when there is one.
      const buffered = onDemand ? undefined : table.get(r)?.buffer.timestampAt(offset);
      if (buffered !== undefined || (!onDemand && kind === 'until')) {
        timestamps.set(at(key, offset), buffered);
        return;
      }
      const next = await sources
        .reader()
        .read(r.topic, r.partition, offset, offset + 1, sources.fetchTimeoutMs, 1)
        .catch(() => undefined);
      timestamps.set(at(key, offset), next?.messages[0]?.timestamp);
    }),
  );
  const now = sources.clock.now();
  const age = (records: number, timestamp: number | undefined) =>
    records === 0
      ? 0
      : timestamp === undefined || timestamp < 0
        ? undefined
        : Math.max(now - timestamp, 0) / 1000;
  const lag: PartitionLag[] = [];
  for (const r of ranges) {
    const key = topicPartitionKey(r.topic, r.partition);
    const a = table.get(r);
    const highWatermark = high?.get(key);
    if (!a || highWatermark === undefined) continue;
    const records = Math.max(highWatermark - r.untilOffset, 0);
    const seconds = age(records, timestamps.get(at(key, r.untilOffset)));
    const committedLagRecords = Math.max(highWatermark - a.committed, 0);
    const committedLagSeconds = age(committedLagRecords, timestamps.get(at(key, a.committed)));
    lag.push({
      topic: r.topic,
      partition: r.partition,
      records,
      ...(seconds === undefined ? {} : { seconds }),
      highWatermark,
      committedOffset: a.committed,
      committedLagRecords,
      ...(committedLagSeconds === undefined ? {} : { committedLagSeconds }),
    });
  }
  return lag;
}
