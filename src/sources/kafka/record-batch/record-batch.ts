/**
 * RecordBatch: what the decoder (decode-record-batches.ts) yields per Kafka record batch (message
 * format v2): the header fields a reader needs (transactions, control markers, the offset after
 * the batch even when compaction removed its last records) and the batch's data records.
 */
import type { KafkaBatchRecord } from './kafka-batch-record.js';

/** The batch's compression (attributes bits 0-2). */
export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Whether record timestamps are the producer's (CreateTime) or the broker's (LogAppendTime). */
export type TimestampType = 'CreateTime' | 'LogAppendTime';

/** The marker a control batch carries: the end of a producer's transaction. */
export type ControlMarker = 'commit' | 'abort';

export interface RecordBatch {
  readonly baseOffset: number;
  /** The last offset of the batch is `baseOffset + lastOffsetDelta`, whatever records remain. */
  readonly lastOffsetDelta: number;
  readonly partitionLeaderEpoch: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  /** -1 for a producer without idempotence or transactions. */
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly codec: CompressionCodec;
  readonly timestampType: TimestampType;
  /** A control batch's marker (undefined for data batches and unknown control types). */
  readonly control: ControlMarker | undefined;
  /** The data records, in offset order; none for a control batch. */
  readonly records: KafkaBatchRecord[];
}

/** The offset after `batch`: where the next fetch starts once the batch is consumed. */
export function nextOffsetAfter(batch: RecordBatch): number {
  return batch.baseOffset + batch.lastOffsetDelta + 1;
}
