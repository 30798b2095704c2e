import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPoolExecutor } from '../../src/executors/worker-pool-executor.js';
import { type Executor, ManualClock, StreamingContext, type StreamingListener } from '../../src/index.js';
import { startManual, waitFor } from '../support/manual-run.js';
import job, { queue, results } from './fixtures/executor-job.js';

const JOB = new URL('./fixtures/executor-job.ts', import.meta.url).pathname;
const HANGING = new URL('./fixtures/hanging-job.ts', import.meta.url).pathname;

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

async function runJob(executors: number, input: string[][], listener: StreamingListener = {}) {
  queue.length = 0;
  results.length = 0;
  queue.push(...input.map((b) => [...b]));
  const clock = new ManualClock(0);
  const base = { appName: 'exec', batchIntervalMs: 1000, defaultParallelism: 3 };
  const executor: Executor | undefined =
    executors === 0 ? undefined : new WorkerPoolExecutor({ threads: executors, jobModule: JOB, ...base });
  const ssc = new StreamingContext({
    ...base,
    clock,
    tracing: false,
    onBatchFailure: 'continue',
    ...(executor ? { executor } : {}),
  });
  ssc.addStreamingListener(listener);
  job(ssc);
  const run = await startManual(ssc, clock);
  const records = await run.step(input.length);
  await ssc.stop();
  const metric = await ssc.metrics.registry.registry.getSingleMetric('exec_records_parsed_total')!.get();
  const parsed = metric.values.map((v) => [v.labels.key, v.value]).sort();
  const valueMetrics = await Promise.all(
    ['exec_values_total', 'exec_value_size'].map((name) =>
      ssc.metrics.registry.registry.getSingleMetricAsString(name),
    ),
  );
  return {
    results: structuredClone(results),
    records,
    parsed,
    valueMetrics,
    executor: executor as WorkerPoolExecutor | undefined,
  };
}

