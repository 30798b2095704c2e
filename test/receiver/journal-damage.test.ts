/**
 * Block journal damage, on real FileWriteAheadLogs in a temp dir, wired as a receiver stream
 * wires them (data log + WalBlockHandler, journal read past damage + ReceivedBlockTracker checked
 * against the data log): whatever the damage (at the start of a journal segment, inside it, in
 * an older segment or the newest), every acknowledged block whose data is intact reaches a batch
 * after the restart, blocks whose allocation is known keep it, and the recovery report names what
 * was affected (docs/receivers.md, "After journal damage").
 */
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeJournalRecovery } from '../../src/receiver/journal-recovery.js';
import { BLOCK_JOURNAL_OPTIONS, ReceivedBlockTracker } from '../../src/receiver/received-block-tracker.js';
import { WalBlockHandler } from '../../src/receiver/wal-block-handler.js';
import {
  FileWriteAheadLog,
  WAL_FRAME_HEADER_BYTES,
  WAL_HEADER_BYTES,
} from '../../src/state/file-write-ahead-log.js';
import type { WalRecordRef } from '../../src/state/write-ahead-log.js';
import { ManualClock } from '../../src/time.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-journal-damage-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface StreamOptions {
  /** Journal read past damage (the receiver stream's setting); false shows the old WAL behaviour. */
  readonly readPastDamage?: boolean;
  /** Check the journal against the data log (the receiver stream does); false shows the old tracker. */
  readonly reconcile?: boolean;
  readonly journalRollMs?: number;
}

/** One receiver stream's logs and tracker, as ReceiverSource opens them. */
async function openStream(clock: ManualClock, options: StreamOptions = {}) {
  const handler = new WalBlockHandler<string>(await FileWriteAheadLog.open(join(dir, 'data')), 0);
  const journal = await FileWriteAheadLog.open(join(dir, 'journal'), {
    ...(options.readPastDamage === false ? {} : BLOCK_JOURNAL_OPTIONS),
    rollIntervalMs: options.journalRollMs ?? 60_000,
  });
  const stored = options.reconcile === false ? undefined : await handler.storedBlocks();
  const tracker = await ReceivedBlockTracker.recover(journal, clock, stored);
  const output: string[] = [];
  return {
    handler,
    tracker,
    output,
    /** Stores a block and acknowledges it, as ReceiverSource.storeBlock does. */
    async store(id: string, items: string[]): Promise<void> {
      const now = clock.now();
      const s = await handler.store(id, items, now);
      await tracker.addBlock({
        id,
        streamId: 0,
        numRecords: items.length,
        bytes: s.bytes,
        timeMs: now,
        ...(s.ref ? { ref: s.ref } : {}),
      });
      clock.advance(10);
    },
    /** Generates batch `t`: allocates, reads the blocks into `output`; completes it unless told not to. */
    async batch(t: number, complete = true): Promise<string[][]> {
      const blocks = await tracker.allocate(t);
      const read: string[][] = [];
      for (const b of blocks) read.push([...(await handler.read(b))]);
      if (complete) {
        output.push(...read.flat());
        await tracker.complete(t);
      }
      clock.advance(10);
      return read;
    },
    /** After a restart: the recovered batches, then one more batch for what is unallocated. */
    async drain(nextTime: number): Promise<void> {
      for (const t of tracker.recoveredBatchTimes()) await this.batch(t);
      await this.batch(nextTime);
    },
    async close(): Promise<void> {
      await tracker.close();
      await handler.close();
    },
  };
}

/** The journal's records as written: their refs and events, to aim damage at. */
async function journalRecords(): Promise<{ ref: WalRecordRef; event: { type: string } }[]> {
  const log = await FileWriteAheadLog.open(join(dir, 'journal'));
  const out = [];
  for await (const r of log.readAll()) {
    out.push({ ref: r.ref, event: JSON.parse(new TextDecoder().decode(r.data)) as { type: string } });
  }
  await log.close();
  return out;
}

async function overwrite(path: string, from: number, to: number): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.write(Buffer.alloc(to - from, 0xa5), 0, to - from, from);
  } finally {
    await file.close();
  }
}

