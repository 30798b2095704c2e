/**
 * The plain kafkajs peer of bench/peers.ts: one consumer (`eachBatch`, autoCommit off, kafkajs'
 * default fetch settings) reading the whole topic from the earliest offset and counting words
 * in a Map, no engine. The clock runs from the first batch holding records to the batch that
 * brought the count to PEER_RECORDS. Run as its own process: `node --import tsx <this file>`.
 *
 * kafkajs decodes only gzip itself; a kafkajs user reading snappy, lz4 or zstd topics adds codec
 * packages to its codec table. This loop does the same with the packages sidestream uses
 * (registerKafkajsCodecs, src/sources/kafka/kafka-codecs.ts), so it reads every topic of
 * `--peer-codec`; nothing else of sidestream runs here, and an uncompressed batch never calls it.
 */
import { Kafka, logLevel } from 'kafkajs';
import { registerKafkajsCodecs } from '../../src/sources/kafka/kafka-codecs.js';
import { peerEnv, peerReporter } from './peer-report.js';

registerKafkajsCodecs();

const topic = peerEnv('PEER_TOPIC');
const expected = Number(peerEnv('PEER_RECORDS'));
const reporter = peerReporter();
const kafka = new Kafka({
  clientId: 'sidestream-bench-peers-kafkajs',
  brokers: peerEnv('PEER_BROKERS').split(','),
  logLevel: logLevel.NOTHING,
});
const consumer = kafka.consumer({ groupId: peerEnv('PEER_GROUP'), allowAutoTopicCreation: false });
const counts = new Map<string, number>();
let records = 0;
let firstMs = -1;

await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
    if (batch.messages.length === 0) return;
    if (firstMs < 0) firstMs = Date.now();
    for (const message of batch.messages) {
      for (const word of (message.value?.toString() ?? '').split(' ')) {
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    }
    records += batch.messages.length;
    resolveOffset(batch.lastOffset());
    await heartbeat();
    if (records >= expected) {
      const lastMs = Date.now();
      let words = 0;
      let letters = 0;
      for (const [word, n] of counts) {
        words += n;
        letters += n * word.length;
      }
      reporter.done({ records, words, letters, firstMs, lastMs });
    }
  },
});
