/**
 * committedBatchRecords: the read_committed view of one fetched partition from its decoded
 * record batches, as the Java consumer computes it (per batch): before each batch, every aborted
 * transaction the broker lists whose first offset is at or below the batch's last offset is
 * activated, ALL of those that are due (so two aborted transactions interleaved in a partition
 * are both dropped: committed-records.ts explains why kafkajs' own filter gets that wrong); a
 * transactional batch of an active producer is dropped; that producer's ABORT marker ends it;
 * control batches are never data.
 */
import type { KafkaBatchRecord } from './kafka-batch-record.js';
import type { RecordBatch } from './record-batch.js';

/** An aborted transaction as the Fetch response lists it. */
export interface AbortedTransactionAt {
  readonly producerId: number;
  readonly firstOffset: number;
}

export function committedBatchRecords(
  batches: readonly RecordBatch[],
  aborted: readonly AbortedTransactionAt[] | undefined,
): KafkaBatchRecord[] {
  const pending = aborted === undefined ? [] : [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  const active = new Set<number>();
  let next = 0;
  const out: KafkaBatchRecord[] = [];
  for (const batch of batches) {
    const lastOffset = batch.baseOffset + batch.lastOffsetDelta;
    for (let txn = pending[next]; txn && txn.firstOffset <= lastOffset; txn = pending[++next])
      active.add(txn.producerId);
    if (batch.isControl) {
      if (batch.control === 'abort') active.delete(batch.producerId);
      continue;
    }
    if (batch.isTransactional && active.has(batch.producerId)) continue;
    for (const record of batch.records) out.push(record);
  }
  return out;
}
