/** Retained batch records, the JSONL batch log, and the Executor seam. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Executor, TaskDescriptor } from '../../src/index.js';
import { BATCH_RECORD_KEYS } from '../support/batch-record-keys.js';
import { manualContexts } from '../support/manual-contexts.js';
import { startManual, waitFor } from '../support/manual-run.js';

const manualContext = manualContexts();

describe('batch records', () => {
  it('keeps a bounded number of records, newest first', async () => {
    const { ssc, clock } = manualContext({ appName: 'r', batchIntervalMs: 1000, retainedBatches: 3 });
    ssc.queueStream<number>([]).foreachRDD(() => {});
    const run = await startManual(ssc, clock);
    for (let i = 0; i < 5; i++) await run.step();
    expect(ssc.recentBatches().map((b) => b.batchTime)).toEqual([5000, 4000, 3000]);
    expect(ssc.recentBatches(1).map((b) => b.batchTime)).toEqual([5000]);
  });

  it('appends every completed batch to the JSONL batch log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ss-log-'));
    try {
      const batchLogPath = join(dir, 'batches.jsonl');
      const { ssc, clock } = manualContext({ appName: 'log', batchIntervalMs: 1000, batchLogPath });
      ssc.queueStream([[1, 2], [3]]).foreachRDD(() => {});
      const run = await startManual(ssc, clock);
      await run.step(2);
      await ssc.stop();
      const lines = (await readFile(batchLogPath, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.app, l.batchTime, l.numRecords, l.outcome])).toEqual([
        ['log', 1000, 2, 'succeeded'],
        ['log', 2000, 1, 'succeeded'],
      ]);
      expect(Object.keys(lines[0]).sort()).toEqual([...BATCH_RECORD_KEYS].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Executor seam', () => {
  it('hands every task attempt to the configured executor with its descriptor', async () => {
    const seen: TaskDescriptor[] = [];
    const executor: Executor = {
      parallelism: 2,
      async run(task, body) {
        seen.push(task);
        return body();
      },
      async close() {},
    };
    const { ssc, clock } = manualContext({
      appName: 'x',
      batchIntervalMs: 1000,
      executor,
      defaultParallelism: 3,
    });
    const sums: number[] = [];
    ssc
      .queueStream([[1, 2, 3, 4, 5, 6]])
      .map((x): [string, number] => [x % 2 ? 'odd' : 'even', x])
      .reduceByKey((a, b) => a + b, 2)
      .foreachRDD(async (rdd) => {
        for (const [, v] of await rdd.collect()) sums.push(v);
      });
    const run = await startManual(ssc, clock);
    const [b] = await run.step();
    await waitFor(() => sums.length === 2);
    expect(sums.sort((a, b) => a - b)).toEqual([9, 12]);
    // 3 map-side tasks over the input's partitions, then 2 result tasks over the reduced ones.
    expect(seen.map((t) => [t.stage, t.partition, t.attempt, t.batchTime])).toEqual([
      ['map side of reduceByKey', 0, 1, 1000],
      ['map side of reduceByKey', 1, 1, 1000],
      ['map side of reduceByKey', 2, 1, 1000],
      ['collect', 0, 1, 1000],
      ['collect', 1, 1, 1000],
    ]);
    expect(b!.tasks.total).toBe(5);
  });
});
