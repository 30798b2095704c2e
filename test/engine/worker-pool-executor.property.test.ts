import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkerPoolExecutor } from '../../src/executors/worker-pool-executor.js';
import { type Executor, ManualClock, StreamingContext } from '../../src/index.js';
import { startManual } from '../support/manual-run.js';
import job, { type PipelineSpec, queue, results, type Step } from './fixtures/random-pipeline-job.js';

const JOB = new URL('./fixtures/random-pipeline-job.ts', import.meta.url).pathname;

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('map' as const),
    a: fc.integer({ min: -3, max: 3 }),
    b: fc.integer({ min: -5, max: 5 }),
  }),
  fc.record({
    op: fc.constant('filter' as const),
    m: fc.integer({ min: 2, max: 5 }),
    r: fc.integer({ min: 0, max: 1 }),
  }),
  fc.record({ op: fc.constant('flatMap' as const), n: fc.integer({ min: 0, max: 3 }) }),
  fc.constant({ op: 'union' as const }),
);

const specArb: fc.Arbitrary<PipelineSpec> = fc.record({
  inputPartitions: fc.integer({ min: 1, max: 4 }),
  steps: fc.array(stepArb, { maxLength: 4 }),
  keyed: fc.constantFrom(
    'none',
    'reduce',
    'group',
    'join',
    'repartition',
    'count',
    'window',
    'windowInverse',
    'state',
  ),
  keys: fc.integer({ min: 1, max: 6 }),
  parts: fc.integer({ min: 1, max: 4 }),
});

const inputArb = fc.array(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 30 }), {
  minLength: 1,
  maxLength: 3,
});

async function run(spec: PipelineSpec, input: number[][], executors: number) {
  process.env.SS_TEST_PIPELINE = JSON.stringify(spec);
  queue.length = 0;
  results.length = 0;
  queue.push(...input.map((b) => [...b]));
  const base = { appName: 'prop', batchIntervalMs: 1000, defaultParallelism: 2 };
  const pool =
    executors === 0 ? undefined : new WorkerPoolExecutor({ threads: executors, jobModule: JOB, ...base });
  const executor: Executor | undefined = pool;
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ ...base, clock, tracing: false, ...(executor ? { executor } : {}) });
  job(ssc);
  const manual = await startManual(ssc, clock);
  // Two empty batches after the input so windows slide past it.
  await manual.step(input.length + 2);
  await ssc.stop();
  return { out: structuredClone(results), stats: pool?.stats };
}

describe('WorkerPoolExecutor (property)', () => {
  it('random pipelines give identical results with 0, 1 and 2 executors', async () => {
    try {
      await fc.assert(
        fc.asyncProperty(specArb, inputArb, async (spec, input) => {
          const zero = await run(spec, input, 0);
          const one = await run(spec, input, 1);
          const two = await run(spec, input, 2);
          expect(one.out).toEqual(zero.out);
          expect(two.out).toEqual(zero.out);
          // Lineages without a persisted stream (a stream read twice) run entirely in workers.
          // Windows and state read persisted RDDs of earlier batches: those stages stay in-process.
          const persisted = ['join', 'window', 'windowInverse', 'state'].includes(spec.keyed);
          const readTwice = persisted || spec.steps.some((s) => s.op === 'union');
          if (!readTwice) expect(two.stats!.inProcessTasks).toBe(0);
        }),
        { numRuns: 14, seed: 20261122 },
      );
    } finally {
      delete process.env.SS_TEST_PIPELINE;
    }
  }, 120_000);
});
