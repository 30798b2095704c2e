/**
 * What the Kafka benchmarks share: the local broker started by `scripts/services.sh up`
 * (127.0.0.1:9092), a reachability probe, and throwaway topics that are deleted afterwards. The
 * broker's address, the probe and the topic creation are the integration tests' own
 * (test/support/), so tests and benchmarks cannot disagree about the broker they use.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import { createKafkaTopic } from '../test/support/create-kafka-topic.js';
import { probeKafka } from '../test/support/probe-kafka.js';
import { KAFKA_BROKERS } from '../test/support/services.js';

export { KAFKA_BROKERS };

export function benchKafka(clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [...KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
  });
}

/** undefined when the broker answers with a live broker; otherwise why not. */
export async function kafkaUnreachable(): Promise<string | undefined> {
  try {
    await probeKafka(
      new Kafka({
        clientId: 'sidestream-bench-probe',
        brokers: [...KAFKA_BROKERS],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 2000,
        requestTimeout: 5000,
        retry: { retries: 1, initialRetryTime: 200 },
      }),
    );
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** `<prefix>-<ms>-<random>`: never seen by the broker before (topics and consumer groups). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;
}

export function createTopic(name: string, partitions: number): Promise<void> {
  return createKafkaTopic(benchKafka('sidestream-bench-admin'), name, partitions);
}

/** Best effort: a benchmark topic left behind only costs disk on a throwaway broker. */
export async function deleteTopic(name: string): Promise<void> {
  const admin = benchKafka('sidestream-bench-admin').admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: [name], timeout: 10_000 });
  } catch {
    // Left for `scripts/services.sh clean`.
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** `promise`'s outcome, or an error saying `message` if it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (after ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fills `topic` with `records` records (`messageAt(i)` is record i): sends of 5,000 records, two
 * in flight, acks from all in-sync replicas. kafkajs' producer is CPU-bound here (~120k rec/s on
 * one core): bigger or more concurrent sends do not help, and a send of 5,000 ~100-byte records
 * stays under the broker's 1 MB batch limit per partition.
 */
export async function sendInChunks(
  producer: Producer,
  topic: string,
  records: number,
  messageAt: (i: number) => Message,
  compression?: number,
): Promise<void> {
  const chunk = 5000;
  let next = 0;
  const sender = async () => {
    while (next < records) {
      const from = next;
      const until = Math.min(from + chunk, records);
      next = until;
      const messages: Message[] = [];
      for (let i = from; i < until; i++) messages.push(messageAt(i));
      await producer.send({ topic, acks: -1, messages, ...(compression ? { compression } : {}) });
    }
  };
  await Promise.all([sender(), sender()]);
}
