/**
 * Kafka end-to-end latency: from the moment a record is produced to the completion of the batch
 * that processed it, with a steady producer and the engine reading through kafkaDirectStream.
 *
 * A producer in a worker thread (its own event loop, so the engine's batches never delay its
 * clock) sends `ratePerSec` records/s in small sends every few milliseconds, acks -1, each
 * carrying its produce time as its Kafka timestamp (CreateTime, `Date.now()` just before the
 * send). The engine (SystemClock, `batchIntervalMs` batches, defaultParallelism 2, the agent's
 * PrometheusListener attached) runs the throughput benchmark's job, `.map(r => [r.key, 1])
 * .reduceByKey(add)` collected in a foreachRDD, and a second output, the batch's last, that
 * collects the records' timestamps and takes `Date.now()` when the collect returns: latency =
 * that time - the record's timestamp, for every record.
 *
 * Warm-up: a few primer records are produced first and the timed production starts once a batch
 * holding them has completed (the consumer is joined and fetching); records produced in the
 * first `warmupMs` of the timed production are left out of the figures.
 */
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Partitioners } from 'kafkajs';
import { benchKafka, createTopic, deleteTopic, KAFKA_BROKERS, uniqueName, within } from './kafka-common.js';
import { kafkaKeyCount } from './kafka-key-count.js';
import { type Spread, spread } from './stats.js';

export interface KafkaLatencyOptions {
  readonly batchIntervalMs: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly ratePerSec: number;
  readonly partitions: number;
  readonly keys: number;
  readonly valueBytes: number;
}

export interface KafkaLatencyResult {
  readonly batchIntervalMs: number;
  /** Records measured (produced after the warm-up) and records the producer sent in all. */
  readonly records: number;
  readonly produced: number;
  readonly producedRate: number;
  /** Produce → completion of the batch's last output, ms. */
  readonly endToEndMs: Spread;
  /** Produce → the batch time of the batch that read the record (waiting for the next batch). */
  readonly untilBatchTimeMs: Spread;
  /** Batch time → completion of the batch's last output (planning, fetch wait, processing). */
  readonly batchTimeToEndMs: Spread;
  readonly batches: number;
  readonly failedBatches: number;
  /** Records produced (primer included) that no batch had processed when the engine stopped. */
  readonly missing: number;
}

/**
 * The producer thread, plain JavaScript: `workerData` names kafkajs' entry point, the topic, the
 * rate and how long to produce. Posts { sent } when done.
 */
const PRODUCER = `
const { workerData, parentPort } = require('node:worker_threads');
const { Kafka, logLevel, Partitioners } = require(workerData.kafkajs);
const { brokers, topic, ratePerSec, durationMs, keys, valueBytes } = workerData;
(async () => {
  const kafka = new Kafka({ clientId: 'sidestream-bench-latency-producer', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const value = Buffer.from('x'.repeat(valueBytes));
  const started = Date.now();
  let sent = 0;
  for (;;) {
    const elapsed = Date.now() - started;
    if (elapsed >= durationMs) break;
    const due = Math.floor((elapsed * ratePerSec) / 1000);
    if (due > sent) {
      // At most 2,000 records a send: after a stall (a busy machine) the backlog goes out in
      // several sends, each far below the broker's 1 MB limit on a produce request's batch.
      const upTo = Math.min(due, sent + 2000);
      const messages = [];
      const timestamp = String(Date.now());
      for (let i = sent; i < upTo; i++) messages.push({ key: 'k' + (i % keys), value, timestamp });
      await producer.send({ topic, acks: -1, messages });
      sent = upTo;
    } else {
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  await producer.disconnect();
  parentPort.postMessage({ sent });
})().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
`;

/** A steady producer in its own worker thread (shared with bench/rss.ts). */
export function runProducer(
  topic: string,
  options: Pick<KafkaLatencyOptions, 'ratePerSec' | 'durationMs' | 'keys' | 'valueBytes'>,
): { started: number; done: Promise<number> } {
  const worker = new Worker(PRODUCER, {
    eval: true,
    workerData: {
      kafkajs: createRequire(import.meta.url).resolve('kafkajs'),
      brokers: [...KAFKA_BROKERS],
      topic,
      ratePerSec: options.ratePerSec,
      durationMs: options.durationMs,
      keys: options.keys,
      valueBytes: options.valueBytes,
    },
  });
  const started = Date.now();
  const done = new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { sent?: number; error?: string }) => {
      if (m.error !== undefined) reject(new Error(`latency producer failed: ${m.error}`));
      else resolve(m.sent ?? 0);
    });
    worker.once('error', reject);
  }).finally(() => worker.terminate());
  return { started, done };
}

export async function measureKafkaLatency(options: KafkaLatencyOptions): Promise<KafkaLatencyResult> {
  const topic = uniqueName('sidestream-bench-latency');
  await createTopic(topic, options.partitions);
  const { ssc, stream, counted } = kafkaKeyCount({
    appName: 'bench-kafka-latency',
    batchIntervalMs: options.batchIntervalMs,
    defaultParallelism: 2,
    onBatchFailure: 'continue',
    topic,
    groupPrefix: 'sidestream-bench-latency',
  });
  let measureFrom = Number.POSITIVE_INFINITY;
  let seen = 0;
  const endToEnd: number[] = [];
  const untilBatch: number[] = [];
  const batchToEnd: number[] = [];
  let primed!: () => void;
  const primerDone = new Promise<void>((resolve) => {
    primed = resolve;
  });
  stream
    .map((r) => r.timestamp)
    .foreachRDD(async (rdd, batchTime) => {
      const timestamps = await rdd.collect();
      const end = Date.now();
      seen += timestamps.length;
      if (timestamps.length > 0) primed();
      for (const t of timestamps) {
        if (t < measureFrom) continue;
        endToEnd.push(end - t);
        untilBatch.push(batchTime - t);
        batchToEnd.push(end - batchTime);
      }
    });
  let batches = 0;
  let failedBatches = 0;
  ssc.addStreamingListener({
    onBatchCompleted: (b) => {
      if (b.batchTime < measureFrom) return;
      batches++;
      if (b.outcome !== 'succeeded') failedBatches++;
    },
  });
  await ssc.start();
  let produced = 0;
  let producedRate = 0;
  let missing = 0;
  try {
    const primerRecords = 12;
    const primer = benchKafka('sidestream-bench-latency-primer').producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await primer.connect();
    await primer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: primerRecords }, (_, i) => ({ key: `k${i}`, value: 'primer' })),
    });
    await primer.disconnect();
    await within(primerDone, 60_000, 'the engine did not process the primer records');
    const producer = runProducer(topic, options);
    measureFrom = producer.started + options.warmupMs;
    produced = await within(
      producer.done,
      options.durationMs + 30_000,
      'the latency producer did not finish',
    );
    producedRate = produced / (options.durationMs / 1000);
    // Let the last records through: two batch intervals after the producer stopped, plus slack.
    await sleep(2 * options.batchIntervalMs + 500);
    missing = produced + primerRecords - seen;
    if (counted() !== seen) {
      throw new Error(`the two outputs disagree: ${counted()} counted, ${seen} timestamps`);
    }
  } finally {
    await ssc.stop();
    await deleteTopic(topic);
  }
  return {
    batchIntervalMs: options.batchIntervalMs,
    records: endToEnd.length,
    produced,
    producedRate,
    endToEndMs: spread(endToEnd),
    untilBatchTimeMs: spread(untilBatch),
    batchTimeToEndMs: spread(batchToEnd),
    batches,
    failedBatches,
    missing,
  };
}
