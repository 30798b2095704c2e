import { describe, expect, it } from 'vitest';
import { BlockGenerator, type SealedBlock } from '../../src/receiver/block-generator.js';
import { RateLimiter } from '../../src/receiver/rate-limiter.js';
import { ManualClock } from '../../src/time.js';
import { waitFor } from '../support/manual-run.js';

function generator(
  clock: ManualClock,
  push: (b: SealedBlock<number>) => Promise<void>,
  maxQueuedBlocks = 10,
) {
  const errors: unknown[] = [];
  const g = new BlockGenerator<number>({
    streamId: 3,
    clock,
    blockIntervalMs: 200,
    maxQueuedBlocks,
    rateLimiter: new RateLimiter(clock, undefined),
    push,
    onPushError: (e) => errors.push(e),
  });
  return { g, errors };
}

describe('BlockGenerator', () => {
  it('seals a block every interval and acknowledges only after the block is stored', async () => {
    const clock = new ManualClock(1000);
    const stored: SealedBlock<number>[] = [];
    const { g } = generator(clock, async (b) => {
      stored.push(b);
    });
    g.start();
    const acks: string[] = [];
    await g.add([1, 2], () => acks.push('a'));
    await g.add([3], () => acks.push('b'));
    expect(acks).toEqual([]);
    clock.advance(200);
    await waitFor(() => acks.length === 2);
    await g.add([4], () => acks.push('c'));
    clock.advance(200);
    await waitFor(() => acks.length === 3);
    expect(stored.map((b) => b.items)).toEqual([[1, 2, 3], [4]]);
    expect(stored.map((b) => b.timeMs)).toEqual([1200, 1400]);
    expect(new Set(stored.map((b) => b.id)).size).toBe(2);
    expect(stored[0]!.id).toMatch(/^3-/);
    clock.advance(200); // nothing buffered: no empty block
    await g.stop();
    expect(stored).toHaveLength(2);
  });

  it('a block that cannot be stored is not acknowledged and is reported', async () => {
    const clock = new ManualClock(0);
    let fail = true;
    const { g, errors } = generator(clock, async () => {
      if (fail) throw new Error('disk full');
    });
    g.start();
    const acks: number[] = [];
    await g.add([1], () => acks.push(1));
    clock.advance(200);
    await waitFor(() => errors.length === 1);
    fail = false;
    await g.add([2], () => acks.push(2));
    clock.advance(200);
    await waitFor(() => acks.length === 1);
    expect(acks).toEqual([2]);
    await expect(g.addBlock([9])).resolves.toBeUndefined();
    fail = true;
    await expect(g.addBlock([10])).rejects.toThrow('disk full');
    await g.stop();
  });

  it('holds store() callers back while the queue of sealed blocks is full', async () => {
    const clock = new ManualClock(0);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { g } = generator(clock, () => gate, 2); // the block being stored counts
    g.start();
    await g.add([1]);
    clock.advance(200); // block 1 is being pushed (stuck)
    await waitFor(() => g.queuedBlocks === 1);
    await g.add([2]);
    clock.advance(200); // block 2 queued behind it: the queue is full
    await waitFor(() => g.queuedBlocks === 2);
    let admitted = false;
    const p = g.add([3]).then(() => {
      admitted = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(admitted).toBe(false);
    release();
    await p;
    expect(admitted).toBe(true);
    await g.stop();
  });

  it('stop() seals and stores what was buffered', async () => {
    const clock = new ManualClock(0);
    const stored: number[][] = [];
    const { g } = generator(clock, async (b) => {
      stored.push([...b.items]);
    });
    g.start();
    await g.add([7, 8]);
    await g.stop();
    expect(stored).toEqual([[7, 8]]);
  });
});
