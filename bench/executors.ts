/**
 * Executor scaling (issue #7): the same CPU-heavy job (bench/fixtures/cpu-job.ts: JSON parse +
 * SHA-256 per record) run with executors 0 (in-process), 1 and 2 worker threads; prints the
 * wall time of the measured batches and the 1 -> 2 speed-up. Asserts only that results match.
 *
 *   npx tsx bench/executors.ts [--batches 6] [--records 4000] [--partitions 4]
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Executor } from '../src/engine/executor.js';
import { WorkerPoolExecutor } from '../src/engine/worker-pool-executor.js';
import { ManualClock, StreamingContext } from '../src/index.js';
import job, { queue, results } from './fixtures/cpu-job.js';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '6' },
    records: { type: 'string', default: '4000' },
    partitions: { type: 'string', default: '4' },
    executors: { type: 'string', default: '0,1,2' },
  },
});

const JOB = new URL('./fixtures/cpu-job.ts', import.meta.url).pathname;
const batches = Number(args.batches);
const records = Number(args.records);
const partitions = Number(args.partitions);

function input(): string[][] {
  return Array.from({ length: batches + 1 }, (_, b) =>
    Array.from({ length: records }, (_, i) => JSON.stringify({ id: b * records + i, payload: `p${i % 97}` })),
  );
}

async function measure(executors: number): Promise<{ ms: number; out: [string, number][][] }> {
  queue.length = 0;
  results.length = 0;
  queue.push(...input());
  const base = { appName: 'bench-executors', batchIntervalMs: 1000, defaultParallelism: partitions };
  const executor: Executor | undefined =
    executors === 0 ? undefined : new WorkerPoolExecutor({ threads: executors, jobModule: JOB, ...base });
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ ...base, clock, tracing: false, ...(executor ? { executor } : {}) });
  job(ssc);
  let done = 0;
  ssc.addStreamingListener({ onBatchCompleted: () => done++ });
  await ssc.start();
  const waitFor = async (n: number) => {
    while (done < n) await new Promise((r) => setTimeout(r, 1));
  };
  // Batch 1 warms up (worker start, job import, JIT); the rest are measured.
  clock.advance(1000);
  await waitFor(1);
  const start = performance.now();
  for (let i = 0; i < batches; i++) {
    clock.advance(1000);
    await waitFor(2 + i);
  }
  const ms = performance.now() - start;
  await ssc.stop();
  const out = results.map((r) => [...r].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  return { ms, out };
}

/**
 * The machine's own ceiling: the same hashing split over `threads` bare worker threads (no
 * engine, no shipping), so an engine speed-up can be read against what the box gives right now.
 */
async function raw(threads: number): Promise<number> {
  const rounds = Number(process.env.SS_BENCH_HASH_ROUNDS ?? 200);
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createHash } = require('node:crypto');
    let n = 0;
    for (let i = workerData.from; i < workerData.until; i++) {
      let d = JSON.parse(JSON.stringify({ id: i, payload: 'p' + (i % 97) })).id + ':p';
      for (let r = 0; r < ${rounds}; r++) d = createHash('sha256').update(d).digest('hex');
      n += d.length;
    }
    parentPort.postMessage(n);`;
  const total = batches * records;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const from = Math.floor((t * total) / threads);
      const until = Math.floor(((t + 1) * total) / threads);
      const worker = new Worker(code, { eval: true, workerData: { from, until } });
      return new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }).finally(() => worker.terminate());
    }),
  );
  return performance.now() - start;
}

const raw1 = await raw(1);
const raw2 = await raw(2);
console.log(
  `bare worker threads: 1 thread ${raw1.toFixed(0)} ms, 2 threads ${raw2.toFixed(0)} ms: ` +
    `${(raw1 / raw2).toFixed(2)}x is this machine's ceiling right now`,
);

const counts = args.executors.split(',').map(Number);
const measured = new Map<number, number>();
let reference: [string, number][][] | undefined;
for (const n of counts) {
  const { ms, out } = await measure(n);
  if (reference && !isDeepStrictEqual(out, reference)) throw new Error(`executors ${n}: results differ`);
  reference ??= out;
  measured.set(n, ms);
  const rate = (batches * records * 1000) / ms;
  console.log(
    `executors ${n}: ${ms.toFixed(0)} ms for ${batches} batches of ${records} records (${rate.toFixed(0)} records/s)`,
  );
}
const one = measured.get(1);
const two = measured.get(2);
if (one && two) console.log(`speed-up 1 -> 2 executors: ${(one / two).toFixed(2)}x (goal >= 1.7x)`);
