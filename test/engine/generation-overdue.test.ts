/**
 * The generation delay (batch time to submission) in the batch record, the overdue next batch
 * while an input's capture hangs, and readiness with its reasons, on a ManualClock. Spark's
 * delays stay measured from submission.
 */
import { describe, expect, it } from 'vitest';
import { judgeReadiness, OVERDUE_AFTER_INTERVALS } from '../../src/engine/readiness.js';
import {
  type BatchOverdue,
  type BatchRecord,
  type InputBatch,
  type InputContext,
  type InputSource,
  RDD,
} from '../../src/index.js';
import { manualContexts } from '../support/manual-contexts.js';
import { startManual, waitFor } from '../support/manual-run.js';

const manualContext = manualContexts();

/**
 * An input whose capture of batch `hangAt` waits until release() is called: a direct stream's
 * plan waiting on a broker that does not answer.
 */
class FreezingSource implements InputSource<number> {
  readonly name = 'frozen:upstream';
  connected = true;
  disconnectedReason?: string;
  private ctx: InputContext | undefined;
  private release_: (() => void) | undefined;
  waiting = false;

  constructor(private readonly hangAt: number) {}

  start(ctx: InputContext): void {
    this.ctx = ctx;
  }

  async generate(batchTimeMs: number): Promise<InputBatch<number>> {
    if (batchTimeMs === this.hangAt) {
      this.waiting = true;
      await new Promise<void>((resolve) => {
        this.release_ = resolve;
      });
      this.waiting = false;
    }
    const ctx = this.ctx;
    if (!ctx) throw new Error('not started');
    return { rdd: RDD.parallelize(ctx.rddEnv, [batchTimeMs], 1), numRecords: 1 };
  }

  release(): void {
    this.release_?.();
  }

  stop(): void {}
}

