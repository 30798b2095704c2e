/**
 * The per-interval batch summary: one info line per interval on a manual clock, summing up the
 * batches completed since the previous line (text and json carry the same facts), a line for an
 * interval without batches, one line after a stall, and the unfinished interval's line on stop.
 */
import { describe, expect, it } from 'vitest';
import { BatchSummary, batchSummaryListener, formatBatchSummary } from '../../src/agent/batch-summary.js';
import { createLogger } from '../../src/agent/logger.js';
import type { CompletedBatchRecord, InputRecord } from '../../src/events/index.js';
import { ManualClock } from '../../src/time.js';

const T0 = Date.UTC(2026, 11, 5, 7, 0, 0);

function batch(
  n: number,
  overrides: Partial<CompletedBatchRecord> = {},
  input: Partial<InputRecord> = {},
): CompletedBatchRecord {
  const batchTime = T0 + n * 1000;
  return {
    app: 'clicks',
    batchTime,
    submissionTime: batchTime,
    generationDelayMs: 0,
    processingStartTime: batchTime + n,
    processingEndTime: batchTime + n + 10 * n,
    schedulingDelayMs: n,
    processingDelayMs: 10 * n,
    totalDelayMs: 11 * n,
    numRecords: 100 * n,
    outcome: 'succeeded',
    inputs: [
      { streamId: 0, name: 'clicks', numRecords: 100 * n, offsetRanges: [], eventTimeLagMs: null, ...input },
    ],
    outputOperations: [],
    tasks: { total: 2, failed: 0, retried: 0 },
    ...overrides,
  };
}

