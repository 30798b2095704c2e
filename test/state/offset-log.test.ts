/** The offset log on a real filesystem. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffsetLog } from '../../src/state/offset-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-offsets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ranges = (from: number, until: number) => ({
  'kafka:t': [
    { topic: 't', partition: 0, fromOffset: from, untilOffset: until },
    { topic: 't', partition: 1, fromOffset: from * 2, untilOffset: until * 2 },
  ],
});

describe('OffsetLog', () => {
  it('reports the newest planned batch and whether it was committed', async () => {
    const log = new OffsetLog(dir);
    await log.init();
    expect(await log.state()).toEqual({
      latest: undefined,
      latestCommitted: false,
      pending: [],
      lastCommitted: undefined,
    });
    await log.writePlanned({ batchTime: 1000, ranges: ranges(0, 10) });
    await log.writeCommit(1000);
    await log.writePlanned({ batchTime: 2000, ranges: ranges(10, 25) });
    const state = await new OffsetLog(dir).state();
    expect(state.latestCommitted).toBe(false);
    expect(state.latest).toEqual({ batchTime: 2000, ranges: ranges(10, 25) });
    await log.writeCommit(2000);
    expect((await log.state()).latestCommitted).toBe(true);
  });

  it('lists every batch planned after the newest commit, oldest first', async () => {
    const log = new OffsetLog(dir);
    await log.init();
    await log.writePlanned({ batchTime: 1000, ranges: ranges(0, 10) });
    await log.writeCommit(1000);
    // Two more batches were planned (the second while the first ran) and neither committed.
    await log.writePlanned({ batchTime: 2000, ranges: ranges(10, 20) });
    await log.writePlanned({ batchTime: 3000, ranges: ranges(20, 30) });
    const state = await log.state();
    expect(state.pending.map((b) => b.batchTime)).toEqual([2000, 3000]);
    expect(state.lastCommitted?.batchTime).toBe(1000);
    expect(state.latest?.batchTime).toBe(3000);
  });

  it('keeps only the newest entries on cleanup', async () => {
    const log = new OffsetLog(dir, 3);
    await log.init();
    for (let t = 1; t <= 6; t++) {
      await log.writePlanned({ batchTime: t * 1000, ranges: ranges(t, t + 1) });
      await log.writeCommit(t * 1000);
    }
    await log.cleanup();
    expect((await readdir(join(dir, 'offsets'))).sort()).toEqual(['4000', '5000', '6000']);
    expect((await readdir(join(dir, 'commits'))).sort()).toEqual(['4000', '5000', '6000']);
    expect((await log.state()).latest?.batchTime).toBe(6000);
  });

  it('names the file and the fix when an entry is corrupt or from an unknown format', async () => {
    const log = new OffsetLog(dir);
    await log.init();
    await writeFile(join(dir, 'offsets', '3000'), '{"format":1,"batchTime":30');
    await expect(log.state()).rejects.toThrow(/offsets\/3000 is unreadable.*delete it to resume/);
    await writeFile(join(dir, 'offsets', '3000'), '{"format":9,"batchTime":3000,"ranges":{}}');
    await expect(log.state()).rejects.toMatchObject({ code: 'SS_OFFSET_LOG_CORRUPT' });
  });

  it('fails with a clear error when the directory cannot be created', async () => {
    await writeFile(join(dir, 'file'), '');
    await expect(new OffsetLog(join(dir, 'file', 'sub')).init()).rejects.toThrow(
      /cannot create the offset log.*--checkpoint-dir/,
    );
  });
});
