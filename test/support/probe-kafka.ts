/**
 * Whether a Kafka cluster can be used: the one check both the tests (requireKafka in
 * test/support/services.ts) and the Kafka benchmarks (bench/kafka-common.ts) make before using
 * the local broker.
 */
import type { Kafka } from 'kafkajs';

/** Resolves when `kafka`'s cluster answers a metadata request with a live broker; throws otherwise. */
export async function probeKafka(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('the cluster reports no live broker');
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
