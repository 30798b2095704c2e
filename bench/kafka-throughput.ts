/**
 * Kafka throughput: records/s of the engine reading a topic through kafkaDirectStream against a
 * raw kafkajs consumer that only counts, on the same broker and the same topic, in one run.
 *
 * The topic (6 partitions by default) is filled once with 1M records: ~100-byte values, keys
 * `k0`..`k999` (kafkajs' default murmur2 partitioner spreads them over the partitions). Then the
 * two sides read all of it, alternately, each round with a fresh consumer group from the
 * earliest offset:
 * - raw: a kafkajs consumer, `eachBatch` counting `batch.messages.length` and resolving the
 *   batch's last offset (autoCommit off, kafkajs' default fetch settings);
 * - engine: a StreamingContext on the SystemClock (1 s batches, defaultParallelism 2) with the
 *   agent's PrometheusListener attached, `kafkaDirectStream(startingOffsets 'earliest', no rate
 *   cap)`, `.map(r => [r.key, 1]).reduceByKey(add)` and a foreachRDD that collects the counts;
 *   its tasks read their ranges on demand (the default);
 * - engine, readAhead: the same with `readAhead: true` (the group consumer fetching ahead).
 *
 * Both clocks start at the first fetched records (the first `eachBatch` call holding messages:
 * the raw consumer's own; for the engine the one its source handles when it reads ahead, else the
 * start of the first batch with records, whose tasks fetch them), so connecting and joining the
 * group are left out on both sides. The raw clock stops when `eachBatch` has counted
 * every record; the engine's when the batch whose records bring the total to every record has
 * completed (onBatchCompleted), so the engine pays for its batch interval granularity.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EachBatchPayload, Partitioners } from 'kafkajs';
import type { CompletedBatchRecord } from '../src/index.js';
import { GcMeter } from './gc-meter.js';
import { benchKafka, createTopic, deleteTopic, sendInChunks, uniqueName, within } from './kafka-common.js';
import { kafkaKeyCount } from './kafka-key-count.js';
import { median } from './stats.js';

export interface KafkaThroughputOptions {
  readonly records: number;
  readonly partitions: number;
  readonly keys: number;
  readonly valueBytes: number;
  /** Each round reads the topic once with the raw consumer, then once with the engine. */
  readonly rounds: number;
  readonly batchIntervalMs: number;
  readonly defaultParallelism: number;
}

export interface SideRun {
  /** records/s from the first fetched records to the last record counted (raw) or processed (engine). */
  readonly rate: number;
  readonly ms: number;
  /** performance.now() at the first fetched records and at the end. */
  readonly startMs: number;
  readonly endMs: number;
  /** Group join (partitions assigned) to the first fetched records, ms. */
  readonly joinToFirstMs: number;
  /** Node's CPU time (user + system) over the measured interval, as a share of one core. */
  readonly cpuShare: number;
  /** Share of the measured interval V8 spent in garbage collection. */
  readonly gcShare: number;
}

export interface EngineRun extends SideRun {
  /**
   * First fetched records to the source's eachBatch having taken in every record, ms: the part
   * comparable to the raw consumer; the rest of `ms` is processing after the last fetch. NaN when
   * the stream reads on demand (its consumer fetches nothing).
   */
  readonly fetchMs: number;
  /** Batches that held records: their sizes and processing delays. */
  readonly batches: readonly { records: number; processingMs: number; schedulingMs: number }[];
  /** sidestream_records_processed_total as the PrometheusListener counted it. */
  readonly metricRecords: number;
}

export interface KafkaThroughputResult {
  readonly topic: string;
  readonly records: number;
  readonly partitions: number;
  readonly produceMs: number;
  readonly produceRate: number;
  readonly raw: readonly SideRun[];
  readonly engine: readonly EngineRun[];
  readonly medianRawRate: number;
  readonly medianEngineRate: number;
  /** Median over rounds of engine rate / raw rate of the same round. */
  readonly medianRatio: number;
  readonly ratios: readonly number[];
  /** The same engine with the direct stream's readAhead (the group consumer fetching ahead). */
  readonly readAhead: readonly EngineRun[];
  readonly medianReadAheadRate: number;
  readonly readAheadRatios: readonly number[];
  /** Median over rounds of the default (on-demand) engine's rate / the readAhead engine's. */
  readonly onDemandOverReadAhead: number;
  /** Median CPU time per record (us, Node's own process) of each side. */
  readonly cpuUsPerRecord: { readonly raw: number; readonly engine: number; readonly readAhead: number };
}

/** A stopwatch over one measured interval: wall time, CPU time of this process, GC time. */
class Interval {
  private startWall = 0;
  private startCpu: NodeJS.CpuUsage | undefined;
  private endWall = 0;
  private cpuMs = 0;

  get started(): boolean {
    return this.startCpu !== undefined;
  }

