/**
 * A block: the records one receiver stored within one block interval (or handed over together
 * with storeBlock), the unit in which received data is written ahead, tracked and allocated to
 * batches, as in Spark.
 */
import type { WalRecordRef } from '../state/write-ahead-log.js';

/** What the ReceivedBlockTracker journals about a block; never the records themselves. */
export interface ReceivedBlockInfo {
  /** `<streamId>-<receiver session>-<sequence>`: unique across restarts of the agent. */
  readonly id: string;
  readonly streamId: number;
  readonly numRecords: number;
  readonly bytes: number;
  /** Clock time (epoch ms) the block was sealed. */
  readonly timeMs: number;
  /** Where the block's records are in the receiver data WAL; absent when stored in memory only. */
  readonly ref?: WalRecordRef;
}

/**
 * What a receiver data log holds, read at recovery so that the ReceivedBlockTracker can replay a
 * block whose journal entry was lost (WalBlockHandler.storedBlocks).
 */
export interface StoredBlocks {
  /** Blocks whose data record carries their info, in write order. */
  readonly blocks: readonly ReceivedBlockInfo[];
  /** Records written before data records carried their block's info: they cannot be matched. */
  readonly legacyRecords: number;
  /** Records whose block info could not be read (their records may still be). */
  readonly unreadable: number;
}
