/**
 * `validate --connect` for one Kafka input of the job (direct or receiver stream): each seed
 * broker answers a metadata request, each topic exists (with its partition count), a direct
 * stream's dead-letter topic exists, and the group's committed offsets can be read. Topics are
 * looked up in the full topic list, never by name: a metadata request naming a missing topic
 * could create it on a broker with auto-creation on, and a check must change nothing.
 */
import type { KafkaInputTarget } from '../../sources/kafka/kafka-input-target.js';
import type { CheckProgress, ConnectCheck } from './connect-check.js';
import { describeConnectError } from './describe-connect-error.js';
import { firstAnsweringBroker, KAFKA_SERVICE, withKafkaAdmin } from './kafka-admin.js';

export function kafkaInputCheck(input: KafkaInputTarget): ConnectCheck {
  return {
    target: `kafka ${input.brokers.join(',')} (input ${input.input})`,
    service: KAFKA_SERVICE,
    run: (progress) => check(input, progress),
  };
}

async function check(input: KafkaInputTarget, progress: CheckProgress): Promise<void> {
  const options = {
    brokers: input.brokers,
    clientId: `${input.clientId ?? `sidestream-${input.groupId}`}-validate`,
    kafka: input.kafka,
  };
  progress.step('connecting to the brokers');
  const broker = await firstAnsweringBroker(
    options,
    progress,
    (broker) => `kafka ${broker} (input ${input.input})`,
    (error) => describeConnectError(error, KAFKA_SERVICE),
  );
  // None answered: each broker's own line says why, and nothing else can be asked.
  if (broker !== undefined) {
    await withKafkaAdmin({ ...options, brokers: [broker] }, progress, async (admin) => {
      progress.step('reading the topic list');
      const { topics } = await admin.fetchTopicMetadata();
      const partitions = new Map(topics.map((t) => [t.name, t.partitions.length]));
      const present: string[] = [];
      for (const topic of input.topics) {
        const n = partitions.get(topic);
        if (n === undefined) {
          progress.report(
            'FAIL',
            `topic ${topic} does not exist; create it, or fix the topic's name in the job`,
          );
        } else {
          present.push(topic);
          progress.report('ok', `topic ${topic} has ${n} partition${n === 1 ? '' : 's'}`);
        }
      }
      const dlt = input.deadLetterTopic;
      if (dlt !== undefined) {
        const n = partitions.get(dlt);
        progress.report(
          n === undefined ? 'FAIL' : 'ok',
          n === undefined
            ? `dead-letter topic ${dlt} does not exist; create it: rejected records are produced there`
            : `dead-letter topic ${dlt} has ${n} partition${n === 1 ? '' : 's'}`,
        );
      }
      if (present.length === 0) return;
      progress.step(`reading group ${input.groupId}'s committed offsets`);
      const offsets = await admin.fetchOffsets({ groupId: input.groupId, topics: present });
      for (const { topic, partitions: committed } of offsets) {
        // kafkajs gives '-1' for a partition the group has no offset for.
        const known = committed.filter((p) => Number(p.offset) >= 0).length;
        progress.report(
          'ok',
          known === 0
            ? `group ${input.groupId} has no committed offsets for ${topic} yet: it starts at the ${input.startingOffsets ?? 'latest'} offsets`
            : `group ${input.groupId} has committed offsets for ${known} of ${committed.length} partitions of ${topic}`,
        );
      }
    });
  }
}
