/**
 * Block handlers: where a sealed block goes before it counts as stored (Spark's
 * ReceivedBlockHandler). MemoryBlockHandler keeps it in memory only: a crash loses it.
 * WalBlockHandler (wal-block-handler.ts) writes it to the receiver data write-ahead log first, so
 * a block that was acknowledged survives `kill -9`.
 */
import type { WalRecordRef } from '../state/write-ahead-log.js';
import type { ReceivedBlockInfo, StoredBlocks } from './received-block.js';

export interface StoredBlock {
  /** Serialised size; 0 when the handler never serialises (memory). */
  readonly bytes: number;
  readonly ref?: WalRecordRef;
}

export interface BlockHandler<T> {
  /** True when a stored block survives a crash of the process. */
  readonly durable: boolean;
  /** Stores the block; resolves once it is as safe as this handler makes it. */
  store(id: string, items: readonly T[], timeMs: number): Promise<StoredBlock>;
  /** The block's records, from memory or, after a restart, from the log. */
  read(info: ReceivedBlockInfo): Promise<readonly T[]>;
  /** The block has been turned into a batch's RDD: its in-memory copy may go. */
  forget(id: string): void;
  /**
   * The blocks durable storage holds, for recovery to check the journal against; absent when
   * nothing survives a restart.
   */
  storedBlocks?(): Promise<StoredBlocks>;
  /** Durable data of blocks older than `beforeMs` is no longer needed. */
  clean(beforeMs: number): Promise<void>;
  close(): Promise<void>;
}

export class MemoryBlockHandler<T> implements BlockHandler<T> {
  readonly durable = false;
  private readonly blocks = new Map<string, readonly T[]>();

  async store(id: string, items: readonly T[]): Promise<StoredBlock> {
    this.blocks.set(id, items);
    return { bytes: 0 };
  }

  async read(info: ReceivedBlockInfo): Promise<readonly T[]> {
    const items = this.blocks.get(info.id);
    if (!items)
      throw new Error(`block ${info.id} is not in memory (lost in a restart without a write-ahead log)`);
    return items;
  }

  forget(id: string): void {
    this.blocks.delete(id);
  }

  async clean(): Promise<void> {}

  async close(): Promise<void> {
    this.blocks.clear();
  }
}
