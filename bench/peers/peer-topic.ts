/**
 * The peer benchmark's input: a fresh topic filled once per run with the word corpus
 * (bench/peers/word-corpus.ts), record i in partition i % partitions so every partition holds
 * the same share. Producing is not measured. The codec is chosen here and nowhere else
 * (PEER_CODECS), so adding one is one entry.
 */
import { performance } from 'node:perf_hooks';
import { CompressionTypes } from 'kafkajs';
import { benchKafka, createTopic, sendInChunks, uniqueName } from '../kafka-common.js';
import type { WordCorpus } from './word-corpus.js';

/** The record batch codecs the topic can be written with, as kafkajs names them. */
export const PEER_CODECS = { none: CompressionTypes.None } as const;
export type PeerCodec = keyof typeof PEER_CODECS;

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
  const topic = uniqueName('sidestream-bench-peers');
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
