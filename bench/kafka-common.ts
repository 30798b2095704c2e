/**
 * What the Kafka benchmarks share: the local broker started by `scripts/services.sh up`
 * (127.0.0.1:9092), a reachability probe, and throwaway topics that are deleted afterwards.
 * Self-contained on purpose: the benchmarks do not import the test helpers.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

export const KAFKA_BROKERS: readonly string[] = ['127.0.0.1:9092'];

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
  const admin = new Kafka({
    clientId: 'sidestream-bench-probe',
    brokers: [...KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 1, initialRetryTime: 200 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length === 0 ? 'the cluster reports no live broker' : undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** `<prefix>-<ms>-<random>`: never seen by the broker before (topics and consumer groups). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;
}

export async function createTopic(name: string, partitions: number): Promise<void> {
  const admin = benchKafka('sidestream-bench-admin').admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 10_000,
    });
    if (!created) throw new Error(`topic ${name} already exists`);
  } finally {
    await admin.disconnect();
  }
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
