/**
 * The peer benchmark's input: a fresh topic filled once per run with the word corpus
 * (bench/peers/word-corpus.ts), record i in partition i % partitions so every partition holds
 * the same share, its record batches compressed with the codec asked for
 * (bench/peers/peer-codecs.ts). Producing is not measured.
 */
import { performance } from 'node:perf_hooks';
import { registerKafkajsCodecs } from '../../src/sources/kafka/kafka-codecs.js';
import { benchKafka, createTopic, sendInChunks, uniqueName } from '../kafka-common.js';
import { PEER_CODECS, type PeerCodec } from './peer-codecs.js';
import type { WordCorpus } from './word-corpus.js';

export interface PeerTopicOptions {
  readonly records: number;
  readonly partitions: number;
  readonly compression: PeerCodec;
}

export interface PeerTopic {
  readonly topic: string;
  readonly produceMs: number;
}

/** Creates the topic and fills it: sends of 5,000 records, two in flight, acks from all in-sync replicas. */
export async function producePeerTopic(corpus: WordCorpus, options: PeerTopicOptions): Promise<PeerTopic> {
  const topic = uniqueName(`sidestream-bench-peers-${options.compression}`);
  // kafkajs itself writes only gzip; snappy, lz4 and zstd come from sidestream's codecs.
  if (options.compression !== 'none') registerKafkajsCodecs();
  await createTopic(topic, options.partitions);
  const started = performance.now();
  const producer = benchKafka('sidestream-bench-peers-producer').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const values = corpus.values.map((v) => Buffer.from(v));
    await sendInChunks(
      producer,
      topic,
      options.records,
      (i) => ({ partition: i % options.partitions, value: values[i % values.length] as Buffer }),
      PEER_CODECS[options.compression],
    );
  } finally {
    await producer.disconnect();
  }
  return { topic, produceMs: performance.now() - started };
}
