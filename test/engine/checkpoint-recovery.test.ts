/**
 * Metadata checkpoints and recovery on a ManualClock: a context runs some batches and is dropped
 * (a simulated crash), a new one comes from getOrCreate with the same job function, and its
 * outputs must continue exactly as an uninterrupted run's would.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSidestreamError } from '../../src/errors.js';
import {
  type DStream,
  type JobIdentity,
  ManualClock,
  type State,
  StreamingContext,
  type StreamingContextOptions,
} from '../../src/index.js';
import { type Collected, collect } from '../support/collect.js';
import { startManual, waitFor } from '../support/manual-run.js';
import { TimedSource } from '../support/timed-source.js';

let dir: string;
const contexts: StreamingContext[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-recovery-'));
});
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Batch i (time i*1000): key a gets i, key b gets 1, key c gets 2 on even batches. */
function records(t: number): [string, number][] {
  const i = t / 1000;
  const out: [string, number][] = [
    ['a', i],
    ['b', 1],
  ];
  if (i % 2 === 0) out.push(['c', 2]);
  return out;
}

interface Job {
  ssc: StreamingContext;
  source: TimedSource<[string, number]>;
  outputs: Record<string, Collected<unknown>>;
}

function makeJob(
  clock: ManualClock,
  declare: (input: DStream<[string, number]>) => Record<string, DStream<unknown>>,
  options: Partial<StreamingContextOptions> = {},
  recovered: readonly number[] = [],
): Job {
  const ssc = new StreamingContext({
    appName: 'recovery',
    batchIntervalMs: 1000,
    clock,
    checkpointDir: dir,
    defaultParallelism: 2,
    tracing: false,
    ...options,
  });
  contexts.push(ssc);
  const source = new TimedSource(records, recovered);
  const streams = declare(ssc.inputStream(source));
  const outputs: Record<string, Collected<unknown>> = {};
  for (const [name, stream] of Object.entries(streams)) outputs[name] = collect(stream);
  return { ssc, source, outputs };
}

const sum = (vs: number[], s: number | undefined) => (s ?? 0) + vs.reduce((a, b) => a + b, 0);

function totalsJob(input: DStream<[string, number]>): Record<string, DStream<unknown>> {
  return { totals: input.updateStateByKey<string, number, number>(sum) as DStream<unknown> };
}

/** Runs a job to `batches` on a fresh clock, then drops it without a graceful stop. */
async function runThenCrash(
  declare: (input: DStream<[string, number]>) => Record<string, DStream<unknown>>,
  batches: number,
  options: Partial<StreamingContextOptions> = {},
): Promise<Job> {
  const clock = new ManualClock(0);
  const job = makeJob(clock, declare, options);
  const run = await startManual(job.ssc, clock);
  await run.step(batches);
  await job.ssc.stop();
  return job;
}

/** Recovers with getOrCreate on a clock at `nowMs`; waits for the rescheduled batches. */
async function recover(
  nowMs: number,
  declare: (input: DStream<[string, number]>) => Record<string, DStream<unknown>>,
  options: Partial<StreamingContextOptions> = {},
  recovered: readonly number[] = [],
) {
  const clock = new ManualClock(nowMs);
  let job: Job | undefined;
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    job = makeJob(clock, declare, options, recovered);
    return job.ssc;
  });
  expect(ssc).toBe(job!.ssc);
  const run = await startManual(ssc, clock);
  const expected = ssc.recovery?.rescheduledTimesMs.length ?? 0;
  await waitFor(() => run.completed.length >= expected, 10_000, 'rescheduled batches');
  return { job: job!, run, clock };
}

function expectedTotals(t: number): Record<string, number> {
  const n = t / 1000;
  return { a: (n * (n + 1)) / 2, b: n, c: 2 * Math.floor(n / 2) };
}

