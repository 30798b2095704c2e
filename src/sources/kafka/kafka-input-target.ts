/**
 * What a declared graph's Kafka input reads from, for checks made before anything starts
 * (`sidestream validate --connect`): the brokers, topics and group of a direct stream or of a
 * Kafka receiver stream, read from the input's own options. Kept here, beside the Kafka inputs,
 * so that module 1 and the engine never learn Kafka's vocabulary: a caller hands over any input
 * source and gets a description back only when it is a Kafka one.
 */
import type { KafkaConfig } from 'kafkajs';
import type { InputSource } from '../../dstream/input-source.js';
import { ReceiverSource } from '../receiver-source.js';
import { KafkaDirectSource } from './kafka-direct-source.js';
import { KafkaReceiver } from './kafka-receiver.js';
import type { OffsetStore } from './offset-store.js';

export interface KafkaInputTarget {
  /** The input's name, as batch records show it: `kafka:clicks`, `kafka-receiver:clicks`. */
  readonly input: string;
  readonly kind: 'direct' | 'receiver';
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly clientId?: string | undefined;
  /** Where a partition without a committed offset starts; absent: 'latest'. */
  readonly startingOffsets?: 'earliest' | 'latest' | undefined;
  /** The kafkajs settings the input connects with (ssl, sasl, ...), passed through as given. */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'> | undefined;
  /** A direct stream's dead-letter topic, which must exist before a record is rejected. */
  readonly deadLetterTopic?: string | undefined;
  /** A direct stream's offset store: a transactional sink, when the job passed one. */
  readonly offsetStore?: OffsetStore | undefined;
}

/** The connection settings both kinds of Kafka input share. */
function shared(
  input: string,
  o: Pick<KafkaInputTarget, 'brokers' | 'topics' | 'groupId' | 'clientId' | 'startingOffsets' | 'kafka'>,
) {
  const { brokers, topics, groupId, clientId, startingOffsets, kafka } = o;
  return { input, brokers, topics, groupId, clientId, startingOffsets, kafka };
}

/** The Kafka input `source` describes, or undefined when it is not a Kafka input. */
export function kafkaInputTarget(source: InputSource<unknown>): KafkaInputTarget | undefined {
  if (source instanceof KafkaDirectSource) {
    const o = source.connectionOptions;
    return {
      ...shared(source.name, o),
      kind: 'direct',
      deadLetterTopic: o.deadLetterTopic,
      offsetStore: o.offsetStore,
    };
  }
  if (source instanceof ReceiverSource && source.receiver instanceof KafkaReceiver) {
    return { ...shared(source.name, source.receiver.connectionOptions), kind: 'receiver' };
  }
  return undefined;
}
