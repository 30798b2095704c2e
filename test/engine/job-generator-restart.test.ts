/**
 * JobGenerator.restart on a ManualClock: the recovered batch times are generated once each, in
 * order, on the one event loop, before the timer's first batch, which is the next batch time
 * after now; the checkpoint's RDDs are restored after the graph is fixed at the old zero time.
 */
import { describe, expect, it } from 'vitest';
import { JobGenerator } from '../../src/engine/job-generator.js';
import type { JobScheduler, JobSet } from '../../src/engine/job-scheduler.js';
import { ManualClock, RDD, StreamingContext, standaloneRddEnv } from '../../src/index.js';
import { waitFor } from '../support/manual-run.js';

describe('JobGenerator.restart', () => {
  it('generates the recovered times in order, then goes on with the timer from the next batch time', async () => {
    const clock = new ManualClock(5300);
    const ssc = new StreamingContext({ appName: 'restart', batchIntervalMs: 1000, clock, tracing: false });
    const generated: number[] = [];
    ssc
      .inputStream<number>({
        name: 'stub',
        start() {},
        generate(t) {
          generated.push(t);
          return { rdd: RDD.empty<number>(standaloneRddEnv), numRecords: 0 };
        },
        stop() {},
      })
      .foreachRDD(() => {});
    const submitted: number[] = [];
    const scheduler = {
      submit: (set: JobSet) => submitted.push(set.info.batchTime),
    } as unknown as JobScheduler;
    const errors: unknown[] = [];
    const generator = new JobGenerator({
      app: 'restart',
      clock,
      graph: ssc.graph,
      batchIntervalMs: 1000,
      scheduler,
      onError: (e) => errors.push(e),
    });
    let zeroAtRestore: number | undefined;
    const first = generator.restart(0, [4000, 2000, 4000, 3000, 7000], () => {
      zeroAtRestore = ssc.graph.zeroTimeMs;
    });
    expect(first).toBe(6000);
    expect(zeroAtRestore).toBe(0);
    await waitFor(() => submitted.length === 3, 2000, 'recovered batches');
    // 7000 is not before the timer's first batch: the timer generates it.
    expect(submitted).toEqual([2000, 3000, 4000]);
    clock.advance(700); // 6000
    await waitFor(() => submitted.length === 4, 2000, 'batch 6000');
    clock.advance(1000); // 7000
    await waitFor(() => submitted.length === 5, 2000, 'batch 7000');
    expect(submitted).toEqual([2000, 3000, 4000, 6000, 7000]);
    expect(generated).toEqual(submitted);
    expect(errors).toEqual([]);
    await generator.stop();
  });

  it('a recovered batch is overdue from the restart, not from its old batch time', async () => {
    const clock = new ManualClock(5300);
    const ssc = new StreamingContext({ appName: 'restart', batchIntervalMs: 1000, clock, tracing: false });
    let release: (() => void) | undefined;
    ssc
      .inputStream<number>({
        name: 'slow-replay',
        start() {},
        async generate(t) {
          // The first recovered batch waits, as a replay waits for its partitions.
          if (t === 2000) await new Promise<void>((resolve) => (release = resolve));
          return { rdd: RDD.empty<number>(standaloneRddEnv), numRecords: 0 };
        },
        stop() {},
      })
      .foreachRDD(() => {});
    const submitted: number[] = [];
    const scheduler = {
      submit: (set: JobSet) => submitted.push(set.info.batchTime),
    } as unknown as JobScheduler;
    const generator = new JobGenerator({
      app: 'restart',
      clock,
      graph: ssc.graph,
      batchIntervalMs: 1000,
      scheduler,
      onError: () => {},
    });
    generator.restart(0, [2000, 3000], () => {});
    await waitFor(() => release !== undefined, 2000, 'the replay of 2000 to start');
    expect(generator.overdue(5300)).toEqual({
      batchTimeMs: 2000,
      overdueMs: 0,
      waitingFor: 'input slow-replay',
    });
    clock.advance(900); // 6200: the timer's first batch (6000) is due too, behind the replay
    expect(generator.overdue(clock.now())).toMatchObject({ batchTimeMs: 2000, overdueMs: 900 });
    release?.();
    await waitFor(() => submitted.length === 3, 2000, 'the recovered batches and 6000');
    expect(submitted).toEqual([2000, 3000, 6000]);
    expect(generator.overdue(clock.now())).toBeUndefined();
    await generator.stop();
    clock.advance(5000);
    expect(generator.overdue(clock.now())).toBeUndefined();
  });
});
