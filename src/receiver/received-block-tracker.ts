/**
 * ReceivedBlockTracker: which stored blocks belong to which batch (Spark's tracker of the same
 * name). Write to the log, then apply: every change is one event of a closed family, appended
 * to the journal (a write-ahead log) BEFORE memory changes, and recovery replays the same family
 * through the same `apply`. With no journal the tracker is memory-only.
 *
 * After a restart the tracker knows (a) blocks that were stored but never allocated: they go to
 * the next batch, and (b) batches that were allocated but never completed: each is generated
 * again with exactly the same blocks (recoveredBatchTimes), so received data is neither lost nor
 * split differently.
 */

import type { WriteAheadLog } from '../state/write-ahead-log.js';
import type { Clock } from '../time.js';
import type { ReceivedBlockInfo } from './received-block.js';

export type BlockTrackerEvent =
  | { readonly type: 'block-added'; readonly block: ReceivedBlockInfo }
  | {
      readonly type: 'batch-allocated';
      readonly batchTime: number;
      readonly blockIds: readonly string[];
      /** A recovered allocation re-run at a new batch time: the old time's entry is dropped. */
      readonly replaces?: number;
    }
  | { readonly type: 'batch-completed'; readonly batchTime: number }
  | { readonly type: 'batch-cleaned'; readonly before: number };

interface Allocation {
  readonly blocks: readonly ReceivedBlockInfo[];
  completed: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ReceivedBlockTracker {
  private unallocated: ReceivedBlockInfo[] = [];
  private readonly allocations = new Map<number, Allocation>();
  /** Recovered allocations not yet generated again, oldest first. */
  private replayQueue: number[] = [];

  private constructor(
    private readonly journal: WriteAheadLog | undefined,
    private readonly clock: Clock,
  ) {}

  /** A tracker whose state is the journal's replayed events (or empty without a journal). */
  static async recover(journal: WriteAheadLog | undefined, clock: Clock): Promise<ReceivedBlockTracker> {
    const tracker = new ReceivedBlockTracker(journal, clock);
    if (journal) {
      for await (const { data } of journal.readAll()) {
        tracker.apply(JSON.parse(decoder.decode(data)) as BlockTrackerEvent);
      }
      tracker.replayQueue = [...tracker.allocations]
        .filter(([, a]) => !a.completed)
        .map(([t]) => t)
        .sort((a, b) => a - b);
    }
    return tracker;
  }

  /** Batch times allocated before a restart that never completed, oldest first. */
  recoveredBatchTimes(): readonly number[] {
    return [...this.replayQueue];
  }

  get unallocatedBlocks(): readonly ReceivedBlockInfo[] {
    return this.unallocated;
  }

  /** Records that a block is stored; it belongs to the next batch allocated. */
  async addBlock(block: ReceivedBlockInfo): Promise<void> {
    await this.write({ type: 'block-added', block });
  }

  /**
   * The blocks of batch `batchTime`: the ones allocated to it before a restart, else the oldest
   * recovered allocation still to be re-run, else every block stored since the last batch.
   */
  async allocate(batchTime: number): Promise<readonly ReceivedBlockInfo[]> {
    const known = this.allocations.get(batchTime);
    if (known) {
      this.replayQueue = this.replayQueue.filter((t) => t !== batchTime);
      return known.blocks;
    }
    const replay = this.replayQueue.shift();
    if (replay !== undefined) {
      const blocks = this.allocations.get(replay)?.blocks ?? [];
      await this.write({
        type: 'batch-allocated',
        batchTime,
        blockIds: blocks.map((b) => b.id),
        replaces: replay,
      });
      return blocks;
    }
    // A copy: a block stored while the allocation is being journalled belongs to the next batch,
    // not to this one (the journal does not list it, so it stays unallocated).
    const blocks = [...this.unallocated];
    await this.write({ type: 'batch-allocated', batchTime, blockIds: blocks.map((b) => b.id) });
    return blocks;
  }

  /** The batch's outputs all succeeded: a restart must not run it again. */
  async complete(batchTime: number): Promise<void> {
    if (!this.allocations.has(batchTime)) return;
    await this.write({ type: 'batch-completed', batchTime });
  }

  /** Forgets allocations of batches before `before` (a checkpoint covers them). */
  async clean(before: number): Promise<void> {
    await this.write({ type: 'batch-cleaned', before });
    await this.journal?.clean(before);
  }

  /** Oldest write time of any block still needed (unallocated or in a live allocation). */
  oldestLiveBlockMs(): number | undefined {
    let oldest: number | undefined;
    const visit = (b: ReceivedBlockInfo) => {
      if (oldest === undefined || b.timeMs < oldest) oldest = b.timeMs;
    };
    for (const b of this.unallocated) visit(b);
    for (const a of this.allocations.values()) if (!a.completed) for (const b of a.blocks) visit(b);
    return oldest;
  }

  async close(): Promise<void> {
    await this.journal?.close();
  }

  private async write(event: BlockTrackerEvent): Promise<void> {
    // The time tag lets the journal drop whole segments on clean(); "now" (not the block's
    // seal time) so that an event written after a checkpoint is never older than it.
    if (this.journal) await this.journal.write(encoder.encode(JSON.stringify(event)), this.clock.now());
    this.apply(event);
  }

  private apply(event: BlockTrackerEvent): void {
    switch (event.type) {
      case 'block-added':
        this.unallocated.push(event.block);
        return;
      case 'batch-allocated': {
        let blocks: ReceivedBlockInfo[];
        if (event.replaces !== undefined) {
          blocks = [...(this.allocations.get(event.replaces)?.blocks ?? [])];
          this.allocations.delete(event.replaces);
        } else {
          const ids = new Set(event.blockIds);
          blocks = this.unallocated.filter((b) => ids.has(b.id));
          this.unallocated = this.unallocated.filter((b) => !ids.has(b.id));
        }
        this.allocations.set(event.batchTime, { blocks, completed: false });
        return;
      }
      case 'batch-completed': {
        const allocation = this.allocations.get(event.batchTime);
        if (allocation) allocation.completed = true;
        return;
      }
      case 'batch-cleaned':
        for (const t of [...this.allocations.keys()]) if (t < event.before) this.allocations.delete(t);
        return;
      default: {
        const unknown: never = event;
        throw new Error(`unknown block tracker event ${JSON.stringify(unknown)}`);
      }
    }
  }
}
