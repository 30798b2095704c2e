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
 *
 * The journal alone can lose blocks when it is damaged, so recovery also checks it against the
 * data log (given as StoredBlocks): a batch naming a block whose `block-added` was lost takes the
 * block's info from the data log, and a block the data log holds that no event names (and that
 * is newer than the last data-log cleanup) is stored-but-unallocated again. What that found is
 * `recovery` (journal-recovery.ts).
 */

import type { WriteAheadLog } from '../state/write-ahead-log.js';
import type { Clock } from '../time.js';
import { JournalDamageLocator, type JournalRecovery } from './journal-recovery.js';
import type { ReceivedBlockInfo, StoredBlocks } from './received-block.js';

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
  | {
      readonly type: 'batch-cleaned';
      readonly before: number;
      /**
       * The data log's records older than this are no longer needed (no live block is older), so
       * recovery never replays them; absent in journals written before it was recorded, where
       * `before` stands in for it.
       */
      readonly dataBefore?: number;
    };

/**
 * The block journal is read on past damage (FileWriteAheadLog's readPastDamage): its records
 * are JSON text, which never contains a NUL byte, while a frame header (its length's high byte,
 * for any record under 16 MiB) always does; so a record that passes its checksum after damage
 * is one the tracker wrote, never a fragment of one.
 */
export const BLOCK_JOURNAL_OPTIONS = { readPastDamage: true } as const;

interface Allocation {
  blocks: readonly ReceivedBlockInfo[];
  completed: boolean;
  /** During recovery only: the batch's block ids in order, when some of their `block-added` events were lost. */
  unresolved?: readonly string[];
}

