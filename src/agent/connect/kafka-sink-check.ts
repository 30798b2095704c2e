/**
 * `validate --connect` for a KafkaTransactionalSink a direct stream uses as its offset store:
 * each of its seed brokers answers, and its group's committed offsets (the sink commits them
 * inside its transactions and reads them when a partition is assigned) can be read for the
 * input's topics.
 */
import type { KafkaSinkOptions } from '../../sinks/kafka-transactional-sink.js';
import type { CheckProgress, ConnectCheck } from './connect-check.js';
import { describeConnectError } from './describe-connect-error.js';
import { firstAnsweringBroker, KAFKA_SERVICE, withKafkaAdmin } from './kafka-admin.js';

export function kafkaSinkCheck(
  sink: { readonly target: Readonly<KafkaSinkOptions> },
  input: string,
  topics: readonly string[],
): ConnectCheck {
  const options = sink.target;
  const where = (brokers: string) => `kafka ${brokers} (sink of input ${input})`;
  return {
    target: where(options.brokers.join(',')),
    service: KAFKA_SERVICE,
    run: (progress) => check(options, topics, where, progress),
  };
}

async function check(
  sink: Readonly<KafkaSinkOptions>,
  topics: readonly string[],
  where: (brokers: string) => string,
  progress: CheckProgress,
): Promise<void> {
  const options = {
    brokers: sink.brokers,
    clientId: `sidestream-${sink.groupId}-sink-validate`,
    kafka: sink.kafka,
  };
  progress.step('connecting to the brokers');
  const broker = await firstAnsweringBroker(options, progress, where, (error) =>
    describeConnectError(error, KAFKA_SERVICE),
  );
  if (broker !== undefined) {
    await withKafkaAdmin({ ...options, brokers: [broker] }, progress, async (admin) => {
      progress.step(`reading group ${sink.groupId}'s committed offsets`);
      const existing = new Set(await admin.listTopics());
      const readable = topics.filter((t) => existing.has(t));
      if (readable.length === 0) {
        progress.report(
          'FAIL',
          `none of ${topics.join(', ')} exists, so group ${sink.groupId}'s offsets for them cannot be read`,
        );
        return;
      }
      await admin.fetchOffsets({ groupId: sink.groupId, topics: readable });
      progress.report('ok', `group ${sink.groupId}'s committed offsets can be read`);
    });
  }
}
