/**
 * committedRecords: the read_committed view of one fetched partition, as the Java consumer
 * computes it. Every aborted transaction the broker lists (producer id, first offset) is
 * activated at the first record at or past its first offset, ALL of those that are due, not one
 * per record; a transactional record of an active producer is dropped; that producer's ABORT
 * marker ends it; control records are never data.
 *
 * kafkajs' own filter (consumer/filterAbortedMessages.js, 2.2.4) activates at most one aborted
 * transaction per record, so when two aborted transactions interleave in a partition (two
 * transactional producers writing to the same output partition at once) records of the second
 * slip through as if committed. A Java read_committed consumer of the same partition shows
 * them correctly; the kill -9 test of the Kafka sink with two executor lanes found it.
 */

/** A fetched record as kafkajs' protocol decoder returns it. */
export interface FetchedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  readonly isControlRecord?: boolean;
  readonly batchContext?: { readonly producerId: string; readonly inTransaction: boolean };
}

export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

/** The key of an ABORT control record: version 0, type 0. */
function isAbortMarker(record: FetchedRecord): boolean {
  const key = record.key;
  return key !== null && key.length >= 4 && key.readInt16BE(2) === 0;
}

export function committedRecords(
  records: readonly FetchedRecord[],
  aborted: readonly AbortedTransaction[] | undefined,
): FetchedRecord[] {
  const pending = [...(aborted ?? [])].sort((a, b) => Number(a.firstOffset) - Number(b.firstOffset));
  const active = new Set<string>();
  let next = 0;
  const out: FetchedRecord[] = [];
  for (const record of records) {
    const offset = Number(record.offset);
    for (let txn = pending[next]; txn && Number(txn.firstOffset) <= offset; txn = pending[++next])
      active.add(String(txn.producerId));
    const producer = String(record.batchContext?.producerId ?? '');
    if (record.isControlRecord) {
      if (isAbortMarker(record)) active.delete(producer);
      continue;
    }
    if (record.batchContext?.inTransaction && active.has(producer)) continue;
    out.push(record);
  }
  return out;
}
