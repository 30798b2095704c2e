/** Task retries and the batch-failure policy. */
import { describe, expect, it } from 'vitest';
import type { Executor, SidestreamError, TaskFailure } from '../../src/index.js';
import { manualContexts } from '../support/manual-contexts.js';
import { startManual, waitFor } from '../support/manual-run.js';

const manualContext = manualContexts();

function context(onBatchFailure: 'stop' | 'continue' = 'stop') {
  const { ssc, clock } = manualContext({
    appName: 'retry',
    batchIntervalMs: 1000,
    defaultParallelism: 1,
    onBatchFailure,
  });
  const failures: TaskFailure[] = [];
  ssc.addStreamingListener({ onTaskFailed: (f) => failures.push(f) });
  return { ssc, clock, failures };
}

describe('task retries', () => {
  it('a task that throws 3 times then succeeds gives a succeeded batch with tasks.failed = 3', async () => {
    const { ssc, clock, failures } = context();
    let attempts = 0;
    ssc.queueStream([[1, 2, 3]]).foreachRDD(async (rdd) => {
      await rdd.foreachPartition(() => {
        attempts++;
        if (attempts <= 3) throw new Error(`flaky ${attempts}`);
      });
    });
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    expect(b!.outcome).toBe('succeeded');
    expect(b!.tasks).toEqual({ total: 1, failed: 3, retried: 3 });
    expect(failures.map((f) => [f.attempt, f.willRetry, f.reason])).toEqual([
      [1, true, 'flaky 1'],
      [2, true, 'flaky 2'],
      [3, true, 'flaky 3'],
    ]);
  });

  it('a user function that throws inside a shuffle map stage is retried as a task', async () => {
    const { ssc, clock } = context();
    let calls = 0;
    const sums: [string, number][][] = [];
    ssc
      .queueStream<[string, number]>([
        [
          ['a', 1],
          ['a', 2],
        ],
      ])
      .map((kv) => {
        calls++;
        if (calls === 1) throw new TypeError('bad record');
        return kv;
      })
      .reduceByKey((a, b) => a + b)
      .foreachRDD(async (rdd) => {
        sums.push(await rdd.collect());
      });
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    expect(b!.outcome).toBe('succeeded');
    expect(b!.tasks.failed).toBe(1);
    expect(sums).toEqual([[['a', 3]]]);
  });

  it("a task that always throws fails the batch after maxTaskFailures; policy 'stop' surfaces it", async () => {
    const { ssc, clock, failures } = context('stop');
    ssc.queueStream([[1], [2]]).foreachRDD(async (rdd) => {
      await rdd.foreachPartition(() => {
        throw new Error('always');
      });
    });
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    expect(b!.outcome).toBe('failed');
    expect(b!.tasks).toEqual({ total: 1, failed: 4, retried: 3 });
    expect(b!.outputOperations[0]!.failureReason).toMatch(/failed 4 times.*most recent failure: always/);
    expect(failures.at(-1)).toMatchObject({ attempt: 4, willRetry: false });
    const err = (await ssc.awaitTermination().catch((e: unknown) => e)) as SidestreamError;
    expect(err.code).toBe('SS_BATCH_FAILED');
    expect(err.message).toMatch(/batch 1000 failed/);
    expect(ssc.state).toBe('stopped');
  });

  it("policy 'continue' records the failed batch and goes on", async () => {
    const { ssc, clock } = context('continue');
    ssc.queueStream([[1], [2]]).foreachRDD(async (rdd, t) => {
      if (t === 1000) {
        await rdd.foreachPartition(() => {
          throw new Error('first batch only');
        });
      }
    });
    const run = await startManual(ssc, clock);
    const batches = await run.step(2);
    expect(batches.map((b) => b.outcome)).toEqual(['failed', 'succeeded']);
    expect(ssc.state).toBe('active');
  });

  it('honours a custom maxTaskFailures', async () => {
    const { ssc, clock } = manualContext({
      appName: 'r',
      batchIntervalMs: 1000,
      maxTaskFailures: 1,
      onBatchFailure: 'continue',
    });
    ssc.queueStream([[1]]).foreachRDD(async (rdd) => {
      await rdd.foreachPartition(() => {
        throw new Error('once');
      });
    });
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    expect(b!.tasks).toMatchObject({ failed: 1, retried: 0 });
    expect(b!.outcome).toBe('failed');
  });
});

describe('parallel executors', () => {
  it('a stage that loses a task stops handing out partitions and settles before the batch ends', async () => {
    const executor: Executor = {
      parallelism: 2,
      async run(_task, body) {
        await new Promise((r) => setTimeout(r, 2));
        return body();
      },
      async close() {},
    };
    const { ssc, clock } = manualContext({
      appName: 'lanes',
      batchIntervalMs: 1000,
      executor,
      defaultParallelism: 8,
    });
    let batchOver = false;
    let lateRuns = 0;
    let runs = 0;
    ssc.addStreamingListener({ onBatchCompleted: () => (batchOver = true) });
    ssc.queueStream([[1, 2, 3, 4, 5, 6, 7, 8]]).foreachRDD(async (rdd) => {
      await rdd.foreachPartition((_items, p) => {
        runs++;
        if (batchOver) lateRuns++;
        if (p === 0) throw new Error('partition 0 always fails');
      });
    });
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    await new Promise((r) => setTimeout(r, 100));
    expect(b!.outcome).toBe('failed');
    expect(lateRuns).toBe(0);
    // Partition 0 ran 4 times; the other lane ran some partitions meanwhile, but not all 7.
    expect(runs).toBeLessThan(4 + 7);
  });
});

describe('stop', () => {
  it('a graceful stop drains the batches already generated', async () => {
    const { ssc, clock } = manualContext({ appName: 's', batchIntervalMs: 1000 });
    const seen: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_rdd, t) => {
      if (t === 1000) await gate;
      seen.push(t);
    });
    const run = await startManual(ssc, clock);
    clock.advance(3000); // batches 1000, 2000, 3000 generated; 1000 blocks on the gate
    await waitFor(() => ssc.batchesWaiting === 2, 5000, 'two queued batches');
    const stopping = ssc.stop({ graceful: true, timeoutMs: 5000 });
    release();
    expect(await stopping).toBe(true);
    expect(seen).toEqual([1000, 2000, 3000]);
    expect(run.completed).toHaveLength(3);
  });

  it('a non-graceful stop drops queued batches, and the timeout bounds a stuck batch', async () => {
    const { ssc, clock } = manualContext({ appName: 's', batchIntervalMs: 1000 });
    const seen: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_rdd, t) => {
      seen.push(t);
      if (t === 1000) await new Promise(() => {}); // never finishes
    });
    await startManual(ssc, clock);
    clock.advance(3000);
    await waitFor(() => ssc.batchesWaiting === 2, 5000, 'two queued batches');
    const started = Date.now();
    expect(await ssc.stop({ graceful: false, timeoutMs: 200 })).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(seen).toEqual([1000]);
    expect(ssc.state).toBe('stopped');
  });
});
