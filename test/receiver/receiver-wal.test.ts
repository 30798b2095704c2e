/**
 * Receiver streams on the real FileWriteAheadLog, through a StreamingContext: a batch allocated
 * before a failure is run again with the same records by the next context on the same
 * checkpoint directory; stored-but-unallocated blocks survive; a corrupt log tail is repaired and
 * reported; on a full disk nothing is acknowledged that is not durable.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../src/errors.js';
import type { WalFailure } from '../../src/events/index.js';
import { Receiver, StreamingContext } from '../../src/index.js';
import { FileWriteAheadLog } from '../../src/state/file-write-ahead-log.js';
import { waitFor } from '../support/manual-run.js';

class PushReceiver extends Receiver<string> {
  onStart(): void {}
  onStop(): void {}
}

function context(checkpointDir: string, appName = 'receiver-wal') {
  return new StreamingContext({
    appName,
    batchIntervalMs: 100,
    checkpointDir,
    defaultParallelism: 1,
    tracing: false,
    output: () => {},
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-receiver-wal-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('receiver streams with the write-ahead log', () => {
  it('a batch that failed is run again, with the same records, by the next context', async () => {
    const checkpointDir = join(dir, 'rerun');
    const first = context(checkpointDir);
    const r1 = new PushReceiver();
    let failed: string[] | undefined;
    first.receiverStream(r1, { blockIntervalMs: 20 }).foreachRDD(async (rdd) => {
      const items = await rdd.collect();
      if (items.length > 0) {
        failed = items;
        throw new Error('the sink is down');
      }
    });
    await first.start();
    const acked: string[] = [];
    const lines = Array.from({ length: 50 }, (_, i) => `a${i}`);
    await r1.storeMany(lines, () => acked.push(...lines));
    await expect(first.awaitTermination()).rejects.toThrow(/the sink is down/);
    expect(acked).toEqual(lines);
    expect(failed).toEqual(lines);

    const second = context(checkpointDir);
    const seen: string[][] = [];
    second.receiverStream(new PushReceiver(), { blockIntervalMs: 20 }).foreachRDD(async (rdd) => {
      const items = await rdd.collect();
      if (items.length > 0) seen.push(items);
    });
    await second.start();
    await waitFor(() => seen.length > 0, 5000, 'the recovered batch');
    await second.stop({ graceful: true });
    expect(seen[0]).toEqual(lines);
    expect(seen.flat()).toHaveLength(lines.length);
  });

  it('stored but unallocated blocks survive a stop, and a corrupt tail is truncated and reported', async () => {
    const checkpointDir = join(dir, 'tail');
    const first = context(checkpointDir);
    const r1 = new PushReceiver();
    first.receiverStream(r1, { blockIntervalMs: 10_000 }).foreachRDD(async () => {});
    await first.start();
    const lines = ['x1', 'x2', 'x3'];
    let stored = false;
    await r1.storeMany(lines, () => {
      stored = true;
    });
    // Not graceful: no further batch; stop() seals and stores the buffered block unallocated.
    await first.stop({ graceful: false });
    expect(stored).toBe(true);
    for (const log of ['data', 'journal']) {
      const logDir = join(checkpointDir, 'receivers', 'stream-0', log);
      const [segment] = (await readdir(logDir)).sort().reverse();
      await appendFile(join(logDir, segment!), Buffer.from('torn garbage that is not a frame'));
    }

    const second = context(checkpointDir);
    const errors: WalFailure[] = [];
    second.addStreamingListener({ onWalError: (f) => errors.push(f) });
    const seen: string[] = [];
    second.receiverStream(new PushReceiver(), { blockIntervalMs: 20 }).foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()));
    });
    await second.start();
    await waitFor(() => seen.length === 3, 5000, 'the surviving block');
    await second.stop({ graceful: true });
    expect(seen).toEqual(lines);
    expect(errors.map((e) => [e.log, e.op, e.droppedBytes])).toEqual([
      ['receiver-data', 'recover', 32],
      ['block-journal', 'recover', 32],
    ]);
  });
});

describe('receiver streams on a full disk', () => {
  let mountPoint: string;
  let mountFailure: string | undefined;
  beforeAll(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'ss-receiver-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (error) {
      mountFailure = `cannot mount a tmpfs (needs root): ${describeError(error)}`;
    }
  });
  afterAll(async () => {
    if (mountFailure === undefined) execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('acknowledges nothing that is not durable, and reports why', async (ctx) => {
    if (mountFailure !== undefined) {
      if (process.env.CI === 'true') throw new Error(`${mountFailure}; CI must run the full-disk test`);
      ctx.skip(mountFailure);
    }
    const checkpointDir = join(mountPoint, 'checkpoint');
    const ssc = context(checkpointDir, 'full-disk');
    const receiver = new PushReceiver();
    const errors: string[] = [];
    ssc.addStreamingListener({ onReceiverError: (e) => errors.push(e.message ?? '') });
    const processed = new Set<string>();
    ssc.receiverStream(receiver, { blockIntervalMs: 20, restartDelayMs: 50 }).foreachRDD(async (rdd) => {
      for (const x of await rdd.collect()) processed.add(x);
    });
    await ssc.start();
    let stoppedBy: unknown;
    void ssc.awaitTermination().catch((error) => {
      stoppedBy = error;
    });
    const acked = new Set<string>();
    const payload = 'p'.repeat(2000);
    // Far more than 512 KiB: the disk must run out of space, under the receiver's log (the
    // receiver reports it and restarts) or under a checkpoint (the context stops safely).
    for (let i = 0; i < 600 && errors.length === 0 && stoppedBy === undefined; i++) {
      const line = `${i}:${payload}`;
      await receiver.store(line, () => acked.add(line));
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 25));
    }
    await waitFor(() => errors.length > 0 || stoppedBy !== undefined, 10_000, 'a reported failure');
    await ssc.stop({ graceful: false }).catch(() => {});
    const reported = [...errors, stoppedBy === undefined ? '' : describeError(stoppedBy)].join('\n');
    expect(reported).toMatch(/SS_WAL_WRITE_FAILED|SS_CHECKPOINT_WRITE_FAILED|ENOSPC|no space/i);
    expect(acked.size).toBeGreaterThan(0);
    expect(acked.size).toBeLessThan(600);

    // Everything acknowledged is either processed or in the log, readable after the failure.
    const inLog = new Set<string>();
    const log = await FileWriteAheadLog.open(join(checkpointDir, 'receivers', 'stream-0', 'data'));
    for await (const r of log.readAll()) for (const x of deserialize(r.data) as string[]) inLog.add(x);
    await log.close();
    const missing = [...acked].filter((x) => !processed.has(x) && !inLog.has(x));
    expect(missing).toEqual([]);
  });
});

describe('receiver rate limit', () => {
  it('maxRatePerSec holds a receiver that awaits store() to the rate', async () => {
    const ssc = new StreamingContext({
      appName: 'rate',
      batchIntervalMs: 100,
      defaultParallelism: 1,
      tracing: false,
      output: () => {},
    });
    const receiver = new PushReceiver();
    let processed = 0;
    ssc.receiverStream(receiver, { maxRatePerSec: 200, blockIntervalMs: 20 }).foreachRDD(async (rdd) => {
      processed += await rdd.count();
    });
    await ssc.start();
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) await receiver.storeMany(Array.from({ length: 20 }, (_, j) => `${i}-${j}`));
    const elapsed = performance.now() - t0;
    await waitFor(() => processed === 200, 5000, 'every record');
    await ssc.stop({ graceful: true });
    // 200 records at 200/s: the first 20 pass at once, the other 180 take at least 0.9 s (a lower
    // bound only: a loaded machine may take longer, never shorter).
    expect(elapsed).toBeGreaterThanOrEqual(850);
  });
});
