/**
 * JournalRecovery: what the ReceivedBlockTracker found when it replayed its journal and checked
 * it against the receiver data log: where the journal was damaged, which blocks and batches that
 * may have affected, and what recovery did with each (docs/receivers.md, "After journal damage").
 * The receiver stream posts it, worded by describeJournalRecovery, as an input error.
 */
import type { WalRecordRef, WalTruncation } from '../state/write-ahead-log.js';
import type { ReceivedBlockInfo } from './received-block.js';

/** One place the journal's recovery dropped or skipped bytes, with the times around it. */
export interface JournalDamage {
  readonly damage: WalTruncation;
  /** Write time of the last journal record read before the damage (events lost were written after it). */
  readonly afterMs: number | undefined;
  /** Write time of the first journal record read after it (events lost were written before it). */
  readonly beforeMs: number | undefined;
}

export interface JournalRecovery {
  /** What the journal's recovery reported (empty when the journal was intact). */
  readonly damage: readonly JournalDamage[];
  /**
   * Blocks the data log holds that no journal event names, newer than the last data-log cleanup:
   * stored again as unallocated, so the next batch takes them. Their `block-added` was lost (or
   * never written: a crash between the data write and the journal write, before any
   * acknowledgement); a batch may already have processed them.
   */
  readonly replayed: readonly ReceivedBlockInfo[];
  /** Unfinished batches that named blocks whose `block-added` was lost, completed from the data log. */
  readonly rebuilt: readonly { readonly batchTime: number; readonly blockIds: readonly string[] }[];
  /** Unfinished batches naming blocks that neither the journal nor the data log describes: lost. */
  readonly lost: readonly { readonly batchTime: number; readonly blockIds: readonly string[] }[];
  /** Batches allocated before the restart and not known to have completed: they run again. */
  readonly rerun: readonly number[];
  /** Journal records that passed their checksum but are not tracker events (skipped). */
  readonly unreadableEvents: number;
  /** Data records that cannot be matched to journal events (no block info: older format, or unreadable). */
  readonly unmatchedDataRecords: number;
}

/** How many blocks or batches a message names before it only counts the rest. */
const NAMED = 20;

/**
 * The message of the input error a receiver stream posts for `r`, or undefined when there is
 * nothing to report: an intact journal (a block written to the data log just before a crash,
 * never acknowledged, is replayed silently), or a torn tail that cost no block or batch (the
 * log's own onWalError already says how many bytes it dropped).
 */
export function describeJournalRecovery(r: JournalRecovery): string | undefined {
  const damaged = r.damage.length > 0;
  // Damage followed by intact records is not a torn write: events acknowledged may be missing.
  const eventsLost = r.damage.some((d) => d.beforeMs !== undefined);
  const affected = r.replayed.length > 0 || r.rebuilt.length > 0;
  if (r.lost.length === 0 && r.unreadableEvents === 0 && !(damaged && (affected || eventsLost))) {
    return undefined;
  }
  const parts: string[] = [];
  if (damaged && r.replayed.length === 0) {
    parts.push('no block the data log holds is missing from the journal');
  }
  if (r.replayed.length > 0) {
    const records = r.replayed.reduce((n, b) => n + b.numRecords, 0);
    parts.push(
      `${r.replayed.length} block(s) (${records} records) in the data log were missing from the journal ` +
        `and go to the next batch; a batch may have processed them already (at-least-once): ` +
        list(r.replayed.map((b) => `${b.id} (${b.numRecords} records, stored at ${b.timeMs})`)),
    );
  }
  if (r.rebuilt.length > 0) {
    parts.push(
      `unfinished batches whose blocks' journal entries were lost keep their blocks, read from the data log: ${list(
        r.rebuilt.map((b) => `batch ${b.batchTime} (${list(b.blockIds)})`),
      )}`,
    );
  }
  if (r.lost.length > 0) {
    parts.push(
      `LOST, found neither in the journal nor in the data log: ${list(
        r.lost.map((b) => `batch ${b.batchTime} block(s) ${list(b.blockIds)}`),
      )}`,
    );
  }
  if (damaged && r.rerun.length > 0) {
    parts.push(
      `batches run again (their completion may have been among the lost events): ${list(r.rerun.map(String))}`,
    );
  }
  if (r.unreadableEvents > 0) {
    parts.push(`${r.unreadableEvents} journal record(s) were not tracker events and were skipped`);
  }
  if (damaged && r.unmatchedDataRecords > 0) {
    parts.push(
      `${r.unmatchedDataRecords} data record(s) carry no readable block id (written by an older sidestream?) and cannot be checked`,
    );
  }
  const where = r.damage.map(
    ({ damage: d, afterMs, beforeMs }) =>
      `${d.segment} at byte ${d.offset}, ${d.droppedBytes} bytes${lostWindow(afterMs, beforeMs)}`,
  );
  const head = damaged ? `block journal damage (${where.join('; ')})` : 'block journal recovery';
  return `${head}: ${parts.join('; ')}`;
}

function lostWindow(afterMs: number | undefined, beforeMs: number | undefined): string {
  if (afterMs !== undefined && beforeMs !== undefined) {
    return `, events written between ${afterMs} and ${beforeMs} may be missing`;
  }
  if (afterMs !== undefined) return `, events written after ${afterMs} may be missing`;
  if (beforeMs !== undefined) return `, events written before ${beforeMs} may be missing`;
  return '';
}

function list(items: readonly string[]): string {
  if (items.length <= NAMED) return items.join(', ');
  return `${items.slice(0, NAMED).join(', ')} and ${items.length - NAMED} more`;
}

/**
 * Finds, for each damaged place, the write times of the journal records read just before and
 * just after it; fed every record read, in order. Segment names sort in write order
 * (docs/wal.md), so comparing names and offsets places a record relative to the damage.
 */
export class JournalDamageLocator {
  private readonly found: { damage: WalTruncation; afterMs?: number; beforeMs?: number }[];

  constructor(truncations: readonly WalTruncation[]) {
    this.found = truncations.map((damage) => ({ damage }));
  }

  saw(ref: WalRecordRef, timeMs: number): void {
    for (const f of this.found) {
      const d = f.damage;
      const before = ref.segment < d.segment || (ref.segment === d.segment && ref.offset < d.offset);
      if (before) f.afterMs = timeMs;
      else if (f.beforeMs === undefined) f.beforeMs = timeMs;
    }
  }

  damage(): JournalDamage[] {
    return this.found.map((f) => ({ damage: f.damage, afterMs: f.afterMs, beforeMs: f.beforeMs }));
  }
}