/** What recovery keeps track of while replaying, beyond the tracker's state. */
interface Replay {
  /** Every block id an event named, also of batches cleaned since. */
  readonly known: Set<string>;
  /** The newest data-log cleanup threshold replayed. */
  dataBefore: number;
  unreadableEvents: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ReceivedBlockTracker {
  private unallocated: ReceivedBlockInfo[] = [];
  private readonly allocations = new Map<number, Allocation>();
  /** Recovered allocations not yet generated again, oldest first. */
  private replayQueue: number[] = [];
  /** Set while recover() replays the journal. */
  private replay: Replay | undefined;
  private recovered: JournalRecovery = {
    damage: [],
    replayed: [],
    rebuilt: [],
    lost: [],
    rerun: [],
    unreadableEvents: 0,
    unmatchedDataRecords: 0,
  };

  private constructor(
    private readonly journal: WriteAheadLog | undefined,
    private readonly clock: Clock,
  ) {}

  /**
   * A tracker whose state is the journal's replayed events (or empty without a journal), checked
   * against `stored`, the blocks the data log holds, when given.
   */
  static async recover(
    journal: WriteAheadLog | undefined,
    clock: Clock,
    stored?: StoredBlocks,
  ): Promise<ReceivedBlockTracker> {
    const tracker = new ReceivedBlockTracker(journal, clock);
    if (journal) {
      const replay: Replay = { known: new Set(), dataBefore: -Infinity, unreadableEvents: 0 };
      const locator = new JournalDamageLocator(journal.truncations ?? []);
      tracker.replay = replay;
      try {
        for await (const { data, ref, timeMs } of journal.readAll()) {
          locator.saw(ref, timeMs);
          const event = parseEvent(data);
          if (event === undefined) replay.unreadableEvents++;
          else tracker.apply(event);
        }
      } finally {
        tracker.replay = undefined;
      }
      const found = tracker.reconcile(replay, stored);
      tracker.replayQueue = [...tracker.allocations]
        .filter(([, a]) => !a.completed)
        .map(([t]) => t)
        .sort((a, b) => a - b);
      tracker.recovered = {
        damage: locator.damage(),
        ...found,
        rerun: [...tracker.replayQueue],
        unreadableEvents: replay.unreadableEvents,
        unmatchedDataRecords: stored ? stored.legacyRecords + stored.unreadable : 0,
      };
    }
    return tracker;
  }

  /** What recovery found: journal damage, blocks replayed from the data log, losses. */
  get recovery(): JournalRecovery {
    return this.recovered;
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

  /**
   * Forgets completed batches before `before` (a checkpoint covers them) and returns the time
   * before which the data log is no longer needed: `before`, or earlier when a block still needed
   * (unallocated, in an unfinished batch, or being stored since `inFlightSinceMs`) is older. That
   * time is journalled with the event, so a restart never replays data older than it.
   */
  async clean(before: number, inFlightSinceMs?: number): Promise<number> {
    let dataBefore = before;
    const live = this.oldestLiveBlockMs();
    if (live !== undefined) dataBefore = Math.min(dataBefore, live);
    if (inFlightSinceMs !== undefined) dataBefore = Math.min(dataBefore, inFlightSinceMs);
    await this.write({ type: 'batch-cleaned', before, dataBefore });
    // Journal segments go at the same time as the data they describe, not before: a block the
    // data log still holds keeps its `block-added`, so recovery never mistakes it for one whose
    // entry was lost to damage.
    await this.journal?.clean(dataBefore);
    return dataBefore;
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
    const replay = this.replay;
    switch (event.type) {
      case 'block-added':
        replay?.known.add(event.block.id);
        this.unallocated.push(event.block);
        return;
      case 'batch-allocated': {
        let blocks: ReceivedBlockInfo[];
        let unresolved: readonly string[] | undefined;
        if (event.replaces !== undefined && this.allocations.has(event.replaces)) {
          blocks = [...(this.allocations.get(event.replaces)?.blocks ?? [])];
          this.allocations.delete(event.replaces);
        } else {
          // Also a re-run whose original allocation was lost with journal damage: its blocks are
          // then still unallocated here, or described only by the data log (reconcile).
          const ids = new Set(event.blockIds);
          blocks = this.unallocated.filter((b) => ids.has(b.id));
          this.unallocated = this.unallocated.filter((b) => !ids.has(b.id));
          if (replay && blocks.length < ids.size) unresolved = event.blockIds;
        }
        if (replay) for (const id of event.blockIds) replay.known.add(id);
        this.allocations.set(event.batchTime, {
          blocks,
          completed: false,
          ...(unresolved ? { unresolved } : {}),
        });
        return;
      }
      case 'batch-completed': {
        const allocation = this.allocations.get(event.batchTime);
        if (allocation) allocation.completed = true;
        return;
      }
      case 'batch-cleaned':
        if (replay) replay.dataBefore = Math.max(replay.dataBefore, event.dataBefore ?? event.before);
        // Only completed batches go: an unfinished one before `before` is a recovered batch still
        // waiting to run again (a restart without a checkpoint to regenerate it from), whose
        // blocks nothing else would bring back.
        for (const [t, a] of [...this.allocations])
          if (t < event.before && a.completed) this.allocations.delete(t);
        return;
      default: {
        const unknown: never = event;
        throw new Error(`unknown block tracker event ${JSON.stringify(unknown)}`);
      }
    }
  }

  /**
   * After the replay: an unfinished batch that names blocks whose `block-added` was lost takes
   * their info from the data log (blocks whose allocation is known keep it), and the data log's
   * blocks that no event named and that are newer than its last cleanup are stored again, as
   * unallocated (older ones were processed: cleanup never drops the data of a block still needed).
   */
  private reconcile(
    replay: Replay,
    stored: StoredBlocks | undefined,
  ): Pick<JournalRecovery, 'replayed' | 'rebuilt' | 'lost'> {
    const inData = new Map((stored?.blocks ?? []).map((b) => [b.id, b] as const));
    const rebuilt: { batchTime: number; blockIds: string[] }[] = [];
    const lost: { batchTime: number; blockIds: string[] }[] = [];
    for (const [batchTime, allocation] of this.allocations) {
      const order = allocation.unresolved;
      if (order === undefined) continue;
      delete allocation.unresolved;
      if (allocation.completed) continue;
      const have = new Map(allocation.blocks.map((b) => [b.id, b] as const));
      const blocks: ReceivedBlockInfo[] = [];
      const fromData: string[] = [];
      const missing: string[] = [];
      for (const id of order) {
        const block = have.get(id) ?? inData.get(id);
        if (block === undefined) missing.push(id);
        else {
          if (!have.has(id)) fromData.push(id);
          blocks.push(block);
        }
      }
      allocation.blocks = blocks;
      if (fromData.length > 0) rebuilt.push({ batchTime, blockIds: fromData });
      if (missing.length > 0) lost.push({ batchTime, blockIds: missing });
    }
    const replayed = (stored?.blocks ?? []).filter(
      (b) => !replay.known.has(b.id) && b.timeMs >= replay.dataBefore,
    );
    this.unallocated.push(...replayed);
    return { replayed, rebuilt, lost };
  }
}

/** A journal record as an event; undefined for one that is not JSON with a known event's fields. */
function parseEvent(data: Uint8Array): BlockTrackerEvent | undefined {
  let x: unknown;
  try {
    x = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  if (typeof x !== 'object' || x === null) return undefined;
  const e = x as Record<string, unknown>;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  switch (e.type) {
    case 'block-added': {
      const b = e.block as Record<string, unknown> | null | undefined;
      const ok = typeof b === 'object' && b !== null && typeof b.id === 'string' && finite(b.timeMs);
      return ok ? (x as BlockTrackerEvent) : undefined;
    }
    case 'batch-allocated':
      return finite(e.batchTime) &&
        Array.isArray(e.blockIds) &&
        e.blockIds.every((id) => typeof id === 'string') &&
        (e.replaces === undefined || finite(e.replaces))
        ? (x as BlockTrackerEvent)
        : undefined;
    case 'batch-completed':
      return finite(e.batchTime) ? (x as BlockTrackerEvent) : undefined;
    case 'batch-cleaned':
      return finite(e.before) && (e.dataBefore === undefined || finite(e.dataBefore))
        ? (x as BlockTrackerEvent)
        : undefined;
    default:
      // An event type this tracker does not know (a newer sidestream's journal): as before,
      // replaying it stops recovery rather than guessing what it meant.
      if (typeof e.type === 'string') return x as BlockTrackerEvent;
      return undefined;
  }
}
