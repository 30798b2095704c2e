/**
 * WriteAheadLog: the plug-in point for durable logs of opaque records (Spark's WriteAheadLog).
 * Receiver data blocks and the ReceivedBlockTracker's journal are written through it. The
 * file-based implementation is FileWriteAheadLog (state/file-write-ahead-log.ts).
 *
 * Contract:
 * - write() resolves only when the record is as durable as the fsync policy promises
 *   ('always': on disk); a rejected write was not acknowledged and must not be relied on.
 * - readAll() yields every intact record in write order and never throws on garbage: a torn or
 *   corrupt tail is truncated at the last good record and reported, not thrown.
 * - clean(t) removes whole segments whose records are all older than t.
 * - close() is idempotent.
 */

/**
 * When the log calls fsync:
 * - `always`: before every write() resolves (a group of concurrent writes shares one fsync).
 *   Nothing acknowledged is lost on power failure.
 * - `interval`: at most every `intervalMs`; a process crash (kill -9) loses nothing that was
 *   written, a power failure loses up to `intervalMs` of acknowledged records.
 * - `never`: the OS decides; survives a process crash, not a power failure.
 */
export type FsyncPolicy =
  | { readonly mode: 'always' }
  | { readonly mode: 'interval'; readonly intervalMs: number }
  | { readonly mode: 'never' };

/** Where a record lives: enough to read it back without scanning. */
export interface WalRecordRef {
  readonly segment: string;
  /** Byte offset of the record's frame in the segment. */
  readonly offset: number;
  /** Length of the record's payload in bytes. */
  readonly length: number;
}

/** What recovery found wrong and repaired (reported, never thrown). */
export interface WalTruncation {
  readonly segment: string;
  /** The offset the segment was truncated at: the end of its last good record. */
  readonly offset: number;
  readonly droppedBytes: number;
  readonly reason: string;
}

export interface WriteAheadLog {
  /** Appends one record tagged with `timeMs` (a batch or block time, for clean()). */
  write(data: Uint8Array, timeMs: number): Promise<WalRecordRef>;
  /** Reads one record back; rejects when its frame is missing or fails its checksum. */
  read(ref: WalRecordRef): Promise<Uint8Array>;
  /** Every intact record, oldest first. */
  readAll(): AsyncIterable<{
    readonly ref: WalRecordRef;
    readonly data: Uint8Array;
    readonly timeMs: number;
  }>;
  /** Deletes segments whose records are all older than `thresholdTimeMs`. */
  clean(thresholdTimeMs: number): Promise<void>;
  close(): Promise<void>;
  /**
   * What recovery repaired or skipped when the log was opened, for a reader that wants to say
   * what the lost bytes held (the block tracker names the blocks and batches); absent when the
   * implementation does not recover anything.
   */
  readonly truncations?: readonly WalTruncation[];
}
