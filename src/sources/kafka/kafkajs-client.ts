/**
 * kafkajs, loaded on first use: a job without Kafka never loads it (a sidestream import only
 * reaches these modules' type declarations and this loader). Loading goes through this module so
 * the correct read_committed filter (kafkajs-read-committed.ts) is always installed before
 * kafkajs' consumer is first loaded, and kafkajs reads and writes every codec Kafka has
 * (kafka-codecs.ts) before its first fetch or produce.
 */
import './kafkajs-read-committed.js';
import type { Kafka, KafkaConfig } from 'kafkajs';
import { registerKafkajsCodecs } from './kafka-codecs.js';

type Kafkajs = typeof import('kafkajs');

let loading: Promise<Kafkajs> | undefined;

/** kafkajs' module, imported once, with Kafka's codecs registered. */
export function loadKafkajs(): Promise<Kafkajs> {
  loading ??= import('kafkajs').then((kafkajs) => {
    registerKafkajsCodecs();
    return kafkajs;
  });
  return loading;
}

/** kafkajs' `logLevel.NOTHING`, without loading kafkajs for it. */
const LOG_NOTHING = 0;

/** A kafkajs client; quiet unless the caller asks for kafkajs' own logging. */
export async function kafkaClient(config: KafkaConfig): Promise<Kafka> {
  const { Kafka } = await loadKafkajs();
  return new Kafka({ ...config, logLevel: config.logLevel ?? LOG_NOTHING });
}
