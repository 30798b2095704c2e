/**
 * Plans one batch of a direct Kafka stream: for each assigned partition, the half-open range
 * `[fromOffset, untilOffset)` to read, from the current position up to the high watermark,
 * capped as Spark's DirectKafkaInputDStream caps it (maxMessagesPerPartition):
 * - with a backpressure rate R (records/s), each partition gets R x its share of the total lag,
 *   never more than maxRatePerPartition;
 * - without one, each partition gets maxRatePerPartition (when set);
 * - a capped partition reads at least minRatePerPartition x batch seconds records (default 1),
 *   so a slow estimate can never stall a partition completely.
 */
import type { OffsetRange } from '../../topic-partition.js';

export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to read (the previous batch's untilOffset). */
  readonly current: number;
  /** The partition's high watermark (one past the last readable offset). */
  readonly latest: number;
}

export interface RangePlanOptions {
  readonly batchIntervalMs: number;
  /** Records/s per partition; 0 or undefined for no cap. */
  readonly maxRatePerPartition?: number | undefined;
  /** Records/s per partition that a cap never goes below; default 1 (Spark's). */
  readonly minRatePerPartition?: number | undefined;
  /** The backpressure rate for the whole stream (records/s), when backpressure is on and known. */
  readonly rate?: number | undefined;
}

export function planOffsetRanges(
  positions: readonly PartitionPosition[],
  options: RangePlanOptions,
): OffsetRange[] {
  const maxRate = options.maxRatePerPartition ?? 0;
  const minRate = options.minRatePerPartition ?? 1;
  const seconds = options.batchIntervalMs / 1000;
  const lags = positions.map((p) => Math.max(p.latest - p.current, 0));
  const totalLag = lags.reduce((a, b) => a + b, 0);

  const rate = options.rate;
  let limits: number[] | undefined;
  if (rate !== undefined && rate > 0) {
    // Spark divides by the total lag; with no lag at all there is nothing to share out.
    if (totalLag > 0) {
      limits = lags.map((lag) => {
        const share = (lag / totalLag) * rate;
        return maxRate > 0 ? Math.min(share, maxRate) : share;
      });
    }
  } else if (maxRate > 0) {
    limits = positions.map(() => maxRate);
  }

  // One limit per position, or none at all when nothing caps the batch.
  const caps = limits !== undefined && limits.reduce((a, b) => a + b, 0) > 0 ? limits : undefined;
  return positions.map((p, i) => {
    // A position past the watermark (the log was truncated or reset) must not plan a negative range.
    const from = Math.min(p.current, p.latest);
    let until = p.latest;
    const cap = caps?.[i];
    if (cap !== undefined) {
      const maxMessages = Math.max(Math.floor(seconds * cap), Math.floor(seconds * minRate) || 1);
      until = Math.min(from + maxMessages, p.latest);
    }
    return { topic: p.topic, partition: p.partition, fromOffset: from, untilOffset: until };
  });
}