describe('generation delay, overdue batches and readiness', () => {
  it('the record carries submission - batch time as generationDelayMs; Spark delays stay from submission', async () => {
    const { ssc, clock } = manualContext({ appName: 't', batchIntervalMs: 1000 });
    const source = new FreezingSource(2000);
    const submitted: BatchRecord[] = [];
    ssc.addStreamingListener({ onBatchSubmitted: (b) => submitted.push(b) });
    ssc.inputStream(source).foreachRDD(() => {});
    const run = await startManual(ssc, clock);
    await run.step();
    expect(run.completed[0]).toMatchObject({ batchTime: 1000, submissionTime: 1000, generationDelayMs: 0 });

    clock.advance(1000); // batch 2000 is due; its capture hangs
    await waitFor(() => source.waiting, 5000, 'the capture of batch 2000 to start');
    clock.advance(2500); // 4500: 2.5 s late, and 3000 and 4000 are due behind it
    expect(ssc.nextBatchOverdueMs).toBe(2500);
    source.release();
    await waitFor(() => run.completed.length >= 4, 5000, 'batches 2000, 3000 and 4000');
    const late = run.completed.find((b) => b.batchTime === 2000);
    expect(late).toMatchObject({ submissionTime: 4500, generationDelayMs: 2500 });
    // Spark's figures: from submission, so they do not see the 2.5 s.
    expect(late!.schedulingDelayMs).toBe(late!.processingStartTime - late!.submissionTime);
    expect(late!.totalDelayMs).toBe(late!.schedulingDelayMs + late!.processingDelayMs);
    expect(late!.totalDelayMs).toBeLessThan(2500);
    // Known from submission on: the submitted record already has it.
    expect(submitted.find((b) => b.batchTime === 2000)?.generationDelayMs).toBe(2500);
    // The batches queued behind it were late by their own amounts.
    expect(run.completed.find((b) => b.batchTime === 3000)?.generationDelayMs).toBe(1500);
    expect(run.completed.find((b) => b.batchTime === 4000)?.generationDelayMs).toBe(500);
    expect(ssc.nextBatchOverdueMs).toBe(0);
  });

  it('an overdue batch fails readiness with the batch, how late it is and the input it waits for', async () => {
    const { ssc, clock } = manualContext({ appName: 't', batchIntervalMs: 1000 });
    const source = new FreezingSource(2000);
    ssc.inputStream(source).foreachRDD(() => {});
    expect(ssc.readiness).toEqual({ ready: false, reasons: ['the context has not started'] });
    const run = await startManual(ssc, clock);
    expect(ssc.readiness.reasons).toEqual(['no batch has completed yet']);
    await run.step();
    expect(ssc.readiness).toEqual({ ready: true, reasons: [] });
    expect(ssc.ready).toBe(true);

    clock.advance(1000);
    await waitFor(() => source.waiting, 5000, 'the capture of batch 2000 to start');
    // Two intervals late is still within the bound: the bound is "more than two".
    clock.advance(OVERDUE_AFTER_INTERVALS * 1000);
    expect(ssc.nextBatchOverdueMs).toBe(2000);
    expect(ssc.ready).toBe(true);
    clock.advance(1);
    expect(ssc.readiness).toEqual({
      ready: false,
      reasons: [
        `batch ${new Date(2000).toISOString()} is overdue: not generated 2.0 s after its time, waiting for input frozen:upstream`,
      ],
    });
    source.release();
    await waitFor(() => ssc.ready, 5000, 'ready again once the batch is generated');
    expect(ssc.nextBatchOverdueMs).toBe(0);
  });

  it('announces an overdue batch once when it crosses the bound, and once when generation catches up', async () => {
    const { ssc, clock } = manualContext({ appName: 't', batchIntervalMs: 1000 });
    const source = new FreezingSource(2000);
    const events: BatchOverdue[] = [];
    ssc.addStreamingListener({ onBatchOverdue: (e) => events.push(e) });
    ssc.inputStream(source).foreachRDD(() => {});
    const run = await startManual(ssc, clock);
    await run.step();
    clock.advance(1000);
    await waitFor(() => source.waiting, 5000, 'the capture of batch 2000 to start');
    clock.advance(2000);
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([]);
    clock.advance(1);
    await waitFor(() => events.length === 1, 5000, 'the announcement');
    expect(events[0]).toEqual({
      batchTime: 2000,
      overdue: true,
      lateMs: 2001,
      waitingFor: 'input frozen:upstream',
    });
    // Still stuck, batches piling up behind it: nothing more is announced.
    clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toHaveLength(1);
    source.release();
    await waitFor(() => events.length === 2, 5000, 'the catch-up');
    expect(events[1]).toEqual({
      batchTime: 2000,
      overdue: false,
      lateMs: 12_001,
      waitingFor: 'input frozen:upstream',
    });
    await waitFor(() => run.completed.some((b) => b.batchTime === 14_000), 5000, 'the batches due meanwhile');
    expect(events).toHaveLength(2);
    // A batch generated in time is never announced.
    for (let i = 0; i < 3; i++) await run.step();
    expect(events.map((e) => [e.batchTime, e.overdue])).toEqual([
      [2000, true],
      [2000, false],
    ]);
  });

  it('reports every disconnected input with its reason, and stopping', async () => {
    const { ssc, clock } = manualContext({ appName: 't', batchIntervalMs: 1000 });
    const source = new FreezingSource(-1);
    ssc.inputStream(source).foreachRDD(() => {});
    ssc.queueStream([[1]]).foreachRDD(() => {});
    const run = await startManual(ssc, clock);
    await run.step();
    expect(ssc.ready).toBe(true);
    source.connected = false;
    source.disconnectedReason = 'no answer from broker 127.0.0.1:9092 for 2.4 s';
    expect(ssc.readiness.reasons).toEqual([
      'input frozen:upstream is not connected: no answer from broker 127.0.0.1:9092 for 2.4 s',
    ]);
    source.connected = true;
    expect(ssc.ready).toBe(true);
    await ssc.stop();
    expect(ssc.readiness.reasons).toEqual(['the context has stopped']);
    expect(ssc.nextBatchOverdueMs).toBe(0);
  });
});

describe('judgeReadiness', () => {
  const base = {
    state: 'active' as const,
    completedBatches: 3,
    batchIntervalMs: 500,
    inputs: [{ name: 'queue' }],
    overdue: undefined,
  };

  it('lists every reason at once, in a fixed order', () => {
    expect(
      judgeReadiness({
        ...base,
        state: 'stopping',
        inputs: [
          { name: 'socket:h:1', connected: false, disconnectedReason: 'connect ECONNREFUSED h:1' },
          { name: 'file-tail:/x', connected: false },
          { name: 'queue' },
        ],
        overdue: { batchTimeMs: 0, overdueMs: 24_600, waitingFor: 'input kafka:a' },
      }).reasons,
    ).toEqual([
      'the context is stopping',
      'input socket:h:1 is not connected: connect ECONNREFUSED h:1',
      'input file-tail:/x is not connected: no reason given',
      'batch 1970-01-01T00:00:00.000Z is overdue: not generated 24.6 s after its time, waiting for input kafka:a',
    ]);
  });

  it('is ready with inputs without a connection, a batch done and generation keeping up', () => {
    expect(
      judgeReadiness({ ...base, overdue: { batchTimeMs: 0, overdueMs: 1000, waitingFor: 'x' } }),
    ).toEqual({ ready: true, reasons: [] });
    expect(judgeReadiness({ ...base, completedBatches: 0 }).reasons).toEqual(['no batch has completed yet']);
  });
});
