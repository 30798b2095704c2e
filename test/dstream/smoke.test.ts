import { describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { startManual } from '../support/manual-run.js';

describe('smoke', () => {
  it('word count over a queue', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: 't', batchIntervalMs: 1000, clock, defaultParallelism: 2 });
    const out: [string, number][][] = [];
    ssc
      .queueStream([['a b', 'b c'], ['c c']])
      .flatMap((l) => l.split(' '))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b)
      .foreachRDD(async (rdd) => {
        out.push((await rdd.collect()).sort());
      });
    const run = await startManual(ssc, clock);
    const [b1] = await run.step();
    await run.step();
    expect(out).toEqual([
      [
        ['a', 1],
        ['b', 2],
        ['c', 1],
      ],
      [['c', 2]],
    ]);
    expect(b1!.batchTime).toBe(1000);
    expect(b1!.numRecords).toBe(2);
    await ssc.stop();
  });
});