/**
 * Damages journal records `first..last` (indexes into journalRecords(), read before any damage),
 * for each range given, from the first's frame start to just before the last's end.
 */
async function damageJournal(...ranges: [number, number][]): Promise<void> {
  const records = await journalRecords();
  for (const [first, last] of ranges) {
    const a = records[first]!.ref;
    const b = records[last]!.ref;
    expect(a.segment).toBe(b.segment);
    await overwrite(
      join(dir, 'journal', a.segment),
      a.offset,
      b.offset + WAL_FRAME_HEADER_BYTES + b.length - 1,
    );
  }
}

const lines = (block: string, n = 3) => Array.from({ length: n }, (_, i) => `${block}.${i}`);

/**
 * The probe's history: b0, b1 processed by batch 1000; b2, b3 allocated to batch 2000, which never
 * completed; b4, b5 stored and acknowledged, never allocated. Journal records, in order:
 * 0 added b0, 1 added b1, 2 allocated 1000, 3 completed 1000, 4 added b2, 5 added b3,
 * 6 allocated 2000, 7 added b4, 8 added b5.
 */
async function probeHistory(clock: ManualClock) {
  const s = await openStream(clock);
  await s.store('b0', lines('b0'));
  await s.store('b1', lines('b1'));
  await s.batch(1000);
  await s.store('b2', lines('b2'));
  await s.store('b3', lines('b3'));
  await s.batch(2000, false);
  await s.store('b4', lines('b4'));
  await s.store('b5', lines('b5'));
  await s.close();
  const acked = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'].flatMap((b) => lines(b));
  return { processed: s.output, acked };
}

