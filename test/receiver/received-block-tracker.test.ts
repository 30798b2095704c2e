import { describe, expect, it } from 'vitest';
import type { ReceivedBlockInfo } from '../../src/receiver/received-block.js';
import { ReceivedBlockTracker } from '../../src/receiver/received-block-tracker.js';
import { ManualClock } from '../../src/time.js';
import { MemoryWal } from '../support/memory-wal.js';

const block = (id: string, timeMs: number): ReceivedBlockInfo => ({
  id,
  streamId: 0,
  numRecords: 1,
  bytes: 10,
  timeMs,
});
const ids = (blocks: readonly ReceivedBlockInfo[]) => blocks.map((b) => b.id);

describe('ReceivedBlockTracker', () => {
  it('journals before applying, and a restart recovers unallocated blocks and unfinished batches', async () => {
    const clock = new ManualClock(0);
    const journal = new MemoryWal();
    const t1 = await ReceivedBlockTracker.recover(journal, clock);
    await t1.addBlock(block('a', 100));
    expect(ids(await t1.allocate(1000))).toEqual(['a']);
    await t1.complete(1000);
    await t1.addBlock(block('b', 1100));
    await t1.addBlock(block('c', 1200));
    expect(ids(await t1.allocate(2000))).toEqual(['b', 'c']); // never completed
    await t1.addBlock(block('d', 2100)); // never allocated
    expect(journal.records).toHaveLength(7);

    const t2 = await ReceivedBlockTracker.recover(journal, clock);
    expect(t2.recoveredBatchTimes()).toEqual([2000]);
    expect(ids(t2.unallocatedBlocks)).toEqual(['d']);
    expect(ids(await t2.allocate(2000))).toEqual(['b', 'c']); // the same batch, the same blocks
    expect(ids(await t2.allocate(3000))).toEqual(['d']);
    expect(ids(await t2.allocate(4000))).toEqual([]);
  });

  it('replays a recovered batch at a new time once, even across a second restart', async () => {
    const clock = new ManualClock(0);
    const journal = new MemoryWal();
    const t1 = await ReceivedBlockTracker.recover(journal, clock);
    await t1.addBlock(block('a', 100));
    await t1.allocate(1000);
    await t1.addBlock(block('b', 1100));

    const t2 = await ReceivedBlockTracker.recover(journal, clock);
    expect(ids(await t2.allocate(5000))).toEqual(['a']); // the old batch's blocks, at a new time
    expect(ids(await t2.allocate(6000))).toEqual(['b']);

    const t3 = await ReceivedBlockTracker.recover(journal, clock);
    expect(t3.recoveredBatchTimes()).toEqual([5000, 6000]);
    await t3.complete(5000);
    await t3.complete(6000);
    const t4 = await ReceivedBlockTracker.recover(journal, clock);
    expect(t4.recoveredBatchTimes()).toEqual([]);
    expect(t4.unallocatedBlocks).toEqual([]);
  });

  it('clean() forgets covered batches and drops old journal records', async () => {
    const clock = new ManualClock(0);
    const journal = new MemoryWal();
    const t = await ReceivedBlockTracker.recover(journal, clock);
    await t.addBlock(block('a', 100));
    await t.allocate(1000);
    await t.complete(1000);
    clock.setTime(2000);
    await t.addBlock(block('b', 2000));
    expect(t.oldestLiveBlockMs()).toBe(2000);
    await t.clean(1500);
    expect(journal.records.every((r) => r.timeMs >= 1500)).toBe(true);
    const again = await ReceivedBlockTracker.recover(journal, clock);
    expect(ids(again.unallocatedBlocks)).toEqual(['b']);
    expect(again.recoveredBatchTimes()).toEqual([]);
  });

  it('recovered batches waiting to run again survive a clean() of older batches', async () => {
    const clock = new ManualClock(0);
    const journal = new MemoryWal();
    const t1 = await ReceivedBlockTracker.recover(journal, clock);
    for (const [id, at] of [
      ['a', 1000],
      ['b', 2000],
      ['c', 3000],
    ] as const) {
      await t1.addBlock(block(id, at - 100));
      await t1.allocate(at); // none completes
    }
    // A restart with no checkpoint to regenerate those batches from: one runs again per new batch.
    const t2 = await ReceivedBlockTracker.recover(journal, clock);
    expect(t2.recoveredBatchTimes()).toEqual([1000, 2000, 3000]);
    expect(ids(await t2.allocate(5000))).toEqual(['a']);
    await t2.complete(5000);
    // The checkpoint after batch 5000 covers batches before it; 2000 and 3000 have not run yet.
    expect(await t2.clean(5000)).toBe(1900);
    expect(ids(await t2.allocate(6000))).toEqual(['b']);
    expect(ids(await t2.allocate(7000))).toEqual(['c']);
    const t3 = await ReceivedBlockTracker.recover(journal, clock);
    expect(t3.recoveredBatchTimes()).toEqual([6000, 7000]);
  });

  it('clean() returns and journals the data log threshold: no live block or write in flight is older', async () => {
    const clock = new ManualClock(0);
    const journal = new MemoryWal();
    const t = await ReceivedBlockTracker.recover(journal, clock);
    await t.addBlock(block('a', 100));
    await t.allocate(1000);
    await t.complete(1000);
    await t.addBlock(block('b', 1100));
    await t.allocate(2000); // never completed: b stays live
    await t.addBlock(block('c', 2100)); // unallocated: live
    clock.setTime(3000);
    expect(await t.clean(1500)).toBe(1100);
    expect(await t.clean(900, 800)).toBe(800);
    // The unfinished batch 2000 is not forgotten by a clean after it: b is still needed.
    expect(await t.clean(2500)).toBe(1100);
    await t.complete(2000);
    expect(await t.clean(2500)).toBe(2100);
    expect(await t.clean(2500, 2050)).toBe(2050);
    const events = journal.records.map((r) => JSON.parse(new TextDecoder().decode(r.data)));
    expect(events.filter((e) => e.type === 'batch-cleaned').map((e) => [e.before, e.dataBefore])).toEqual([
      [1500, 1100],
      [900, 800],
      [2500, 1100],
      [2500, 2100],
      [2500, 2050],
    ]);
  });

  it('without a journal it keeps everything in memory', async () => {
    const t = await ReceivedBlockTracker.recover(undefined, new ManualClock(0));
    await t.addBlock(block('a', 1));
    expect(ids(await t.allocate(1000))).toEqual(['a']);
    expect(t.recoveredBatchTimes()).toEqual([]);
  });
});

describe('ReceivedBlockTracker allocation while blocks arrive', () => {
  it('gives a batch exactly the blocks its allocation journals: one stored meanwhile goes to the next batch only', async () => {
    class HeldWal extends MemoryWal {
      held: Promise<void> | undefined;
      override async write(data: Uint8Array, timeMs: number) {
        if (this.held && new TextDecoder().decode(data).includes('batch-allocated')) await this.held;
        return super.write(data, timeMs);
      }
    }
    const journal = new HeldWal();
    const t = await ReceivedBlockTracker.recover(journal, new ManualClock(0));
    await t.addBlock(block('a', 100));
    let release = () => {};
    journal.held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const allocating = t.allocate(1000);
    await t.addBlock(block('b', 150)); // stored while batch 1000's allocation is being written
    release();
    expect(ids(await allocating)).toEqual(['a']);
    expect(ids(await t.allocate(2000))).toEqual(['b']);
    expect(ids(await t.allocate(3000))).toEqual([]);
  });
});