  start(): void {
    if (this.startCpu) return;
    this.startWall = performance.now();
    this.startCpu = process.cpuUsage();
  }

  stop(): void {
    this.endWall = performance.now();
    const cpu = process.cpuUsage(this.startCpu);
    this.cpuMs = (cpu.user + cpu.system) / 1000;
  }

  get from(): number {
    return this.startWall;
  }

  result(records: number, joinedAt: number, gc: GcMeter): SideRun {
    const ms = this.endWall - this.startWall;
    return {
      rate: records / (ms / 1000),
      ms,
      startMs: this.startWall,
      endMs: this.endWall,
      joinToFirstMs: this.startWall - joinedAt,
      cpuShare: this.cpuMs / ms,
      gcShare: gc.during(this.startWall, this.endWall) / ms,
    };
  }
}

/** A `bytes`-long JSON value naming its key; built once per key (the producer is the slow part). */
function recordValue(key: string, bytes: number): Buffer {
  const head = `{"key":"${key}","pad":"`;
  return Buffer.from(`${head}${'x'.repeat(Math.max(0, bytes - head.length - 2))}"}`);
}

/** Fills the topic (sendInChunks): keys `k0`.. and their values, round robin. */
export async function produce(topic: string, options: KafkaThroughputOptions): Promise<void> {
  const producer = benchKafka('sidestream-bench-producer').producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const keys = Array.from({ length: options.keys }, (_, k) => Buffer.from(`k${k}`));
    const values = Array.from({ length: options.keys }, (_, k) => recordValue(`k${k}`, options.valueBytes));
    await sendInChunks(producer, topic, options.records, (i) => ({
      key: keys[i % options.keys] as Buffer,
      value: values[i % options.keys] as Buffer,
    }));
  } finally {
    await producer.disconnect();
  }
}

export async function rawRun(topic: string, records: number, gc: GcMeter): Promise<SideRun> {
  const consumer = benchKafka('sidestream-bench-raw').consumer({
    groupId: uniqueName('sidestream-bench-raw'),
    allowAutoTopicCreation: false,
  });
  const interval = new Interval();
  let joinedAt = Number.NaN;
  let counted = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt = performance.now();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (batch.messages.length > 0) interval.start();
        counted += batch.messages.length;
        resolveOffset(batch.lastOffset());
        await heartbeat();
        if (counted >= records) {
          interval.stop();
          finished();
        }
      },
    });
    await within(done, 180_000, `raw consumer: only ${counted} of ${records} records arrived`);
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  await gc.settle();
  if (counted !== records) throw new Error(`raw consumer counted ${counted} records, expected ${records}`);
  return interval.result(records, joinedAt, gc);
}

export async function engineRun(
  topic: string,
  options: KafkaThroughputOptions,
  gc: GcMeter,
  readAhead = false,
): Promise<EngineRun> {
  const {
    ssc,
    stream,
    metrics,
    counted: reduced,
  } = kafkaKeyCount({
    appName: 'bench-kafka-throughput',
    batchIntervalMs: options.batchIntervalMs,
    defaultParallelism: options.defaultParallelism,
    topic,
    groupPrefix: 'sidestream-bench-engine',
    readAhead,
  });

  // The first fetched records: the eachBatch handler of the source's group membership
  // (src/sources/kafka/group-membership.ts), wrapped. It is private, so if it is ever moved or
  // renamed the clock falls back to the group join, and says so: the engine would then be charged
  // for joining the group, which the raw consumer is not.
  const interval = new Interval();
  const source = (stream as unknown as { source?: { membership?: Record<string, unknown> } }).source;
  const membership = source?.membership;
  const handler = membership?.onFetched;
  let fetched = 0;
  let fetchedAllAt = Number.NaN;
  if (membership && typeof handler === 'function') {
    membership.onFetched = async (payload: EachBatchPayload) => {
      if (payload.batch.messages.length > 0) interval.start();
      await handler.call(membership, payload);
      fetched += payload.batch.messages.length;
      if (fetched >= options.records && Number.isNaN(fetchedAllAt)) fetchedAllAt = performance.now();
    };
  } else {
    console.warn('  (engine: cannot see its first fetch; timing from the group join instead)');
  }
  let joinedAt = Number.NaN;
  let processed = 0;
  const batches: CompletedBatchRecord[] = [];
  let finished!: () => void;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  ssc.addStreamingListener({
    // Reading on demand (the default: no readAhead), the consumer fetches nothing: the first
    // records are fetched by the first batch with records, when it starts.
    onBatchStarted: (b) => {
      if (fetched === 0 && b.numRecords > 0) interval.start();
    },
    onSourceEvent: (event) => {
      if (event.type !== 'rebalance' || !Number.isNaN(joinedAt)) return;
      joinedAt = performance.now();
      if (!handler) interval.start();
    },
    onBatchCompleted: (b) => {
      if (b.numRecords === 0) return;
      batches.push(b);
      processed += b.numRecords;
      if (processed >= options.records) {
        interval.stop();
        finished();
      }
    },
  });
  await ssc.start();
  try {
    await within(
      Promise.race([done, ssc.awaitTermination()]),
      180_000,
      `engine: only ${processed} of ${options.records} records processed`,
    );
  } finally {
    await ssc.stop();
  }
  await gc.settle();
  const failed = batches.find((b) => b.outcome !== 'succeeded');
  if (failed)
    throw new Error(`engine batch ${failed.batchTime} failed: ${JSON.stringify(failed.outputOperations)}`);
  if (processed !== options.records || reduced() !== options.records) {
    throw new Error(`engine read ${processed} and reduced ${reduced()} records, expected ${options.records}`);
  }
  const metric = (await metrics.registry.getSingleMetric('sidestream_records_processed_total')?.get())
    ?.values;
  return {
    ...interval.result(options.records, joinedAt, gc),
    fetchMs: fetchedAllAt - interval.from,
    batches: batches.map((b) => ({
      records: b.numRecords,
      processingMs: b.processingDelayMs,
      schedulingMs: b.schedulingDelayMs,
    })),
    metricRecords: (metric ?? []).reduce((n, v) => n + v.value, 0),
  };
}

