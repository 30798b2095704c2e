import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPoolExecutor } from '../../src/engine/worker-pool-executor.js';
import { type Executor, ManualClock, StreamingContext } from '../../src/index.js';
import { startManual } from '../support/manual-run.js';
import job, { queue, results } from './fixtures/executor-job.js';

const JOB = new URL('./fixtures/executor-job.ts', import.meta.url).pathname;

function batches(seed: number): string[][] {
  let a = seed;
  const rnd = () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648;
  };
  return Array.from({ length: 3 }, () =>
    Array.from({ length: 40 + Math.floor(rnd() * 40) }, () =>
      JSON.stringify({ k: `k${Math.floor(rnd() * 7)}`, v: Math.floor(rnd() * 100) }),
    ),
  );
}

async function runJob(executors: number, input: string[][]) {
  queue.length = 0;
  results.length = 0;
  queue.push(...input.map((b) => [...b]));
  const clock = new ManualClock(0);
  const base = { appName: 'exec', batchIntervalMs: 1000, defaultParallelism: 3 };
  const executor: Executor | undefined =
    executors === 0 ? undefined : new WorkerPoolExecutor({ threads: executors, jobModule: JOB, ...base });
  const ssc = new StreamingContext({ ...base, clock, tracing: false, ...(executor ? { executor } : {}) });
  job(ssc);
  const run = await startManual(ssc, clock);
  const records = await run.step(input.length);
  await ssc.stop();
  return { results: structuredClone(results), records, executor: executor as WorkerPoolExecutor | undefined };
}

describe('WorkerPoolExecutor', () => {
  afterEach(() => {
    delete process.env.SS_TEST_KILL_MARKER;
  });

  it('gives the same results with 0, 1 and 2 executors, computing tasks in workers', async () => {
    const input = batches(7);
    const inProcess = await runJob(0, input);
    const one = await runJob(1, input);
    const two = await runJob(2, input);
    expect(inProcess.results).toHaveLength(3);
    expect(one.results).toEqual(inProcess.results);
    expect(two.results).toEqual(inProcess.results);
    // map side of reduceByKey (3 partitions) + collect (3) + count (3) per batch, all remote
    expect(two.executor!.stats.remoteTasks).toBe(27);
    expect(two.executor!.stats.inProcessTasks).toBe(0);
  }, 60_000);

  it('replaces a worker killed mid-task and retries the task; the batch succeeds and counts the failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-exec-'));
    try {
      process.env.SS_TEST_KILL_MARKER = join(dir, 'killed');
      const input = batches(11).slice(0, 1);
      const expected = (await runJob(0, input)).results;
      const { results: got, records, executor } = await runJob(2, input);
      expect(got).toEqual(expected);
      expect(executor!.stats.workersLost).toBe(1);
      expect(records[0]!.tasks.failed).toBe(1);
      expect(records[0]!.tasks.retried).toBe(1);
      expect(records[0]!.outcome).toBe('succeeded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
