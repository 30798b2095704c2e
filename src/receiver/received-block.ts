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