describe('block journal damage', () => {
  it('the probe: damage at the start of the journal segment loses no acknowledged block', async () => {
    const clock = new ManualClock(0);
    const { processed, acked } = await probeHistory(clock);
    expect(processed).toEqual([...lines('b0'), ...lines('b1')]);
    expect((await journalRecords()).map((r) => r.event.type)).toEqual([
      'block-added',
      'block-added',
      'batch-allocated',
      'batch-completed',
      'block-added',
      'block-added',
      'batch-allocated',
      'block-added',
      'block-added',
    ]);
    await damageJournal([0, 2]); // added b0, added b1, allocated 1000

    const s = await openStream(clock);
    expect(s.tracker.recoveredBatchTimes()).toEqual([2000]);
    // Batch 2000 keeps its blocks; b0 and b1 lost their entries and are replayed (at-least-once).
    expect(s.tracker.unallocatedBlocks.map((b) => b.id)).toEqual(['b4', 'b5', 'b0', 'b1']);
    expect(await s.batch(2000)).toEqual([lines('b2'), lines('b3')]);
    await s.batch(3000);
    expect([...processed, ...s.output].sort()).toEqual([...acked, ...lines('b0'), ...lines('b1')].sort());

    const r = s.tracker.recovery;
    expect(r.damage).toEqual([
      {
        damage: expect.objectContaining({ segment: expect.any(String), offset: WAL_HEADER_BYTES }),
        afterMs: undefined,
        beforeMs: expect.any(Number),
      },
    ]);
    expect(r.replayed.map((b) => [b.id, b.numRecords])).toEqual([
      ['b0', 3],
      ['b1', 3],
    ]);
    expect(r.rerun).toEqual([2000]);
    const message = describeJournalRecovery(r);
    expect(message).toMatch(
      /^block journal damage \(log-\S+ at byte 8, \d+ bytes, events written before \d+ may be missing\)/,
    );
    expect(message).toContain('2 block(s) (6 records) in the data log were missing from the journal');
    expect(message).toMatch(/b0 \(3 records, stored at 0\), b1 \(3 records, stored at 10\)/);
    expect(message).toContain(
      'batches run again (their completion may have been among the lost events): 2000',
    );
    await s.close();
  });

  it('the same damage without the fix loses the acknowledged blocks b2..b5 (the defect)', async () => {
    const clock = new ManualClock(0);
    await probeHistory(clock);
    await damageJournal([0, 2]);
    const s = await openStream(clock, { readPastDamage: false, reconcile: false });
    await s.drain(3000);
    expect(s.output).toEqual([]);
    await s.close();
  });

  it('checking the data log alone (a journal cut at the damage) still loses no acknowledged block', async () => {
    const clock = new ManualClock(0);
    const { processed, acked } = await probeHistory(clock);
    await damageJournal([0, 0]);
    const s = await openStream(clock, { readPastDamage: false });
    // The whole journal is gone: every block is stored-but-unallocated again.
    expect(s.tracker.recovery.replayed.map((b) => b.id)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
    await s.drain(3000);
    expect(new Set([...processed, ...s.output])).toEqual(new Set(acked));
    await s.close();
  });

  it('damage inside the segment: a lost allocation gives its blocks to the next batch', async () => {
    const clock = new ManualClock(0);
    const { processed, acked } = await probeHistory(clock);
    await damageJournal([6, 6]); // allocated 2000
    const s = await openStream(clock);
    expect(s.tracker.recoveredBatchTimes()).toEqual([]);
    expect(s.tracker.unallocatedBlocks.map((b) => b.id)).toEqual(['b2', 'b3', 'b4', 'b5']);
    await s.drain(3000);
    expect([...processed, ...s.output].sort()).toEqual(acked.sort());
    // Nothing the data log holds was missing, but events were: the report says where and when.
    const message = describeJournalRecovery(s.tracker.recovery);
    expect(message).toMatch(
      /events written between \d+ and \d+ may be missing\): no block the data log holds is missing/,
    );
    await s.close();
  });

  it('lost block entries of an unfinished batch: the batch keeps its blocks, read from the data log', async () => {
    const clock = new ManualClock(0);
    const { processed, acked } = await probeHistory(clock);
    await damageJournal([4, 5]); // added b2, added b3
    const s = await openStream(clock);
    expect(s.tracker.recoveredBatchTimes()).toEqual([2000]);
    expect(s.tracker.recovery.rebuilt).toEqual([{ batchTime: 2000, blockIds: ['b2', 'b3'] }]);
    expect(s.tracker.recovery.replayed).toEqual([]);
    expect(await s.batch(2000)).toEqual([lines('b2'), lines('b3')]);
    await s.batch(3000);
    expect([...processed, ...s.output].sort()).toEqual(acked.sort());
    expect(describeJournalRecovery(s.tracker.recovery)).toContain(
      "unfinished batches whose blocks' journal entries were lost keep their blocks, read from the data log: batch 2000 (b2, b3)",
    );
    await s.close();
  });

  it('a block neither the journal nor the data log describes is named as lost', async () => {
    const clock = new ManualClock(0);
    const s1 = await openStream(clock);
    await s1.store('b0', lines('b0'));
    await s1.store('b1', lines('b1'));
    await s1.batch(1000, false);
    await s1.close();
    // b1's data record is the data log's last: damage it (the data log cuts it), and b1's entry.
    const dataSegment = (await readdir(join(dir, 'data')))[0]!;
    const reader = new WalBlockHandler<string>(await FileWriteAheadLog.open(join(dir, 'data')), 0);
    const b1 = (await reader.storedBlocks()).blocks[1]!.ref!;
    await reader.close();
    await overwrite(
      join(dir, 'data', dataSegment),
      b1.offset + WAL_FRAME_HEADER_BYTES,
      b1.offset + WAL_FRAME_HEADER_BYTES + 4,
    );
    await damageJournal([1, 1]);

    const s = await openStream(clock);
    expect(s.tracker.recovery.lost).toEqual([{ batchTime: 1000, blockIds: ['b1'] }]);
    expect(await s.batch(1000)).toEqual([lines('b0')]);
    expect(describeJournalRecovery(s.tracker.recovery)).toContain(
      'LOST, found neither in the journal nor in the data log: batch 1000 block(s) b1',
    );
    await s.close();
  });

  it('damage at the start of an older journal segment, and of the newest', async () => {
    const clock = new ManualClock(0);
    // A journal segment per 15 ms of clock: b0 b1 | b2 b3 | b4 b5.
    const s1 = await openStream(clock, { journalRollMs: 15 });
    for (const b of ['b0', 'b1', 'b2', 'b3', 'b4', 'b5']) await s1.store(b, lines(b));
    await s1.close();
    const acked = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'].flatMap((b) => lines(b));
    const records = await journalRecords();
    const segments = [...new Set(records.map((r) => r.ref.segment))];
    expect(segments).toHaveLength(3);
    // The first record of the oldest segment (added b0) and of the newest (added b4).
    await damageJournal([0, 0], [4, 4]);

    const s = await openStream(clock, { journalRollMs: 15 });
    expect(s.tracker.recovery.damage.map((d) => [d.damage.segment, d.damage.offset])).toEqual([
      [segments[0], WAL_HEADER_BYTES],
      [segments[2], WAL_HEADER_BYTES],
    ]);
    expect(s.tracker.recovery.replayed.map((b) => b.id)).toEqual(['b0', 'b4']);
    await s.drain(3000);
    expect([...s.output].sort()).toEqual(acked.sort());
    await s.close();
  });

  it('processed blocks the data log still holds are not replayed once a cleanup covered them', async () => {
    const clock = new ManualClock(0);
    const s1 = await openStream(clock);
    await s1.store('b0', lines('b0'));
    await s1.batch(1000);
    clock.setTime(1500);
    // A checkpoint covers batch 1000: nothing live is older than 1500; the data log keeps its
    // only segment (the active one is never deleted), with b0 in it.
    expect(await s1.tracker.clean(1500)).toBe(1500);
    await s1.store('b1', lines('b1'));
    await s1.close();
    await damageJournal([0, 2]); // added b0, allocated 1000, completed 1000

    const s = await openStream(clock);
    expect(s.tracker.recovery.replayed).toEqual([]);
    await s.drain(3000);
    expect(s.output).toEqual(lines('b1'));
    await s.close();
  });

  it('without the cleanup record, such blocks are replayed: at-least-once, never lost', async () => {
    const clock = new ManualClock(0);
    const s1 = await openStream(clock);
    await s1.store('b0', lines('b0'));
    await s1.batch(1000);
    clock.setTime(1500);
    await s1.tracker.clean(1500);
    await s1.store('b1', lines('b1'));
    await s1.close();
    await damageJournal([0, 3]); // ... and the cleanup record

    const s = await openStream(clock);
    expect(s.tracker.recovery.replayed.map((b) => b.id)).toEqual(['b0']);
    await s.drain(3000);
    expect(s.output.sort()).toEqual([...lines('b0'), ...lines('b1')].sort());
    await s.close();
  });

  it('a journal record that is not a tracker event is skipped and counted', async () => {
    const clock = new ManualClock(0);
    const s1 = await openStream(clock);
    await s1.store('b0', lines('b0'));
    await s1.close();
    const journal = await FileWriteAheadLog.open(join(dir, 'journal'));
    await journal.write(new TextEncoder().encode('this is not JSON'), 5);
    await journal.close();

    const s = await openStream(clock);
    expect(s.tracker.recovery.unreadableEvents).toBe(1);
    expect(s.tracker.unallocatedBlocks.map((b) => b.id)).toEqual(['b0']);
    expect(describeJournalRecovery(s.tracker.recovery)).toBe(
      'block journal recovery: 1 journal record(s) were not tracker events and were skipped',
    );
    await s.close();
  });

  it('an intact journal reports nothing, and a torn journal tail that cost nothing neither', async () => {
    const clock = new ManualClock(0);
    const { acked } = await probeHistory(clock);
    const intact = await openStream(clock);
    expect(describeJournalRecovery(intact.tracker.recovery)).toBeUndefined();
    await intact.close();

    const records = await journalRecords();
    const last = records.at(-1)!.ref;
    // Garbage after the last record: a torn tail, nothing acknowledged in it.
    const file = await open(join(dir, 'journal', last.segment), 'a');
    await file.write(Buffer.from('torn'));
    await file.close();
    const s = await openStream(clock);
    expect(s.tracker.recovery.damage).toHaveLength(1);
    expect(describeJournalRecovery(s.tracker.recovery)).toBeUndefined();
    await s.drain(3000);
    expect(s.output.sort()).toEqual(acked.filter((l) => !l.startsWith('b0') && !l.startsWith('b1')).sort());
    await s.close();
  });
});