export async function measureKafkaThroughput(
  options: KafkaThroughputOptions,
  progress: (line: string) => void = () => {},
): Promise<KafkaThroughputResult> {
  const topic = uniqueName('sidestream-bench-throughput');
  await createTopic(topic, options.partitions);
  const gc = new GcMeter();
  try {
    const produceStart = performance.now();
    await produce(topic, options);
    const produceMs = performance.now() - produceStart;
    progress(
      `  produced ${options.records.toLocaleString('en-US')} records (${options.valueBytes}-byte values, ` +
        `${options.keys} keys) to ${options.partitions} partitions in ${(produceMs / 1000).toFixed(1)} s ` +
        `(${(options.records / produceMs).toFixed(0)}k rec/s, acks -1)`,
    );
    const raw: SideRun[] = [];
    const engine: EngineRun[] = [];
    const readAhead: EngineRun[] = [];
    const f = (r: SideRun) =>
      `${(r.rate / 1000).toFixed(0)}k rec/s in ${(r.ms / 1000).toFixed(2)} s ` +
      `(cpu ${(r.cpuShare * 100).toFixed(0)}%, gc ${(r.gcShare * 100).toFixed(0)}%, join→first ${r.joinToFirstMs.toFixed(0)} ms)`;
    for (let round = 1; round <= options.rounds; round++) {
      const r = await rawRun(topic, options.records, gc);
      raw.push(r);
      await sleep(200);
      const e = await engineRun(topic, options, gc);
      engine.push(e);
      await sleep(200);
      const a = await engineRun(topic, options, gc, true);
      readAhead.push(a);
      await sleep(200);
      const sizes = e.batches.map((b) => `${b.records} in ${b.processingMs} ms`).join(', ');
      progress(`  round ${round}: raw ${f(r)}`);
      progress(
        `           engine ${f(e)}${Number.isNaN(e.fetchMs) ? '' : `, all fetched after ${(e.fetchMs / 1000).toFixed(2)} s`}, ratio ${(e.rate / r.rate).toFixed(2)}`,
      );
      progress(`           engine batches with records: ${sizes}`);
      progress(
        `           engine, readAhead ${f(a)}, all fetched after ${(a.fetchMs / 1000).toFixed(2)} s, ratio ${(a.rate / r.rate).toFixed(2)}`,
      );
    }
    const ratios = engine.map((e, i) => e.rate / raw[i]!.rate);
    const cpuPerRecord = (runs: readonly SideRun[]) =>
      median(runs.map((x) => (x.cpuShare * x.ms * 1000) / options.records));
    return {
      topic,
      records: options.records,
      partitions: options.partitions,
      produceMs,
      produceRate: options.records / (produceMs / 1000),
      raw,
      engine,
      medianRawRate: median(raw.map((r) => r.rate)),
      medianEngineRate: median(engine.map((e) => e.rate)),
      medianRatio: median(ratios),
      ratios,
      readAhead,
      medianReadAheadRate: median(readAhead.map((a) => a.rate)),
      readAheadRatios: readAhead.map((a, i) => a.rate / raw[i]!.rate),
      onDemandOverReadAhead: median(engine.map((e, i) => e.rate / readAhead[i]!.rate)),
      cpuUsPerRecord: {
        raw: cpuPerRecord(raw),
        engine: cpuPerRecord(engine),
        readAhead: cpuPerRecord(readAhead),
      },
    };
  } finally {
    gc.close();
    await deleteTopic(topic);
  }
}
