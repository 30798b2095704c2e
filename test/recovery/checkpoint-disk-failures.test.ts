/**
 * A checkpoint directory that runs out of space or turns read-only: the context stops with
 * SS_CHECKPOINT_WRITE_FAILED naming the directory and the fix, no batch after the failed one
 * commits, no input is told to clean past the last durable checkpoint, and once the directory
 * is usable again a restart recovers from that checkpoint. Real file systems: a small tmpfs
 * mounted for the test (root only). Without mount rights the tests are skipped, except under
 * CI=true, where that is a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSidestreamError } from '../../src/errors.js';
import { type CompletedBatchRecord, StreamingContext } from '../../src/index.js';
import { CheckpointStore } from '../../src/state/checkpoint-store.js';
import { waitFor } from '../support/manual-run.js';
import { TimedSource } from '../support/timed-source.js';

function tryMount(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}

const probeDir = await mkdtemp(join(tmpdir(), 'ss-mount-probe-'));
const cannotMount = tryMount(probeDir, '64k');
if (cannotMount === undefined) execFileSync('umount', [probeDir]);
await rm(probeDir, { recursive: true, force: true });
const mountable = cannotMount === undefined;

const mounted: string[] = [];
const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
  for (const dir of mounted.splice(0)) {
    execFileSync('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  }
});

async function mountTmpfs(size: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ss-ckpt-fs-'));
  const problem = tryMount(dir, size);
  if (problem) throw new Error(`mount tmpfs on ${dir} failed: ${problem}`);
  mounted.push(dir);
  return dir;
}

/** Every batch adds one key holding `bytes` of text: the state (and each checkpoint) grows. */
function growingJob(dir: string, bytes: number) {
  const ssc = new StreamingContext({
    appName: 'disk',
    batchIntervalMs: 100,
    checkpointDir: dir,
    defaultParallelism: 2,
    tracing: false,
  });
  contexts.push(ssc);
  const source = new TimedSource<[string, string]>((t) => [
    [`k${t}`, 'x'.repeat(bytes)],
    ['count', '1'],
  ]);
  const written: number[] = [];
  const failed: { batchTime: number; message: string }[] = [];
  const completed: CompletedBatchRecord[] = [];
  ssc.addStreamingListener({
    onCheckpointWritten: (c) => written.push(c.batchTime),
    onCheckpointFailed: (f) => failed.push(f),
    onBatchCompleted: (b) => completed.push(b),
  });
  const totals = new Map<number, Record<string, string>>();
  ssc
    .inputStream(source)
    .updateStateByKey<string, string, string>((vs, s) =>
      // Big values are kept as they are; 'count' adds up.
      vs.length === 0
        ? s
        : vs[0]!.length > 1
          ? vs[0]
          : String(vs.reduce((n, v) => n + Number(v), Number(s ?? 0))),
    )
    .filter(([k]) => k === 'count')
    .foreachRDD(async (rdd, t) => {
      totals.set(t, Object.fromEntries(await rdd.collect()));
    });
  return { ssc, source, written, failed, completed, totals };
}

/** What must hold after a checkpoint failure: nothing committed or cleaned past it. */
function expectStoppedSafely(job: ReturnType<typeof growingJob>) {
  expect(job.failed).toHaveLength(1);
  const failedAt = job.failed[0]!.batchTime;
  expect(job.written.every((t) => t < failedAt)).toBe(true);
  // The failed batch itself committed its input before its checkpoint; nothing after it did.
  expect(Math.max(...job.source.committed)).toBe(failedAt);
  expect(job.source.checkpoints.map(([t]) => t)).toEqual(job.written);
  expect(job.ssc.state).toBe('stopped');
  return failedAt;
}

describe('checkpoint directory failures', () => {
  it.runIf(!mountable && process.env.CI === 'true')('CI must be able to mount a tmpfs', () => {
    throw new Error(`cannot mount a tmpfs (run the tests as root): ${cannotMount}`);
  });
  it.skipIf(!mountable)('a full disk stops the context with a clear SS_CHECKPOINT_WRITE_FAILED', async () => {
    const dir = await mountTmpfs('96k');
    const job = growingJob(dir, 3000);
    await job.ssc.start();
    const error = await job.ssc.awaitTermination().catch((e: unknown) => e);
    expect(isSidestreamError(error, 'SS_CHECKPOINT_WRITE_FAILED'), String(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(join(dir, 'checkpoints'));
    expect(message).toMatch(/ENOSPC/);
    expect(message).toMatch(/disk is full: free space or move --checkpoint-dir/);
    const failedAt = expectStoppedSafely(job);
    // The newest file on disk is the last durable checkpoint, whole.
    const read = await new CheckpointStore(dir).read();
    expect(read?.data.batchTimeMs).toBe(job.written.at(-1));
    expect(read?.skipped).toEqual([]);
    expect(failedAt).toBeGreaterThan(read!.data.batchTimeMs);
  });

  it.skipIf(!mountable)(
    'a read-only directory stops the context; after a remount a restart recovers from the last checkpoint',
    async () => {
      const dir = await mountTmpfs('4m');
      const job = growingJob(dir, 10);
      await job.ssc.start();
      const zero = job.ssc.graph.zeroTimeMs!;
      await waitFor(() => job.written.length >= 3, 10_000, 'three checkpoints');
      execFileSync('mount', ['-o', 'remount,ro', dir]);
      const error = await job.ssc.awaitTermination().catch((e: unknown) => e);
      expect(isSidestreamError(error, 'SS_CHECKPOINT_WRITE_FAILED'), String(error)).toBe(true);
      expect((error as Error).message).toContain(join(dir, 'checkpoints'));
      expect((error as Error).message).toMatch(
        /EROFS.*read-only: remount it read-write or move --checkpoint-dir/,
      );
      expectStoppedSafely(job);
      const lastDurable = job.written.at(-1)!;
      for (const [t, totals] of job.totals)
        expect(totals, `at ${t}`).toEqual({ count: String((t - zero) / 100) });

      execFileSync('mount', ['-o', 'remount,rw', dir]);
      let next: ReturnType<typeof growingJob> | undefined;
      const ssc = await StreamingContext.getOrCreate(dir, () => {
        next = growingJob(dir, 10);
        return next.ssc;
      });
      await ssc.start();
      expect(ssc.recovery?.checkpointTimeMs).toBe(lastDurable);
      expect(ssc.recovery?.rescheduledTimesMs[0]).toBe(lastDurable + 100);
      await waitFor(() => next!.written.length >= 2, 10_000, 'checkpoints after recovery');
      // The count continues from the checkpoint: one per batch since the zero time.
      for (const [t, totals] of next!.totals)
        expect(totals, `at ${t}`).toEqual({ count: String((t - zero) / 100) });
    },
  );
});
