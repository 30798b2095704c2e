/** Batch timing on a ManualClock: batch times, delays, queueing, event-time lag. */
import { describe, expect, it } from 'vitest';
import { type BatchRecord, StreamingContext } from '../../src/index.js';
import { manualContexts } from '../support/manual-contexts.js';
import { startManual, waitFor } from '../support/manual-run.js';

const manualContext = manualContexts();

describe('JobGenerator and JobScheduler on a manual clock', () => {
  it('batch times are exact multiples of the interval, starting at the next one after start', async () => {
    const { ssc, clock } = manualContext({ appName: 't', batchIntervalMs: 500 }, 1234);
    ssc.queueStream<number>([]).foreachRDD(() => {});
    const run = await startManual(ssc, clock);
    const batches = await run.step(6);
    expect(batches.map((b) => b.batchTime)).toEqual([1500, 2000, 2500, 3000, 3500, 4000]);
  });

  it('a batch that outlasts the interval delays the next one: scheduling delay, no overlap', async () => {
    const { ssc, clock } = manualContext({ appName: 't', batchIntervalMs: 1000 });
    const submitted: BatchRecord[] = [];
    ssc.addStreamingListener({ onBatchSubmitted: (b) => submitted.push(b) });
    const waitingSeen: number[] = [];
    const context = ssc;
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_rdd, t) => {
      if (t !== 1000) return;
      // Batch 1000 runs for 2.5s of clock time; batch 2000 is generated (at 2500) while it runs.
      clock.advance(1500);
      await waitFor(() => submitted.some((b) => b.batchTime === 2000), 5000, 'batch 2000 submitted');
      waitingSeen.push(context.batchesWaiting);
      clock.advance(1000);
    });
    const run = await startManual(ssc, clock);
    clock.advance(1000);
    await waitFor(() => run.completed.length >= 3, 5000, 'three batches');
    const [b1, b2, b3] = run.completed;
    expect(b1).toMatchObject({
      batchTime: 1000,
      submissionTime: 1000,
      processingStartTime: 1000,
      processingEndTime: 3500,
    });
    expect(b1!.schedulingDelayMs).toBe(0);
    expect(b1!.processingDelayMs).toBe(2500);
    expect(b2).toMatchObject({ batchTime: 2000, submissionTime: 2500, processingStartTime: 3500 });
    expect(b2!.schedulingDelayMs).toBe(1000);
    expect(b2!.totalDelayMs).toBe(b2!.schedulingDelayMs + b2!.processingDelayMs);
    expect(b3!.batchTime).toBe(3000);
    expect(waitingSeen[0]).toBeGreaterThanOrEqual(1);
    // Batches run one at a time, in batch-time order.
    for (let i = 1; i < run.completed.length; i++) {
      expect(run.completed[i]!.processingStartTime).toBeGreaterThanOrEqual(
        run.completed[i - 1]!.processingEndTime,
      );
      expect(run.completed[i]!.batchTime).toBeGreaterThan(run.completed[i - 1]!.batchTime);
    }
  });

  it('records inputs, output operations and event-time lag in the batch record', async () => {
    const { ssc, clock } = manualContext({ appName: 'lag', batchIntervalMs: 1000, defaultParallelism: 2 });
    const events = ssc.queueStream([[{ t: 400 }, { t: 900 }, { t: 1000 }]], { eventTime: (e) => e.t });
    events.count().foreachRDD(() => {});
    events.print(1);
    const lines: string[] = [];
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    lines.push(JSON.stringify(b));
    expect(b!.app).toBe('lag');
    expect(b!.numRecords).toBe(3);
    expect(b!.outcome).toBe('succeeded');
    expect(b!.inputs).toEqual([
      {
        streamId: 0,
        name: 'queue',
        numRecords: 3,
        offsetRanges: [],
        eventTimeLagMs: { avg: (600 + 100 + 0) / 3, max: 600, p50: 100, p99: 600 },
      },
    ]);
    expect(b!.outputOperations.map((o) => [o.id, o.name, o.failureReason])).toEqual([
      [0, 'foreachRDD', null],
      [1, 'print', null],
    ]);
    expect(b!.tasks.failed).toBe(0);
    expect(b!.tasks.total).toBeGreaterThan(0);
  });

  it('a listener that throws is counted and does not break the batch', async () => {
    const { ssc, clock } = manualContext({ appName: 't', batchIntervalMs: 1000 });
    ssc.addStreamingListener({
      onBatchStarted: () => {
        throw new Error('listener bug');
      },
    });
    ssc.queueStream([[1]]).foreachRDD(() => {});
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    expect(b!.outcome).toBe('succeeded');
    expect(ssc.listenerErrors).toBe(1);
  });

  it('refuses to start without an output operation and to declare streams after start', async () => {
    const { ssc, clock } = manualContext({ appName: 't', batchIntervalMs: 1000 });
    const s = ssc.queueStream<number>([]);
    await expect(ssc.start()).rejects.toMatchObject({ code: 'SS_NO_OUTPUT_OPERATIONS' });
    const again = new StreamingContext({ appName: 't', batchIntervalMs: 1000, clock });
    again.queueStream<number>([]).foreachRDD(() => {});
    await again.start();
    expect(() => again.queueStream<number>([])).toThrow(/after the context started/);
    await again.stop();
    expect(s).toBeDefined();
  });

  it('rejects a non-positive or fractional batch interval with a coded error', () => {
    expect(() => new StreamingContext({ appName: 't', batchIntervalMs: 0 })).toThrow(
      /SS_BATCH_INTERVAL_INVALID|positive whole number/,
    );
    expect(() => new StreamingContext({ appName: 't', batchIntervalMs: -5 })).toThrow(/positive/);
    expect(() => new StreamingContext({ appName: 't', batchIntervalMs: 1.5 })).toThrow(/whole number/);
  });

  it("refuses a batch interval longer than Node's timers can wait (2^31-1 ms), with the same code", () => {
    const tooLong = () => new StreamingContext({ appName: 't', batchIntervalMs: 2 ** 31 });
    expect(tooLong).toThrow(expect.objectContaining({ code: 'SS_BATCH_INTERVAL_INVALID' }));
    expect(tooLong).toThrow(/at most 2147483647 ms/);
    // 1000h, which the probe's agent took, as milliseconds.
    expect(() => new StreamingContext({ appName: 't', batchIntervalMs: 3_600_000_000 })).toThrow(
      /SS_BATCH_INTERVAL_INVALID|at most/,
    );
    const longest = new StreamingContext({ appName: 't', batchIntervalMs: 2 ** 31 - 1 });
    expect(longest.batchIntervalMs).toBe(2 ** 31 - 1);
  });
});
