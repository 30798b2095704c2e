import { describe, expect, it } from 'vitest';
import { Lineage, RDD, type RddEnv } from '../../src/dstream/rdd.js';
import { remoteInputs } from '../../src/dstream/rdd-remoting.js';
import { directTaskRunner } from '../../src/dstream/task-runner.js';

function env(): RddEnv {
  let ids = 0;
  return { tasks: directTaskRunner, nextRddId: () => ++ids, lineage: new Lineage() };
}

describe('RDD lineage for executors', () => {
  it('names RDDs made inside a stream scope by stream, time and ordinal', () => {
    const e = env();
    const input = RDD.parallelize(e, [1, 2, 3, 4], 2);
    input.markInput({ key: '0@1000#in', zeroTimeMs: 0 });
    const [a, b] = e.lineage!.within('3@1000', 0, () => [
      input.map((x) => x + 1),
      input.filter((x) => x > 1),
    ]);
    expect(a!.lineage).toEqual({ key: '3@1000#0', zeroTimeMs: 0 });
    expect(b!.lineage?.key).toBe('3@1000#1');
    expect(input.map((x) => x).lineage).toBeUndefined();
  });

  it('ships an in-memory input partition, and every input shape of the batch', () => {
    const e = env();
    const left = RDD.parallelize(e, [1, 2, 3, 4], 2);
    left.markInput({ key: '0@1000#in', zeroTimeMs: 0 });
    const right = RDD.parallelize(e, [9], 1);
    right.markInput({ key: '1@1000#in', zeroTimeMs: 0 });
    const union = e.lineage!.within('2@1000', 0, () => left.map((x) => x * 2).union(right));
    expect(remoteInputs(union, 2)).toEqual([
      { kind: 'input', key: '1@1000#in', numPartitions: 1, partitions: { 0: [9] } },
      { kind: 'input', key: '0@1000#in', numPartitions: 2, partitions: {} },
    ]);
  });

  it('never reads an input that is not in memory (a Kafka range) just to ship it', () => {
    const e = env();
    let reads = 0;
    const kafka = new RDD<number>(
      e,
      1,
      async (_p, sink) => {
        reads++;
        sink(1);
      },
      'kafka',
    );
    kafka.markInput({ key: '0@1000#in', zeroTimeMs: 0 });
    const mapped = e.lineage!.within('1@1000', 0, () => kafka.map((x) => x));
    expect(remoteInputs(mapped, 0)).toBeUndefined();
    expect(reads).toBe(0);
  });
});