describe('metadata checkpoints and recovery', () => {
  it('updateStateByKey totals continue after a restart; down-time batches are generated', async () => {
    const first = await runThenCrash(totalsJob, 5);
    // One checkpoint per completed batch, and each input was told it is durable.
    expect(first.source.checkpoints.map(([t]) => t)).toEqual([1000, 2000, 3000, 4000, 5000]);
    const { job, run, ssc } = await recover(8500, totalsJob).then((r) => ({ ...r, ssc: r.job.ssc }));
    const report = ssc.recovery!;
    expect(report.checkpointTimeMs).toBe(5000);
    expect(report.downTimesMs).toEqual([6000, 7000, 8000]);
    expect(report.rescheduledTimesMs).toEqual([6000, 7000, 8000]);
    expect(report.restoredStreams).toEqual(['1:updateStateByKey']);
    expect(report.droppedStreams).toEqual([]);
    expect(job.source.recoveringFrom).toBe(5000);
    await run.step(2);
    expect(job.source.generated).toEqual([6000, 7000, 8000, 9000, 10000]);
    for (let t = 6000; t <= 10000; t += 1000) {
      expect(Object.fromEntries(job.outputs.totals!.get(t) as [string, number][]), `totals at ${t}`).toEqual(
        expectedTotals(t),
      );
    }
  });

  it('falls back to the previous checkpoint when the newest is damaged, and reports it', async () => {
    await runThenCrash(totalsJob, 5);
    await truncate(join(dir, 'checkpoints', 'checkpoint-5000'), 7);
    const { job } = await recover(5500, totalsJob);
    const report = job.ssc.recovery!;
    expect(report.checkpointTimeMs).toBe(4000);
    expect(report.skipped.map((s) => s.file)).toEqual([join(dir, 'checkpoints', 'checkpoint-5000')]);
    expect(report.rescheduledTimesMs).toEqual([5000]);
    expect(Object.fromEntries(job.outputs.totals!.get(5000) as [string, number][])).toEqual(
      expectedTotals(5000),
    );
  });

  it('generates the pending, input-logged and down-time batches once each, in order, then goes on with the timer', async () => {
    await runThenCrash(totalsJob, 3);
    // The input logged 4000 (and a stale 2000, already in the checkpoint) before the crash.
    const { job, run } = await recover(6200, totalsJob, {}, [2000, 4000]);
    expect(job.ssc.recovery!.pendingTimesMs).toEqual([4000]);
    expect(job.ssc.recovery!.downTimesMs).toEqual([5000, 6000]);
    expect(job.source.generated).toEqual([4000, 5000, 6000]);
    await run.step(1);
    expect(job.source.generated).toEqual([4000, 5000, 6000, 7000]);
    expect(Object.fromEntries(job.outputs.totals!.get(7000) as [string, number][])).toEqual(
      expectedTotals(7000),
    );
  });

  it('window, reduceByKeyAndWindow with an inverse and mapWithState give the same outputs across a restart', async () => {
    const declare = (input: DStream<[string, number]>): Record<string, DStream<unknown>> => ({
      window: input.window(3000) as DStream<unknown>,
      windowedSum: input.reduceByKeyAndWindow(
        (a, b) => a + b,
        4000,
        2000,
        (a, b) => a - b,
      ) as DStream<unknown>,
      plainWindowSum: input
        .map(([k, v]): [string, number] => [k, v * 10])
        .reduceByKeyAndWindow((a, b) => a + b, 3000) as DStream<unknown>,
      running: input.mapWithState<string, number, number, [string, number]>({
        update: (k, v, state: State<number>) => {
          const next = (state.getOption() ?? 0) + (v ?? 0);
          state.update(next);
          return [k, next];
        },
      }) as DStream<unknown>,
    });
    // Reference: 12 batches without a restart.
    const clock = new ManualClock(0);
    const reference = makeJob(clock, declare, { checkpointDir: join(dir, 'reference') });
    const run = await startManual(reference.ssc, clock);
    await run.step(12);
    await reference.ssc.stop();

    const first = await runThenCrash(declare, 5);
    const second = await recover(8100, declare);
    expect([...second.job.ssc.recovery!.restoredStreams].sort()).toEqual(
      // The input (window parent), the reduced parent of the inverse window and the window itself,
      // the reduceByKey under the plain window, and mapWithState's internal stream.
      ['0:timed', '2:reduceByKey', '3:reduceByKeyAndWindow', '5:reduceByKey', '8:mapWithState'],
    );
    await second.run.step(4);
    for (const name of Object.keys(reference.outputs)) {
      for (let t = 1000; t <= 12000; t += 1000) {
        const got = (t <= 5000 ? first : second.job).outputs[name]!.get(t);
        expect(got, `${name} at ${t}`).toEqual(reference.outputs[name]!.get(t));
      }
    }
  });

  it('refuses a checkpoint written by another job hash, and restores what matches with allowJobChange', async () => {
    const v1: JobIdentity = { path: '/jobs/totals.ts', sha256: 'a'.repeat(64) };
    const v2: JobIdentity = { path: '/jobs/totals.ts', sha256: 'b'.repeat(64) };
    await runThenCrash(totalsJob, 3, { job: v1 });
    const refused = await StreamingContext.getOrCreate(
      dir,
      () => makeJob(new ManualClock(3500), totalsJob, { job: v2 }).ssc,
    ).catch((e: unknown) => e);
    expect(isSidestreamError(refused, 'SS_JOB_CHANGED')).toBe(true);
    expect((refused as Error).message).toMatch(/--allow-job-change/);

    // The changed job adds a stream before the state stream: its key no longer matches.
    const changed = (input: DStream<[string, number]>): Record<string, DStream<unknown>> => ({
      doubled: input.mapValues((v) => v * 2) as DStream<unknown>,
      totals: input.updateStateByKey<string, number, number>(sum) as DStream<unknown>,
    });
    const { job } = await recover(3500, changed, { job: v2, allowJobChange: true });
    const report = job.ssc.recovery!;
    expect(report.jobChanged).toBe(true);
    expect(report.droppedStreams).toEqual(['1:updateStateByKey']);
    expect(report.emptyStreams).toEqual(['2:updateStateByKey']);
  });

  it('refuses a checkpoint of another batch interval or app name with SS_CHECKPOINT_INCOMPATIBLE', async () => {
    await runThenCrash(totalsJob, 2);
    for (const options of [{ batchIntervalMs: 2000 }, { appName: 'other' }, { defaultParallelism: 3 }]) {
      const error = await StreamingContext.getOrCreate(
        dir,
        () => makeJob(new ManualClock(9000), totalsJob, options).ssc,
      ).catch((e: unknown) => e);
      expect(isSidestreamError(error, 'SS_CHECKPOINT_INCOMPATIBLE'), JSON.stringify(options)).toBe(true);
    }
  });

  it('writes a checkpoint every checkpointIntervalMs; recovery re-runs the batches since the last one', async () => {
    const first = await runThenCrash(totalsJob, 5, { checkpointIntervalMs: 2000 });
    expect(first.source.checkpoints.map(([t]) => t)).toEqual([2000, 4000]);
    const { job } = await recover(5300, totalsJob, { checkpointIntervalMs: 2000 });
    expect(job.ssc.recovery!.rescheduledTimesMs).toEqual([5000]);
    expect(Object.fromEntries(job.outputs.totals!.get(5000) as [string, number][])).toEqual(
      expectedTotals(5000),
    );
  });

  it('a checkpoint that cannot be written stops the context: nothing later commits or is cleaned', async () => {
    const clock = new ManualClock(0);
    const job = makeJob(clock, totalsJob);
    const failed: number[] = [];
    const written: number[] = [];
    job.ssc.addStreamingListener({
      onCheckpointFailed: (f) => failed.push(f.batchTime),
      onCheckpointWritten: (w) => written.push(w.batchTime),
    });
    const run = await startManual(job.ssc, clock);
    await run.step(2);
    await waitFor(() => written.length === 2, 5000, 'checkpoint 2000');
    // The checkpoints folder becomes unusable (a file where the directory was).
    await rm(join(dir, 'checkpoints'), { recursive: true });
    await writeFile(join(dir, 'checkpoints'), '');
    clock.advance(3000); // batches 3000, 4000, 5000 fall due
    const error = await job.ssc.awaitTermination().catch((e: unknown) => e);
    expect(isSidestreamError(error, 'SS_CHECKPOINT_WRITE_FAILED')).toBe(true);
    expect((error as Error).message).toContain(join(dir, 'checkpoints'));
    expect(written).toEqual([1000, 2000]);
    expect(failed).toEqual([3000]);
    expect(job.source.committed).toEqual([1000, 2000, 3000]);
    expect(job.source.checkpoints.map(([t]) => t)).toEqual([1000, 2000]);
  });
});
