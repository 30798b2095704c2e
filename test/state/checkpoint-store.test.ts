/** CheckpointStore: framing, keep-last-N, and falling back past damaged newest files. */
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSidestreamError } from '../../src/errors.js';
import {
  CHECKPOINT_FORMAT_VERSION,
  type CheckpointData,
  CheckpointStore,
} from '../../src/state/checkpoint-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-ckpt-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function data(batchTimeMs: number): CheckpointData {
  return {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    appName: 'app',
    batchIntervalMs: 1000,
    checkpointIntervalMs: 1000,
    defaultParallelism: 2,
    job: { path: '/jobs/j.ts', sha256: 'ab'.repeat(32) },
    config: { app: 'app', batchIntervalMs: 1000 },
    zeroTimeMs: 0,
    batchTimeMs,
    pendingTimesMs: [batchTimeMs + 1000],
    writtenAtMs: batchTimeMs + 5,
    streams: [
      {
        key: '2:updateStateByKey',
        rdds: [
          { timeMs: batchTimeMs, partitions: [[['a', { sum: batchTimeMs, seen: new Map([['x', 1]]) }]], []] },
        ],
      },
    ],
  };
}

const file = (t: number) => join(dir, 'checkpoints', `checkpoint-${t}`);

describe('CheckpointStore', () => {
  it('writes and reads back a checkpoint (Maps and nested objects included)', async () => {
    const store = new CheckpointStore(dir);
    const { bytes } = await store.write(data(3000));
    expect(bytes).toBeGreaterThan(44);
    const read = await store.read();
    expect(read?.data).toEqual(data(3000));
    expect(read?.file).toBe(file(3000));
    expect(read?.skipped).toEqual([]);
    // No temp file is left behind.
    expect(await readdir(join(dir, 'checkpoints'))).toEqual(['checkpoint-3000']);
  });

  it('reads nothing from an empty or missing directory', async () => {
    expect(await new CheckpointStore(join(dir, 'missing')).read()).toBeUndefined();
  });

  it('keeps only the newest N files and reads the newest', async () => {
    const store = new CheckpointStore(dir, 3);
    for (let t = 1000; t <= 6000; t += 1000) await store.write(data(t));
    expect(await store.times()).toEqual([4000, 5000, 6000]);
    expect((await store.read())?.data.batchTimeMs).toBe(6000);
  });

  const damages: [string, (path: string) => Promise<void>, RegExp][] = [
    [
      'flipped payload bytes',
      async (p) => {
        const buf = await readFile(p);
        buf[buf.length - 3] = buf[buf.length - 3]! ^ 0xff;
        await writeFile(p, buf);
      },
      /checksum mismatch/,
    ],
    ['a truncated file', (p) => truncate(p, 60), /length mismatch/],
    ['a truncated header', (p) => truncate(p, 10), /truncated header/],
    ['a zero-length file', (p) => truncate(p, 0), /empty file/],
    [
      'an unknown format version',
      async (p) => {
        const buf = await readFile(p);
        buf.writeUInt16BE(99, 4);
        await writeFile(p, buf);
      },
      /unknown format version 99/,
    ],
    ['bad magic', (p) => writeFile(p, Buffer.alloc(100, 7)), /bad magic/],
  ];

  for (const [what, damage, reason] of damages) {
    it(`falls back to the previous checkpoint when the newest has ${what}, and says why`, async () => {
      const store = new CheckpointStore(dir);
      for (const t of [1000, 2000, 3000]) await store.write(data(t));
      await damage(file(3000));
      const read = await store.read();
      expect(read?.data.batchTimeMs).toBe(2000);
      expect(read?.skipped).toHaveLength(1);
      expect(read?.skipped[0]?.file).toBe(file(3000));
      expect(read?.skipped[0]?.reason).toMatch(reason);
    });
  }

  it('skips several damaged files, newest first', async () => {
    const store = new CheckpointStore(dir);
    for (const t of [1000, 2000, 3000]) await store.write(data(t));
    await truncate(file(3000), 0);
    await truncate(file(2000), 50);
    const read = await store.read();
    expect(read?.data.batchTimeMs).toBe(1000);
    expect(read?.skipped.map((s) => s.file)).toEqual([file(3000), file(2000)]);
  });

  it('refuses with SS_CHECKPOINT_CORRUPT when every file is damaged, naming each', async () => {
    const store = new CheckpointStore(dir);
    for (const t of [1000, 2000]) await store.write(data(t));
    await truncate(file(1000), 0);
    await truncate(file(2000), 20);
    const error = await store.read().catch((e: unknown) => e);
    expect(isSidestreamError(error, 'SS_CHECKPOINT_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(file(1000));
    expect((error as Error).message).toContain(file(2000));
  });

  it('a write into an unwritable place is SS_CHECKPOINT_WRITE_FAILED naming the directory and the fix', async () => {
    await writeFile(join(dir, 'checkpoints'), 'a file where the directory should be');
    const error = await new CheckpointStore(dir).write(data(1000)).catch((e: unknown) => e);
    expect(isSidestreamError(error, 'SS_CHECKPOINT_WRITE_FAILED')).toBe(true);
    expect((error as Error).message).toContain(join(dir, 'checkpoints'));
    expect((error as Error).message).toMatch(/--checkpoint-dir/);
  });

  it('refuses values that cannot be cloned with a write failure, not a crash', async () => {
    const bad = {
      ...data(1000),
      streams: [{ key: '0:x', rdds: [{ timeMs: 1000, partitions: [[() => 1]] }] }],
    };
    const error = await new CheckpointStore(dir).write(bad).catch((e: unknown) => e);
    expect(isSidestreamError(error, 'SS_CHECKPOINT_WRITE_FAILED')).toBe(true);
  });
});
