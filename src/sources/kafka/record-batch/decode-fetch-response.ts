/**
 * decodeFetchResponse: the body of a Kafka Fetch response (versions 4 to 11, the ones with an
 * isolation level) with each partition's record set kept as raw bytes, a view on the response,
 * for decodeRecordBatches to read. kafkajs' own response decoder would decode every record into
 * objects with string offsets first; this one reads only the partition headers.
 */

import type { AbortedTransactionAt } from './committed-batch-records.js';
import { readInt64 } from './read-int64.js';

export interface FetchedPartition {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  /** -1 before version 5. */
  readonly logStartOffset: number;
  readonly abortedTransactions: AbortedTransactionAt[];
  /** -1 before version 11, and when the leader itself should be read. */
  readonly preferredReadReplica: number;
  /** The partition's record batches, as the broker sent them (the last one possibly cut). */
  readonly recordSet: Buffer;
}

export interface FetchResponse {
  readonly throttleTimeMs: number;
  /** The whole request's error (version 7 on: fetch sessions); 0 otherwise. */
  readonly errorCode: number;
  readonly sessionId: number;
  readonly responses: { readonly topic: string; readonly partitions: FetchedPartition[] }[];
}

export const MIN_FETCH_VERSION = 4;
export const MAX_FETCH_VERSION = 11;

const EMPTY: Buffer = Buffer.alloc(0);

export function decodeFetchResponse(payload: Buffer, version: number): FetchResponse {
  if (version < MIN_FETCH_VERSION || version > MAX_FETCH_VERSION) {
    throw new RangeError(
      `Fetch response version ${version} is not read (only ${MIN_FETCH_VERSION} to ${MAX_FETCH_VERSION})`,
    );
  }
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > payload.length) {
      throw new RangeError(`Fetch response truncated: ${n} bytes needed at ${pos} of ${payload.length}`);
    }
  };
  const int16 = () => {
    need(2);
    pos += 2;
    return payload.readInt16BE(pos - 2);
  };
  const int32 = () => {
    need(4);
    pos += 4;
    return payload.readInt32BE(pos - 4);
  };
  const int64 = (what: string) => {
    need(8);
    pos += 8;
    return readInt64(payload, pos - 8, what);
  };
  const string = () => {
    const length = int16();
    if (length < 0) return '';
    need(length);
    pos += length;
    return payload.toString('utf8', pos - length, pos);
  };

  const throttleTimeMs = int32();
  const errorCode = version >= 7 ? int16() : 0;
  const sessionId = version >= 7 ? int32() : 0;
  const responses: FetchResponse['responses'] = [];
  for (let t = int32(); t > 0; t--) {
    const topic = string();
    const partitions: FetchedPartition[] = [];
    for (let p = int32(); p > 0; p--) {
      const partition = int32();
      const partitionError = int16();
      const highWatermark = int64('high watermark');
      const lastStableOffset = int64('last stable offset');
      const logStartOffset = version >= 5 ? int64('log start offset') : -1;
      const abortedTransactions: AbortedTransactionAt[] = [];
      // -1: a null array (no transactions to report).
      for (let a = int32(); a > 0; a--) {
        const producerId = int64('aborted producer id');
        abortedTransactions.push({ producerId, firstOffset: int64('aborted first offset') });
      }
      const preferredReadReplica = version >= 11 ? int32() : -1;
      const size = int32();
      let recordSet = EMPTY;
      if (size > 0) {
        need(size);
        recordSet = payload.subarray(pos, pos + size);
        pos += size;
      }
      partitions.push({
        partition,
        errorCode: partitionError,
        highWatermark,
        lastStableOffset,
        logStartOffset,
        abortedTransactions,
        preferredReadReplica,
        recordSet,
      });
    }
    responses.push({ topic, partitions });
  }
  return { throttleTimeMs, errorCode, sessionId, responses };
}
