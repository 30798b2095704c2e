/**
 * Throughput: records/s of the engine's real per-batch path against a plain loop doing the same
 * work on the same arrays. The engine side runs a StreamingContext on a ManualClock, one batch
 * per clock step: queueStream input (parallelize into partitions), job generation, task
 * scheduling through the InProcessExecutor, the fused map + filter, the reduceByKey shuffle and a
 * collect in foreachRDD. The plain side calls the same three functions in one loop with a Map.
 */
import { performance } from 'node:perf_hooks';
import { GcMeter } from './gc-meter.js';
import { add, type KeyedRecord, keep, keyedSum, toPair } from './keyed-sum.js';
import { manualRound } from './manual-round.js';
import { median } from './stats.js';

export interface ThroughputOptions {
  readonly batches: number;
  readonly batchSize: number;
  readonly keys: number;
  /** Measured rounds; each runs every variant once, in the same order. */
  readonly rounds: number;
  /** Rounds run first and thrown away, so the JIT has compiled both paths. */
  readonly warmupRounds: number;
  /** Engine variants to measure, by number of partitions (defaultParallelism). */
  readonly partitions: readonly number[];
}

export interface VariantResult {
  readonly name: string;
  /** records/s of every measured round. */
  readonly rates: readonly number[];
  readonly medianRate: number;
  /** Median share of each round's wall time spent in garbage collection. */
  readonly medianGcShare: number;
}

export interface ThroughputResult {
  readonly recordsPerRound: number;
  readonly plain: VariantResult;
  readonly engines: readonly (VariantResult & {
    readonly partitions: number;
    /**
     * Median over rounds of (engine rate / plain rate in the same round). Both sides run back to
     * back in every round, so a busy neighbour on the machine slows both and cancels out here.
     */
    readonly medianRatio: number;
  })[];
}

export function makeBatches(batches: number, batchSize: number, keys: number): KeyedRecord[][] {
  const names = Array.from({ length: keys }, (_, k) => `k${k}`);
  return Array.from({ length: batches }, (_, b) =>
    Array.from({ length: batchSize }, (_, i) => ({ key: names[i % keys]!, value: b * batchSize + i })),
  );
}

interface Round {
  /** performance.now() at the start and end of the measured work. */
  readonly startMs: number;
  readonly endMs: number;
  /** Sum of every reduced value: both sides must agree, or they did not do the same work. */
  readonly checksum: number;
}

function plainRound(batches: readonly KeyedRecord[][]): Round {
  const started = performance.now();
  let checksum = 0;
  for (const batch of batches) {
    const sums = new Map<string, number>();
    for (const r of batch) {
      const kv = toPair(r);
      if (!keep(kv)) continue;
      const prev = sums.get(kv[0]);
      sums.set(kv[0], prev === undefined ? kv[1] : add(prev, kv[1]));
    }
    for (const [, v] of Array.from(sums)) checksum += v;
  }
  return { startMs: started, endMs: performance.now(), checksum };
}

async function engineRound(batches: readonly KeyedRecord[][], partitions: number): Promise<Round> {
  let checksum = 0;
  const { startMs, endMs, records } = await manualRound(
    { appName: 'bench-throughput', defaultParallelism: partitions, retainedBatches: batches.length },
    batches.length,
    (ssc) =>
      keyedSum(ssc.queueStream(batches.slice()), (v) => {
        checksum += v;
      }),
  );
  const bad = records.find((b) => b.outcome !== 'succeeded' || b.numRecords !== batches[0]!.length);
  if (bad) throw new Error(`engine batch ${bad.batchTime} did not process its input: ${JSON.stringify(bad)}`);
  return { startMs, endMs, checksum };
}

export async function measureThroughput(
  options: ThroughputOptions,
  progress: (line: string) => void = () => {},
): Promise<ThroughputResult> {
  const batches = makeBatches(options.batches, options.batchSize, options.keys);
  const records = options.batches * options.batchSize;
  const gc = new GcMeter();
  const variants = [
    { name: 'plain JS loop', partitions: 0, run: async () => plainRound(batches) },
    ...options.partitions.map((partitions) => ({
      name: `engine, ${partitions} partition${partitions === 1 ? '' : 's'}`,
      partitions,
      run: () => engineRound(batches, partitions),
    })),
  ];
  const rates = variants.map((): number[] => []);
  const gcShares = variants.map((): number[] => []);
  const total = options.warmupRounds + options.rounds;
  try {
    for (let round = 0; round < total; round++) {
      const warmup = round < options.warmupRounds;
      const line: string[] = [];
      let checksum: number | undefined;
      for (const [i, variant] of variants.entries()) {
        const r = await variant.run();
        await gc.settle();
        checksum ??= r.checksum;
        if (r.checksum !== checksum) {
          throw new Error(
            `${variant.name} disagrees with the plain loop: checksum ${r.checksum} vs ${checksum}`,
          );
        }
        const rate = records / ((r.endMs - r.startMs) / 1000);
        const gcShare = gc.during(r.startMs, r.endMs) / (r.endMs - r.startMs);
        if (!warmup) {
          rates[i]!.push(rate);
          gcShares[i]!.push(gcShare);
        }
        line.push(`${variant.name} ${(rate / 1e6).toFixed(2)}M/s (gc ${(gcShare * 100).toFixed(0)}%)`);
      }
      progress(`  ${warmup ? 'warm-up' : `round ${round - options.warmupRounds + 1}`}: ${line.join(', ')}`);
    }
  } finally {
    gc.close();
  }
  const result = (i: number): VariantResult => ({
    name: variants[i]!.name,
    rates: rates[i]!,
    medianRate: median(rates[i]!),
    medianGcShare: median(gcShares[i]!),
  });
  return {
    recordsPerRound: records,
    plain: result(0),
    engines: options.partitions.map((partitions, i) => ({
      ...result(i + 1),
      partitions,
      medianRatio: median(rates[i + 1]!.map((r, round) => r / rates[0]![round]!)),
    })),
  };
}
