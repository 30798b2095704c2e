/**
 * Creating a throwaway topic, as the tests (createTopic in test/support/services.ts) and the
 * Kafka benchmarks (bench/kafka-common.ts) both do: replication factor 1 on the local broker,
 * waiting for the partitions' leaders so that the first produce does not race the election.
 */
import type { Kafka } from 'kafkajs';

/**
 * Creates `name` with `partitions` partitions through `kafka`, with the topic configuration
 * `config` if given (e.g. `cleanup.policy`); throws if it already exists.
 */
export async function createKafkaTopic(
  kafka: Kafka,
  name: string,
  partitions: number,
  config: Readonly<Record<string, string>> = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [
        {
          topic: name,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: Object.entries(config).map(([key, value]) => ({ name: key, value })),
        },
      ],
      waitForLeaders: true,
      timeout: 10_000,
    });
    if (!created) throw new Error(`topic ${name} already exists`);
  } finally {
    await admin.disconnect();
  }
}
