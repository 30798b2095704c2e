/**
 * kafkajs, loaded on first use: a job without Kafka never loads it (a sidestream import only
 * reaches these modules' type declarations and this loader). Loading goes through this module so
 * the correct read_committed filter (kafkajs-read-committed.ts) is always installed before
 * kafkajs' consumer is first loaded.
 */
import './kafkajs-read-committed.js';
import type { Kafka, KafkaConfig } from 'kafkajs';

type Kafkajs = typeof import('kafkajs');

let loading: Promise<Kafkajs> | undefined;

/** kafkajs' module, imported once. */
export function loadKafkajs(): Promise<Kafkajs> {
  loading ??= import('kafkajs');
  return loading;
}

/** kafkajs' `logLevel.NOTHING`, without loading kafkajs for it. */
const LOG_NOTHING = 0;

/** A kafkajs client; quiet unless the caller asks for kafkajs' own logging. */
export async function kafkaClient(config: KafkaConfig): Promise<Kafka> {
  const { Kafka } = await loadKafkajs();
  return new Kafka({ ...config, logLevel: config.logLevel ?? LOG_NOTHING });
}
