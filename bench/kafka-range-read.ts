/**
 * Kafka range reads: what an executor worker does for each Kafka task (docs/design/executors.md):
 * KafkaRangeReader.read of an offset range straight from the partition's leader, then decodeRange
 * (the default UTF-8 decoder, the records a task's sink gets). Reports records/s and the CPU
 * time per record of the reading process, medians of rounds, so two builds of the reader can be
 * compared on the same topic (`--topic` reuses one already filled; `--keep` leaves it).
 *
 *   npm run bench -- --only range-read
 *   npx tsx bench/kafka-range-read.ts [--records 500000] [--partitions 2] [--range 50000] [--rounds 5] [--topic T] [--keep]
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeRange, defaultDecode } from '../src/sources/kafka/decode-range.js';
import { KafkaRangeReader } from '../src/sources/kafka/kafka-range-reader.js';
import { benchKafka, createTopic, deleteTopic, uniqueName } from './kafka-common.js';
import { produce } from './kafka-throughput.js';
import { median } from './stats.js';

export interface RangeReadOptions {
  readonly records: number;
  readonly partitions: number;
  /** Records per read, as one task's range. */
  readonly range: number;
  readonly rounds: number;
  /** A topic already filled with `records` records over `partitions` partitions. */
  readonly topic?: string | undefined;
  readonly keep?: boolean;
}

export interface RangeReadResult {
  readonly records: number;
  readonly rounds: number;
  readonly recordsPerSec: number;
  readonly cpuMicrosPerRecord: number;
  readonly mbPerSec: number;
  readonly topic: string;
}

async function ends(topic: string): Promise<{ partition: number; low: number; high: number }[]> {
  const admin = benchKafka('sidestream-bench-admin').admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((o) => ({
      partition: o.partition,
      low: Number(o.low),
      high: Number(o.high),
    }));
  } finally {
    await admin.disconnect();
  }
}

export async function measureRangeRead(o: RangeReadOptions): Promise<RangeReadResult> {
  const topic = o.topic ?? uniqueName('sidestream-bench-range');
  if (o.topic === undefined) {
    await createTopic(topic, o.partitions);
    await produce(topic, {
      records: o.records,
      partitions: o.partitions,
      keys: 1000,
      valueBytes: 100,
      rounds: 1,
      batchIntervalMs: 1000,
      defaultParallelism: 2,
    });
  }
  try {
    const partitions = await ends(topic);
    const total = partitions.reduce((n, p) => n + p.high - p.low, 0);
    const rates: number[] = [];
    const cpus: number[] = [];
    const mbs: number[] = [];
    for (let round = 0; round < o.rounds; round++) {
      const reader = new KafkaRangeReader(benchKafka('sidestream-bench-range-reader'));
      // Connecting and metadata are left out: a worker's reader stays connected across tasks.
      await reader.read(topic, 0, 0, 1, 10_000);
      let count = 0;
      let bytes = 0;
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (const { partition, low, high } of partitions) {
        for (let from = low; from < high; from += o.range) {
          const { messages } = await reader.read(
            topic,
            partition,
            from,
            Math.min(from + o.range, high),
            60_000,
          );
          for (const m of messages) bytes += m.value?.length ?? 0;
          decodeRange(
            messages,
            topic,
            partition,
            { decode: defaultDecode, eventTime: undefined, handled: new Set(), cloneable: true },
            () => {
              count++;
            },
          );
        }
      }
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      await reader.close();
      if (count !== total) throw new Error(`read ${count} records of ${total}`);
      rates.push((count / ms) * 1000);
      cpus.push((used.user + used.system) / count);
      mbs.push(bytes / 1e6 / (ms / 1000));
    }
    return {
      records: total,
      rounds: o.rounds,
      recordsPerSec: median(rates),
      cpuMicrosPerRecord: median(cpus),
      mbPerSec: median(mbs),
      topic,
    };
  } finally {
    if (!o.keep && o.topic === undefined) await deleteTopic(topic);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '500000' },
      partitions: { type: 'string', default: '2' },
      range: { type: 'string', default: '50000' },
      rounds: { type: 'string', default: '5' },
      topic: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const result = await measureRangeRead({
    records: Number(values.records),
    partitions: Number(values.partitions),
    range: Number(values.range),
    rounds: Number(values.rounds),
    topic: values.topic,
    keep: values.keep,
  });
  console.log(JSON.stringify(result));
  process.exit(0);
}
