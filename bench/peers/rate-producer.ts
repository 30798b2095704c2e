/**
 * The steady phase's producer (bench/peers-steady.ts): the word corpus (bench/peers/word-corpus.ts)
 * at a fixed rate for a fixed time, record i to partition i % partitions, each stamped with the
 * time it was sent, from a worker thread so the benchmark's own event loop stays free. The
 * worker is plain JavaScript (as bench/kafka-latency.ts's), since workers do not inherit tsx.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { KAFKA_BROKERS } from '../kafka-common.js';
import { PEER_CODECS, type PeerCodec } from './peer-topic.js';

const PRODUCER = `
const { workerData, parentPort } = require('node:worker_threads');
const { Kafka, logLevel } = require(workerData.kafkajs);
const { brokers, topic, ratePerSec, durationMs, partitions, values, compression } = workerData;
(async () => {
  const kafka = new Kafka({ clientId: 'sidestream-bench-peers-rate', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const buffers = values.map((v) => Buffer.from(v));
  const started = Date.now();
  let sent = 0;
  for (;;) {
    const elapsed = Date.now() - started;
    if (elapsed >= durationMs) break;
    const due = Math.floor((elapsed * ratePerSec) / 1000);
    if (due > sent) {
      // At most 20,000 per send: a producer that fell behind catches up in bounded requests.
      const until = Math.min(due, sent + 20000);
      const messages = [];
      const timestamp = String(Date.now());
      for (let i = sent; i < until; i++) {
        messages.push({ partition: i % partitions, value: buffers[i % buffers.length], timestamp });
      }
      await producer.send({ topic, acks: -1, compression, messages });
      sent = until;
    } else {
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  const ended = Date.now();
  await producer.disconnect();
  parentPort.postMessage({ sent, started, ended });
})().catch((error) => parentPort.postMessage({ error: String((error && error.stack) || error) }));
`;

export interface RateProducerOptions {
  readonly ratePerSec: number;
  readonly durationMs: number;
  readonly partitions: number;
  readonly compression: PeerCodec;
}

/** Records sent, and when the sending started and ended (epoch ms). */
export interface RateProduced {
  readonly sent: number;
  readonly started: number;
  readonly ended: number;
}

export function runRateProducer(
  topic: string,
  values: readonly string[],
  options: RateProducerOptions,
): Promise<RateProduced> {
  const worker = new Worker(PRODUCER, {
    eval: true,
    workerData: {
      kafkajs: createRequire(import.meta.url).resolve('kafkajs'),
      brokers: [...KAFKA_BROKERS],
      topic,
      ratePerSec: options.ratePerSec,
      durationMs: options.durationMs,
      partitions: options.partitions,
      values,
      compression: PEER_CODECS[options.compression],
    },
  });
  return new Promise<RateProduced>((resolve, reject) => {
    worker.once('message', (m: Partial<RateProduced> & { error?: string }) => {
      if (m.error !== undefined) reject(new Error(`the rate producer failed: ${m.error}`));
      else resolve({ sent: m.sent ?? 0, started: m.started ?? 0, ended: m.ended ?? 0 });
    });
    worker.once('error', reject);
  }).finally(() => worker.terminate());
}
