/**
 * Executor scaling (docs/executors.md): the same CPU-heavy job (bench/fixtures/cpu-job.ts: JSON parse +
 * SHA-256 per record) run with executors 0 (in-process), 1 and 2 worker threads, beside the
 * machine's own ceiling measured in the same run (the same hashing split over bare worker
 * threads, no engine). Asserts only that every executor count gives the same results.
 *
 *   npm run bench -- --only executors
 *   npx tsx bench/executors.ts [--batches 6] [--records 4000] [--partitions 8] [--executors 0,1,2] [--rounds 3]
 */
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Executor } from '../src/engine/executor.js';
import { WorkerPoolExecutor } from '../src/executors/worker-pool-executor.js';
import { ManualClock, StreamingContext } from '../src/index.js';
import job, { queue, results } from './fixtures/cpu-job.js';

export interface ExecutorsOptions {
  readonly batches: number;
  readonly records: number;
  readonly partitions: number;
  readonly executors: readonly number[];
  /** Interleaved rounds (bare 1, bare 2, then each executor count); medians are reported. */
  readonly rounds: number;
}

export interface ExecutorsResult {
  readonly batches: number;
  readonly records: number;
  readonly partitions: number;
  readonly rounds: number;
  /** Bare worker threads, 1 and 2 (medians), and the median per-round ratio: the machine's ceiling. */
  readonly bare: { readonly oneMs: number; readonly twoMs: number; readonly ratio: number };
  readonly runs: readonly {
    readonly executors: number;
    readonly ms: number;
    readonly recordsPerSec: number;
  }[];
  /** Median of the per-round (wall time with 1 executor / with 2), when both ran. */
  readonly speedup1to2?: number;
  readonly speedups?: readonly number[];
}

const JOB = new URL('./fixtures/cpu-job.ts', import.meta.url).pathname;

function input(o: ExecutorsOptions): string[][] {
  return Array.from({ length: o.batches + 1 }, (_, b) =>
    Array.from({ length: o.records }, (_, i) =>
      JSON.stringify({ id: b * o.records + i, payload: `p${i % 97}` }),
    ),
  );
}

async function measure(
  o: ExecutorsOptions,
  executors: number,
): Promise<{ ms: number; out: [string, number][][] }> {
  queue.length = 0;
  results.length = 0;
  queue.push(...input(o));
  const base = { appName: 'bench-executors', batchIntervalMs: 1000, defaultParallelism: o.partitions };
  const pool =
    executors === 0 ? undefined : new WorkerPoolExecutor({ threads: executors, jobModule: JOB, ...base });
  await pool?.ready();
  const executor: Executor | undefined = pool;
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ ...base, clock, tracing: false, ...(executor ? { executor } : {}) });
  job(ssc);
  let done = 0;
  ssc.addStreamingListener({ onBatchCompleted: () => done++ });
  await ssc.start();
  const waitFor = async (n: number) => {
    while (done < n) await new Promise((r) => setTimeout(r, 1));
  };
  // Batch 1 warms up (JIT, the workers' first tasks); the rest are measured.
  clock.advance(1000);
  await waitFor(1);
  const start = performance.now();
  for (let i = 0; i < o.batches; i++) {
    clock.advance(1000);
    await waitFor(2 + i);
  }
  const ms = performance.now() - start;
  await ssc.stop();
  const out = results.map((r) => [...r].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  return { ms, out };
}

async function bare(o: ExecutorsOptions, threads: number): Promise<number> {
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
  const total = o.batches * o.records;
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

export async function measureExecutors(
  o: ExecutorsOptions,
  log: (line: string) => void,
): Promise<ExecutorsResult> {
  // Rounds interleave the bare threads and the engine so that both see the same neighbours: on
  // a shared machine the load moves within a minute, and a ceiling measured before the engine
  // says little about the engine's run. Each figure is the median over the rounds.
  const bareOne: number[] = [];
  const bareTwo: number[] = [];
  const byExecutors = new Map<number, number[]>(o.executors.map((n) => [n, []]));
  const speedups: number[] = [];
  const ceilings: number[] = [];
  let reference: [string, number][][] | undefined;
  for (let round = 1; round <= o.rounds; round++) {
    const b1 = await bare(o, 1);
    const b2 = await bare(o, 2);
    bareOne.push(b1);
    bareTwo.push(b2);
    const times = new Map<number, number>();
    for (const n of o.executors) {
      const { ms, out } = await measure(o, n);
      if (reference && !isDeepStrictEqual(out, reference)) throw new Error(`executors ${n}: results differ`);
      reference ??= out;
      byExecutors.get(n)!.push(ms);
      times.set(n, ms);
    }
    ceilings.push(b1 / b2);
    const one = times.get(1);
    const two = times.get(2);
    if (one && two) speedups.push(one / two);
    log(
      `  round ${round}: bare 1 -> 2 threads ${(b1 / b2).toFixed(2)}x; ` +
        o.executors.map((n) => `executors ${n} ${times.get(n)!.toFixed(0)} ms`).join(', ') +
        (one && two ? `; 1 -> 2 executors ${(one / two).toFixed(2)}x` : ''),
    );
  }
  const runs = o.executors.map((n) => {
    const ms = median(byExecutors.get(n)!);
    return { executors: n, ms, recordsPerSec: (o.batches * o.records * 1000) / ms };
  });
  const oneMs = median(bareOne);
  const twoMs = median(bareTwo);
  return {
    batches: o.batches,
    records: o.records,
    partitions: o.partitions,
    rounds: o.rounds,
    bare: { oneMs, twoMs, ratio: median(ceilings) },
    runs,
    ...(speedups.length > 0 ? { speedup1to2: median(speedups), speedups } : {}),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values: args } = parseArgs({
    options: {
      batches: { type: 'string', default: '6' },
      records: { type: 'string', default: '4000' },
      partitions: { type: 'string', default: '8' },
      executors: { type: 'string', default: '0,1,2' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const r = await measureExecutors(
    {
      batches: Number(args.batches),
      records: Number(args.records),
      partitions: Number(args.partitions),
      executors: args.executors.split(',').map(Number),
      rounds: Number(args.rounds),
    },
    console.log,
  );
  if (r.speedup1to2 !== undefined)
    console.log(
      `speed-up 1 -> 2 executors: ${r.speedup1to2.toFixed(2)}x (goal >= 1.7x; ceiling ${r.bare.ratio.toFixed(2)}x)`,
    );
}