describe('WorkerPoolExecutor', () => {
  afterEach(() => {
    delete process.env.SS_TEST_KILL_MARKER;
    delete process.env.SS_TEST_FAIL_VALUE;
    delete process.env.SS_TEST_HANG;
  });

  it('reports a failing task exactly as in-process: same attempts, error types, reasons and totals', async () => {
    const input = batches(5).slice(0, 2);
    process.env.SS_TEST_FAIL_VALUE = String(JSON.parse(input[0]![0]!).v);
    const observe = async (executors: number) => {
      const failures: unknown[] = [];
      const { results: out, records } = await runJob(executors, input, {
        onTaskFailed: (e) => failures.push({ ...e }),
      });
      const summary = records.map((r) => ({
        outcome: r.outcome,
        tasks: r.tasks,
        reasons: r.outputOperations.map((o) => o.failureReason),
      }));
      return { out, failures, summary };
    };
    const inProcess = await observe(0);
    const one = await observe(1);
    const two = await observe(2);
    expect(inProcess.failures.length).toBeGreaterThanOrEqual(4);
    expect(inProcess.summary[0]!.outcome).toBe('failed');
    // One executor has the in-process parallelism (1 lane): everything is identical.
    expect(one.failures).toEqual(inProcess.failures);
    expect(one.summary).toEqual(inProcess.summary);
    expect(one.out).toEqual(inProcess.out);
    // Two lanes may run a second failing partition before the stage is lost (as in-process would
    // with parallelism 2), so only the outcome, the reasons and the data are compared.
    const shape = (e: unknown) => {
      const { errorType, reason, stage } = e as { errorType: string; reason: string; stage: string };
      return { errorType, reason, stage };
    };
    expect(new Set(two.failures.map((e) => JSON.stringify(shape(e))))).toEqual(
      new Set(inProcess.failures.map((e) => JSON.stringify(shape(e)))),
    );
    expect(two.summary.map((r) => r.outcome)).toEqual(inProcess.summary.map((r) => r.outcome));
    expect(two.out).toEqual(inProcess.out);
  }, 60_000);

  it('ready() reports a job that cannot load in the workers as the driver would', async () => {
    const base = { appName: 'exec', batchIntervalMs: 1000, defaultParallelism: 1 };
    const broken = new URL('./fixtures/broken-job.ts', import.meta.url).pathname;
    const pool = new WorkerPoolExecutor({ threads: 1, jobModule: broken, ...base });
    try {
      await expect(pool.ready()).rejects.toMatchObject({
        code: 'SS_JOB_LOAD_FAILED',
        message: expect.stringContaining('this job fails at import'),
      });
    } finally {
      await pool.close();
    }
    const good = new WorkerPoolExecutor({ threads: 2, jobModule: JOB, ...base });
    await good.ready();
    await good.close();
  }, 30_000);

  it.each([
    ['import', 'did not finish loading within 1.5s: its top-level code is still waiting'],
    ['declare', 'did not finish declaring its graph within 1.5s'],
  ])(
    'ready() gives up on workers whose job never finishes (%s) with SS_JOB_LOAD_TIMEOUT',
    async (hang, says) => {
      process.env.SS_TEST_HANG = hang;
      const base = { appName: 'exec', batchIntervalMs: 1000, defaultParallelism: 1 };
      const pool = new WorkerPoolExecutor({ threads: 2, jobModule: HANGING, loadTimeoutMs: 1500, ...base });
      const started = Date.now();
      try {
        await expect(pool.ready()).rejects.toMatchObject({
          code: 'SS_JOB_LOAD_TIMEOUT',
          message: expect.stringContaining(says),
        });
        // Each worker timed its own step; the pool's bound (twice the timeout) was not needed.
        expect(Date.now() - started).toBeLessThan(5_000);
        // Asked again, the pool answers at once with the same error.
        await expect(pool.ready()).rejects.toMatchObject({ code: 'SS_JOB_LOAD_TIMEOUT' });
      } finally {
        await pool.close();
      }
    },
    30_000,
  );

  it('refuses a load timeout its timers could not hold', () => {
    const base = {
      appName: 'exec',
      batchIntervalMs: 1000,
      defaultParallelism: 1,
      threads: 1,
      jobModule: JOB,
    };
    for (const loadTimeoutMs of [0, 1.5, 2 ** 31])
      expect(() => new WorkerPoolExecutor({ ...base, loadTimeoutMs }), String(loadTimeoutMs)).toThrow(
        expect.objectContaining({
          code: 'SS_CONFIG_INVALID',
          message: expect.stringContaining('loadTimeoutMs'),
        }),
      );
  });

  it('ready() gives up on a worker that never yields, which cannot time itself out', async () => {
    process.env.SS_TEST_HANG = 'spin';
    const base = { appName: 'exec', batchIntervalMs: 1000, defaultParallelism: 1 };
    const pool = new WorkerPoolExecutor({ threads: 1, jobModule: HANGING, loadTimeoutMs: 500, ...base });
    const started = Date.now();
    try {
      await expect(pool.ready()).rejects.toMatchObject({
        code: 'SS_JOB_LOAD_TIMEOUT',
        message: expect.stringContaining(
          '1 of 1 executor workers did not finish importing ' +
            HANGING +
            ' and declaring its graph within 1.5s',
        ),
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1450);
    } finally {
      // terminate() ends even a spinning thread.
      await pool.close();
    }
  }, 30_000);

  it('reports a job whose import ends the worker thread, without respawning it forever', async () => {
    const base = { appName: 'exec', batchIntervalMs: 1000, defaultParallelism: 1 };
    const exiting = new URL('./fixtures/exiting-job.ts', import.meta.url).pathname;
    const pool = new WorkerPoolExecutor({ threads: 2, jobModule: exiting, ...base });
    try {
      await expect(pool.ready()).rejects.toMatchObject({
        code: 'SS_JOB_LOAD_FAILED',
        message: expect.stringContaining('exited with code 5 while importing'),
      });
      // ready() rejects on the first worker's exit; the second may take a while to start and exit
      // on a busy machine, so wait for it, then long enough to see that neither is replaced.
      await waitFor(() => pool.stats.workersLost >= 2, 10_000, 'both workers to exit');
      await new Promise((r) => setTimeout(r, 300));
      expect(pool.stats.workersLost).toBe(2);
      expect(pool.stats.retiredWorkers).toBe(2);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('stops replacing workers that keep dying; the tasks then run on the main thread', async () => {
    process.env.SS_TEST_KILL_ALWAYS = '1';
    queue.length = 0;
    results.length = 0;
    queue.push(batches(3)[0]!);
    const clock = new ManualClock(0);
    const base = { appName: 'exec', batchIntervalMs: 1000, defaultParallelism: 3 };
    const warnings: string[] = [];
    const pool = new WorkerPoolExecutor({
      threads: 2,
      jobModule: JOB,
      ...base,
      onWarning: (m) => warnings.push(m),
    });
    try {
      const ssc = new StreamingContext({
        ...base,
        clock,
        tracing: false,
        maxTaskFailures: 30,
        executor: pool,
      });
      job(ssc);
      const run = await startManual(ssc, clock);
      // Twelve workers start and die before the batch can finish: seconds each on a busy machine.
      const [record] = await run.step(1, 45_000);
      await ssc.stop();
      expect(record!.outcome).toBe('succeeded');
      expect(results).toHaveLength(1);
      // 10 deaths within a minute are replaced; the 11th and 12th retire both workers.
      expect(pool.stats.workersLost).toBe(12);
      expect(pool.stats.retiredWorkers).toBe(2);
      expect(pool.stats.inProcessTasks).toBeGreaterThan(0);
      expect(warnings.join('\n')).toMatch(
        /not replacing this one \(0 left; with none, tasks run on the main thread\)/,
      );
    } finally {
      delete process.env.SS_TEST_KILL_ALWAYS;
      await pool.close();
    }
  }, 60_000);

  it('runs a task in-process when the worker rebuilds a different RDD under its lineage key', async () => {
    const mismatchJob = await import('./fixtures/mismatch-job.js');
    const base = { appName: 'exec', batchIntervalMs: 1000, defaultParallelism: 2 };
    const jobModule = new URL('./fixtures/mismatch-job.ts', import.meta.url).pathname;
    const pool = new WorkerPoolExecutor({ threads: 2, jobModule, ...base });
    mismatchJob.queue.push([1, 2, 3, 4, 5]);
    mismatchJob.results.length = 0;
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ ...base, clock, tracing: false, executor: pool });
    mismatchJob.default(ssc);
    const run = await startManual(ssc, clock);
    const [record] = await run.step();
    await ssc.stop();
    expect(record!.outcome).toBe('succeeded');
    expect(record!.tasks.failed).toBe(0);
    expect(mismatchJob.results[0]!.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(pool.stats.lineageMismatches).toBeGreaterThan(0);
    expect(pool.stats.remoteTasks).toBe(0);
  }, 30_000);

  it('gives the same results with 0, 1 and 2 executors, computing tasks in workers', async () => {
    const input = batches(7);
    const inProcess = await runJob(0, input);
    const one = await runJob(1, input);
    const two = await runJob(2, input);
    expect(inProcess.results).toHaveLength(3);
    expect(one.results).toEqual(inProcess.results);
    expect(two.results).toEqual(inProcess.results);
    // User metrics updated inside the map (in workers) are replayed on the driver's registry.
    expect(inProcess.parsed.length).toBeGreaterThan(0);
    expect(one.parsed).toEqual(inProcess.parsed);
    expect(two.parsed).toEqual(inProcess.parsed);
    // ...in the value-only shapes too (inc(n), observe(n)).
    expect(inProcess.valueMetrics.join('\n')).toMatch(/exec_values_total\{app="exec"\} [1-9]/);
    expect(one.valueMetrics).toEqual(inProcess.valueMetrics);
    expect(two.valueMetrics).toEqual(inProcess.valueMetrics);
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