/** Lets the listener's timer loop run after the clock moved. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(format: 'text' | 'json', intervalMs = 60_000) {
  const clock = new ManualClock(T0);
  const lines: string[] = [];
  const logger = createLogger({ format, write: (l) => lines.push(l), now: () => clock.now() });
  const listener = batchSummaryListener({ logger, intervalMs, clock });
  return { clock, lines, listener };
}

describe('BatchSummary', () => {
  it('sums batches, records and failures, keeps the largest delays and the last lags, then starts over', () => {
    const s = new BatchSummary(T0);
    const batches = [
      batch(1, {}, { eventTimeLagMs: { avg: 1, max: 900, p50: 1, p99: 2 } }),
      batch(3, { outcome: 'failed' }),
      batch(
        2,
        {},
        {
          consumerLag: [
            { topic: 'a', partition: 0, records: 40, highWatermark: 100, committedOffset: 60 },
            { topic: 'a', partition: 1, records: 2, highWatermark: 50, committedOffset: 48 },
          ],
        },
      ),
    ];
    for (const b of batches) s.add(b);
    const facts = s.take(T0 + 60_000);
    expect(facts).toEqual({
      intervalMs: 60_000,
      batches: batches.length,
      failedBatches: batches.filter((b) => b.outcome === 'failed').length,
      records: batches.reduce((sum, b) => sum + b.numRecords, 0),
      maxSchedulingDelayMs: Math.max(...batches.map((b) => b.schedulingDelayMs)),
      maxProcessingDelayMs: Math.max(...batches.map((b) => b.processingDelayMs)),
      maxTotalDelayMs: Math.max(...batches.map((b) => b.totalDelayMs)),
      lastBatchTime: batches[2]!.batchTime,
      // The last batch with event times had a max of 900; the last with Kafka lag, 40 + 2.
      eventTimeLagMaxMs: 900,
      kafkaLagRecords: 42,
    });
    expect(s.take(T0 + 90_000)).toEqual({ intervalMs: 30_000, batches: 0, failedBatches: 0, records: 0 });
  });

  it('formats the line, leaving out lags nobody reported, and says when no batch completed', () => {
    const s = new BatchSummary(T0);
    s.add(batch(1));
    s.add(batch(2, {}, { eventTimeLagMs: { avg: 1, max: 1700, p50: 1, p99: 2 } }));
    expect(formatBatchSummary(s.take(T0 + 60_000))).toBe(
      'last 1m: 2 batches, 0 failed, 300 records, max sched 2ms proc 20ms total 22ms, lag 1.7s',
    );
    s.add(batch(1, { outcome: 'failed', numRecords: 12_345 }));
    expect(formatBatchSummary(s.take(T0 + 90_000))).toBe(
      'last 30s: 1 batch, 1 failed, 12,345 records, max sched 1ms proc 10ms total 11ms',
    );
    expect(formatBatchSummary(s.take(T0 + 210_000))).toBe('last 2m: no batch completed');
  });
});

describe('batchSummaryListener', () => {
  it('logs one info line per interval in text, with the batches of that interval only', async () => {
    const { clock, lines, listener } = setup('text');
    listener.start();
    listener.onBatchCompleted?.(batch(1));
    listener.onBatchCompleted?.(batch(2));
    clock.advance(59_999);
    await settle();
    expect(lines).toEqual([]);
    clock.advance(1);
    await settle();
    expect(lines).toEqual([
      '2026-12-05T07:01:00.000Z sidestream: last 1m: 2 batches, 0 failed, 300 records, max sched 2ms proc 20ms total 22ms\n',
    ]);
    listener.onBatchCompleted?.(batch(4));
    clock.advance(60_000);
    await settle();
    expect(lines[1]).toContain('sidestream: last 1m: 1 batch, 0 failed, 400 records');
    clock.advance(60_000);
    await settle();
    expect(lines[2]).toBe('2026-12-05T07:03:00.000Z sidestream: last 1m: no batch completed\n');
    listener.stop();
  });

  it('in json: the same facts as fields, at info', async () => {
    const { clock, lines, listener } = setup('json', 10_000);
    listener.start();
    const b = batch(3, { outcome: 'failed' }, { eventTimeLagMs: { avg: 1, max: 2500, p50: 1, p99: 2 } });
    listener.onBatchCompleted?.(b);
    clock.advance(10_000);
    await settle();
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({
      level: 'info',
      time: T0 + 10_000,
      intervalMs: 10_000,
      batches: 1,
      failedBatches: 1,
      records: b.numRecords,
      maxSchedulingDelayMs: b.schedulingDelayMs,
      maxProcessingDelayMs: b.processingDelayMs,
      maxTotalDelayMs: b.totalDelayMs,
      lastBatchTime: b.batchTime,
      eventTimeLagMaxMs: 2500,
    });
    expect(entry.msg).toBe(formatBatchSummary({ ...entry }));
    expect(entry).not.toHaveProperty('kafkaLagRecords');
    listener.stop();
  });

  it('writes one line, not one per missed interval, after the clock jumped several intervals', async () => {
    const { clock, lines, listener } = setup('text');
    listener.start();
    listener.onBatchCompleted?.(batch(1));
    clock.advance(5 * 60_000 + 30_000);
    await settle();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('last 5.5m: 1 batch');
    // The next line is a full interval after the late one.
    clock.advance(59_000);
    await settle();
    expect(lines).toHaveLength(1);
    clock.advance(1000);
    await settle();
    expect(lines).toHaveLength(2);
    listener.stop();
  });

  it('on stop: a line for the unfinished interval if batches completed in it, then nothing more', async () => {
    const { clock, lines, listener } = setup('text');
    listener.start();
    listener.onBatchCompleted?.(batch(1));
    clock.advance(20_000);
    listener.stop();
    expect(lines).toEqual([
      '2026-12-05T07:00:20.000Z sidestream: last 20s: 1 batch, 0 failed, 100 records, max sched 1ms proc 10ms total 11ms\n',
    ]);
    listener.stop();
    clock.advance(120_000);
    await settle();
    expect(lines).toHaveLength(1);
    // Without batches since the last line, stopping adds none.
    const quiet = setup('text');
    quiet.listener.start();
    quiet.clock.advance(60_000);
    await settle();
    quiet.listener.stop();
    expect(quiet.lines).toEqual([expect.stringContaining('no batch completed')]);
  });

  it('is silent at --log-level warn, and refuses an interval of 0 (the agent adds no listener then)', async () => {
    const clock = new ManualClock(T0);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    const listener = batchSummaryListener({ logger, intervalMs: 60_000, clock });
    listener.start();
    listener.onBatchCompleted?.(batch(1));
    clock.advance(60_000);
    await settle();
    listener.stop();
    expect(lines).toEqual([]);
    expect(() => batchSummaryListener({ logger, intervalMs: 0, clock })).toThrow(RangeError);
  });
});
